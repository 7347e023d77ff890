package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image runs as this user and group, as distroless "nonroot" does.
const (
	nonrootID  = 65532
	binaryPath = "pollstack"
	listenPort = "8080/tcp"
)

// /etc/passwd and /etc/group: no account has a shell, and none exists.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"
)

// BuildOptions says what to build and where to write it.
type BuildOptions struct {
	Package  string // Go package of the server, e.g. ./cmd/pollstack
	Platform string // os/arch[/variant], e.g. linux/amd64
	Out      string // OCI image layout archive
	SBOM     string // CycloneDX JSON; default Out with .cdx.json
	Source   string // org.opencontainers.image.source
	Revision string // org.opencontainers.image.revision; default vcs.revision
}

// BuildResult describes what Build wrote.
type BuildResult struct {
	Archive     string
	ArchiveSize int64
	SBOM        string
	Digest      v1.Hash
	Revision    string
}

// Build compiles the server for the platform and writes the image archive
// and its SBOM.
func Build(o BuildOptions) (*BuildResult, error) {
	plat, err := v1.ParsePlatform(o.Platform)
	if err != nil {
		return nil, fmt.Errorf("platform %q: %w", o.Platform, err)
	}
	if plat.OS != "linux" {
		return nil, fmt.Errorf("platform %q: only linux images are built", o.Platform)
	}
	if o.SBOM == "" {
		o.SBOM = strings.TrimSuffix(strings.TrimSuffix(o.Out, ".tar"), ".oci") + ".cdx.json"
	}
	work, err := os.MkdirTemp("", "pollstack-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	if o.Revision == "" {
		o.Revision = gitOutput("rev-parse", "HEAD")
	}
	created := commitTime(o.Revision)
	bin := filepath.Join(work, binaryPath)
	if err := compile(o.Package, plat, o.Revision, bin); err != nil {
		return nil, err
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("read build info of %s: %w", o.Package, err)
	}

	img, err := assemble(bin, plat, o, created)
	if err != nil {
		return nil, err
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	if err := writeArchive(img, plat, o, work); err != nil {
		return nil, err
	}
	st, err := os.Stat(o.Out)
	if err != nil {
		return nil, err
	}
	if err := writeSBOM(o.SBOM, info, o, digest, created); err != nil {
		return nil, err
	}
	return &BuildResult{Archive: o.Out, ArchiveSize: st.Size(), SBOM: o.SBOM, Digest: digest, Revision: o.Revision}, nil
}

// gitOutput runs git in the working directory and returns its trimmed
// output, or "" when git fails (no repository, no git).
func gitOutput(args ...string) string {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// commitTime is the time every timestamp of the image takes, so that a
// rebuild of the same commit gives the same digest: the commit's, else
// SOURCE_DATE_EPOCH, else the Unix epoch.
func commitTime(revision string) time.Time {
	s := ""
	if revision != "" {
		s = gitOutput("show", "-s", "--format=%ct", revision)
	}
	if s == "" {
		s = os.Getenv("SOURCE_DATE_EPOCH")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Unix(0, 0).UTC()
	}
	return time.Unix(n, 0).UTC()
}

// passedEnv is the part of the caller's environment the compiler sees:
// where the toolchain, the caches and the module proxy are, and which
// toolchain (scripts/image.sh pins go.mod's). Anything else (GOAMD64,
// GOFLAGS, CGO_*, GOEXPERIMENT, a go env file) could change the binary,
// so the build sets what it needs itself.
var passedEnv = []string{
	"PATH", "HOME", "TMPDIR", "XDG_CACHE_HOME", "GOCACHE", "GOMODCACHE", "GOPATH", "GOTOOLCHAIN",
	"GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY",
}

// buildEnv is the whole environment of the compiler for the platform.
func buildEnv(plat *v1.Platform) []string {
	env := []string{"GOENV=off", "CGO_ENABLED=0", "GOOS=" + plat.OS, "GOARCH=" + plat.Architecture, "GOFLAGS=-mod=readonly"}
	switch {
	case plat.Architecture == "amd64":
		env = append(env, "GOAMD64=v1")
	case plat.Architecture == "arm" && plat.Variant != "":
		env = append(env, "GOARM="+strings.TrimPrefix(plat.Variant, "v"))
	}
	for _, k := range passedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// compile builds the server. The VCS stamp is off (an untracked file would
// mark the build modified); the revision goes in by -X main.revision.
func compile(pkg string, plat *v1.Platform, revision, out string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -X main.revision="+revision, "-o", out, pkg)
	cmd.Env = buildEnv(plat)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for %s: %w", pkg, plat, err)
	}
	return nil
}

// rootfs returns the single layer: /etc/passwd, /etc/group and the binary.
func rootfs(bin string, mtime time.Time) ([]byte, error) {
	exe, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string, uid int, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: uid, Gid: uid, ModTime: mtime, Format: tar.FormatPAX})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, step := range []func() error{
		func() error { return dir("etc", 0, 0o755) },
		func() error { return file("etc/group", 0o644, []byte(group)) },
		func() error { return file("etc/passwd", 0o644, []byte(passwd)) },
		func() error { return dir("home", 0, 0o755) },
		func() error { return dir("home/nonroot", nonrootID, 0o700) },
		func() error { return file(binaryPath, 0o755, exe) },
		tw.Close,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

func assemble(bin string, plat *v1.Platform, o BuildOptions, created time.Time) (v1.Image, error) {
	fsTar, err := rootfs(bin, created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(fsTar)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression), tarball.WithCompressedCaching)
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: created}, CreatedBy: "go run ./image build: /etc/passwd, /etc/group, /" + binaryPath, Comment: "pollstack"},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = plat.OS, plat.Architecture, plat.Variant
	cf.Created = v1.Time{Time: created}
	cf.Config = imageConfig(o, created)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, cf.Config.Labels).(v1.Image), nil
}

// imageConfig is the runtime configuration of the image: the one place that
// says how the container runs (Build and the scanned Dockerfile use it).
func imageConfig(o BuildOptions, created time.Time) v1.Config {
	return v1.Config{
		User:         fmt.Sprintf("%d:%d", nonrootID, nonrootID),
		Entrypoint:   []string{"/" + binaryPath},
		Cmd:          []string{"serve"},
		WorkingDir:   "/home/nonroot",
		ExposedPorts: map[string]struct{}{listenPort: {}},
		Labels:       imageLabels(o, created),
		// No PATH: there is nothing to look up; the entrypoint is absolute.
		StopSignal: "SIGTERM",
	}
}

func imageLabels(o BuildOptions, created time.Time) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":   "pollstack",
		"org.opencontainers.image.source":  o.Source,
		"org.opencontainers.image.created": created.Format(time.RFC3339),
	}
	if o.Revision != "" {
		l["org.opencontainers.image.revision"] = o.Revision
	}
	return l
}

// writeArchive writes the image as an OCI image layout and tars the layout
// into o.Out (the form `trivy image --input` and `crane push` read).
func writeArchive(img v1.Image, plat *v1.Platform, o BuildOptions, work string) error {
	dir := filepath.Join(work, "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	ref := "latest"
	if o.Revision != "" {
		ref = o.Revision
	}
	if err := p.AppendImage(img, layout.WithPlatform(*plat), layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": ref,
	})); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(o.Out), ".image-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tarDir(tmp, dir); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), o.Out)
}

// tarDir writes the files under dir, in name order, with fixed metadata.
func tarDir(w io.Writer, dir string) error {
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		names = append(names, path)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, path := range names {
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		hdr := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if st.IsDir() {
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o755
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			continue
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return tw.Close()
}
