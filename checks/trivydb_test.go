//go:build integration

package checks

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	bolt "go.etcd.io/bbolt"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

// An advisory for the planted image scan, as Trivy's database holds it.
type trivyAdvisory struct {
	Source     string // the data source's bucket, e.g. "go::GitHub Security Advisory Go"
	SourceID   string // its vendor id, e.g. "ghsa"
	Package    string
	ID         string
	Title      string
	Severity   string // HIGH, CRITICAL, ...
	Vulnerable []string
	Patched    []string
}

// writeTrivyDB writes a vulnerability database in the layout Trivy reads
// (schema 2: a bolt file with a bucket per data source, then per package,
// holding each advisory; the details in "vulnerability"; the sources in
// "data-source"; and metadata.json) under cacheDir/db. The real database is
// downloaded from a registry this machine cannot reach; the scan itself is
// the real Trivy, on data made here from a published advisory.
func writeTrivyDB(t *testing.T, cacheDir string, advisories ...trivyAdvisory) {
	t.Helper()
	dir := filepath.Join(cacheDir, "db")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(dir, "trivy.db"), 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	severities := map[string]int{"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
	put := func(b *bolt.Bucket, key string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), data)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, a := range advisories {
			src, err := tx.CreateBucketIfNotExists([]byte(a.Source))
			if err != nil {
				return err
			}
			pkg, err := src.CreateBucketIfNotExists([]byte(a.Package))
			if err != nil {
				return err
			}
			if err := put(pkg, a.ID, map[string]any{"VulnerableVersions": a.Vulnerable, "PatchedVersions": a.Patched}); err != nil {
				return err
			}
			sources, err := tx.CreateBucketIfNotExists([]byte("data-source"))
			if err != nil {
				return err
			}
			if err := put(sources, a.Source, map[string]string{"ID": a.SourceID, "Name": a.Source, "URL": "https://github.com/advisories"}); err != nil {
				return err
			}
			vulns, err := tx.CreateBucketIfNotExists([]byte("vulnerability"))
			if err != nil {
				return err
			}
			if err := put(vulns, a.ID, map[string]any{
				"Title":          a.Title,
				"Severity":       a.Severity,
				"VendorSeverity": map[string]int{a.SourceID: severities[a.Severity]},
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	meta, _ := json.Marshal(map[string]any{"Version": 2, "NextUpdate": now.Add(24 * time.Hour), "UpdatedAt": now, "DownloadedAt": now})
	writeFile(t, filepath.Join(dir, "metadata.json"), string(meta))
}

// goBinaryImage builds the Go module in moduleDir for linux/amd64, puts the
// binary alone in an image, and writes the image as an OCI layout archive,
// as make image does for the server.
func goBinaryImage(t *testing.T, moduleDir, archive string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "app")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = moduleDir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var layerTar bytes.Buffer
	tw := tar.NewWriter(&layerTar)
	if err := tw.WriteHeader(&tar.Header{Name: "app", Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar.Bytes())), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg.OS, cfg.Architecture, cfg.Config.Entrypoint = "linux", "amd64", []string{"/app"}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-cf", archive, "-C", dir, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
}

// goModule writes a module (go.mod and main.go) and resolves its go.sum.
func goModule(t *testing.T, goMod, mainGo string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), goMod)
	writeFile(t, filepath.Join(dir, "main.go"), mainGo)
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir = dir
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy (modules from the module proxy): %v\n%s", err, out)
	}
	return dir
}

// The image scan names a vulnerable module in the image's binary: the same
// scan (scripts/scan.sh trivy-image, as CI runs it on every image) passes an
// image whose binary has none, and fails the one whose binary carries
// golang.org/x/text v0.3.5 (CVE-2021-38561, fixed in 0.3.7).
func TestImageScanCatchesVulnerableModule(t *testing.T) {
	requireTools(t, "trivy", "go", "tar")
	dir := t.TempDir()
	copyTree(t, repo.Path("scripts", "scan.sh"), filepath.Join(dir, "scripts", "scan.sh"))
	copyTree(t, repo.Path(".trivyignore.yaml"), filepath.Join(dir, ".trivyignore.yaml"))
	cache := t.TempDir()
	writeTrivyDB(t, cache, trivyAdvisory{
		Source: "go::GitHub Security Advisory Go", SourceID: "ghsa",
		Package: "golang.org/x/text", ID: "CVE-2021-38561",
		Title:    "golang.org/x/text/language: out-of-bounds read in Parse",
		Severity: "HIGH", Vulnerable: []string{"< 0.3.7"}, Patched: []string{"0.3.7"},
	})
	t.Setenv("TRIVY_CACHE_DIR", cache)
	archive := filepath.Join(t.TempDir(), "image.oci.tar")
	t.Setenv("IMAGE_ARCHIVE", archive)

	clean := goModule(t, "module example.com/clean\n\ngo 1.26\n", "package main\n\nfunc main() {}\n")
	goBinaryImage(t, clean, archive)
	cleanBaseline(t, dir, "trivy-image")

	vulnerable := goModule(t, vulnerableModule, "package main\n\nimport \"golang.org/x/text/language\"\n\nfunc main() { _, _ = language.Parse(\"en-US\") }\n")
	goBinaryImage(t, vulnerable, archive)
	out, failed := scan(t, dir, "trivy-image")
	wantFailed(t, out, failed, []string{"trivy-image"}, map[string][]string{
		"trivy-image": {"CVE-2021-38561", "golang.org/x/text", "0.3.5", "0.3.7", "HIGH"},
	})
}
