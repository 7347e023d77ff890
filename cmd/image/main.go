// Command image builds pollstack's container image without a Docker daemon
// and pushes it by digest.
//
//	go run ./cmd/image build --out dist/pollstack.oci.tar [--platform linux/amd64] [--platform-file infra/platform.json]
//	go run ./cmd/image digest --archive dist/pollstack.oci.tar
//	go run ./cmd/image dockerfile   (the same definition as a Dockerfile, for scanners)
//	go run ./cmd/image push --archive dist/pollstack.oci.tar --repo <registry>/<repository> [--tag <tag>] [--attestation bundle.json]...
//
// build cross-compiles ./cmd/pollstack (CGO_ENABLED=0, -trimpath), puts it
// on a scratch root file system that holds only /etc/passwd, /etc/group and
// the binary, runs it as the nonroot user 65532, writes the image as an OCI
// image layout archive, and writes a CycloneDX SBOM of the binary's embedded
// build information next to it. The platform comes from cpu_architecture in
// infra/platform.json, which also sets the ECS tasks' runtime_platform;
// --platform, when given, must agree with it unless --platform-file is "".
//
// push reads the archive and writes the image to a registry by its digest
// (credentials from --username and --password-stdin, e.g. piped from
// `aws ecr get-login-password`, or else from the Docker config), tags it if
// asked, stores each --attestation (a Sigstore bundle) as an OCI referrer of
// the image (internal/imagesig), and prints repo@sha256:.... digest prints
// the image digest of an archive.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/pollstack/pollstack/internal/imagesig"
	"github.com/pollstack/pollstack/internal/platform"
)

const defaultSource = "https://github.com/pollstack/pollstack"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: image build|push|digest|dockerfile|platform [flags]")
	}
	switch args[0] {
	case "build":
		return runBuild(args[1:])
	case "push":
		return runPush(args[1:])
	case "digest":
		fs := flag.NewFlagSet("digest", flag.ContinueOnError)
		archive := fs.String("archive", "dist/pollstack.oci.tar", "OCI image layout archive written by build")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "pollstack-digest-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		img, _, err := OpenArchive(*archive, dir)
		if err != nil {
			return err
		}
		d, err := img.Digest()
		if err != nil {
			return err
		}
		fmt.Println(d)
		return nil
	case "dockerfile":
		fs := flag.NewFlagSet("dockerfile", flag.ContinueOnError)
		var o BuildOptions
		fs.StringVar(&o.Source, "source", defaultSource, "org.opencontainers.image.source label")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		fmt.Print(Dockerfile(o))
		return nil
	case "platform":
		fs := flag.NewFlagSet("platform", flag.ContinueOnError)
		file := fs.String("platform-file", platform.File, "platform choices whose cpu_architecture sets the platform")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		c, err := platform.Load(*file)
		if err != nil {
			return err
		}
		fmt.Println(c.OCIPlatform())
		return nil
	default:
		return fmt.Errorf("unknown command %q: want build, push, digest, dockerfile or platform", args[0])
	}
}

func runBuild(args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	var o BuildOptions
	fs.StringVar(&o.Package, "pkg", "./cmd/pollstack", "Go package of the server binary")
	fs.StringVar(&o.Platform, "platform", "", "OS/architecture to build for (default: from --platform-file)")
	file := fs.String("platform-file", platform.File, `platform choices whose cpu_architecture sets the platform ("" to trust --platform alone)`)
	fs.StringVar(&o.Out, "out", "dist/pollstack.oci.tar", "OCI image layout archive to write")
	fs.StringVar(&o.SBOM, "sbom", "", "CycloneDX SBOM to write (default: next to --out, .cdx.json)")
	fs.StringVar(&o.Source, "source", defaultSource, "org.opencontainers.image.source label")
	fs.StringVar(&o.Revision, "revision", "", "org.opencontainers.image.revision label (default: the binary's vcs.revision)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file != "" {
		c, err := platform.Load(*file)
		switch {
		case err != nil:
			return err
		case o.Platform != "" && o.Platform != c.OCIPlatform():
			return fmt.Errorf("--platform %s differs from %s chosen by cpu_architecture in %s", o.Platform, c.OCIPlatform(), *file)
		default:
			o.Platform = c.OCIPlatform()
		}
	}
	if o.Platform == "" {
		return errors.New("no platform: give --platform or --platform-file")
	}
	res, err := Build(o)
	if err != nil {
		return err
	}
	fmt.Printf("image %s %s\n  digest %s\n  archive %s (%d bytes)\n  sbom %s\n",
		o.Platform, res.Revision, res.Digest, res.Archive, res.ArchiveSize, res.SBOM)
	return nil
}

func runPush(args []string) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	archive := fs.String("archive", "dist/pollstack.oci.tar", "OCI image layout archive written by build")
	repo := fs.String("repo", "", "registry/repository to push to")
	tag := fs.String("tag", "", "tag to add after the push (an existing tag must already name the same digest)")
	user := fs.String("username", "", "registry user name; the password is read from standard input (with --password-stdin)")
	pwStdin := fs.Bool("password-stdin", false, "read the registry password from standard input (e.g. from `aws ecr get-login-password`)")
	var attestations []string
	fs.Func("attestation", "a Sigstore bundle of the image to store next to it as an OCI referrer (repeat the flag for several)", func(path string) error {
		attestations = append(attestations, path)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *repo == "" {
		return errors.New("push: --repo is required")
	}
	opts, err := imagesig.RegistryAuth(*user, *pwStdin, os.Stdin)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	ref, err := Push(*archive, *repo, *tag, opts...)
	if err != nil {
		return err
	}
	var bundles [][]byte
	for _, path := range attestations {
		bundle, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("push: --attestation: %w", err)
		}
		bundles = append(bundles, bundle)
	}
	if len(bundles) > 0 {
		// All at once: without the referrers API, the referrers tag is
		// written once, as an immutable tag can be (imagesig.AttachAll).
		digests, err := imagesig.AttachAll(ref, bundles, opts...)
		if err != nil {
			return fmt.Errorf("push: --attestation: %w", err)
		}
		for i, d := range digests {
			fmt.Fprintf(os.Stderr, "attached %s to %s as %s\n", attestations[i], ref, d)
		}
	}
	fmt.Println(ref)
	return nil
}
