// Command verify-image checks, before a deploy, that an image in its
// registry is the one this repository's CI built and signed: a SLSA build
// provenance and a CycloneDX SBOM attestation of exactly its digest, each a
// Sigstore bundle stored as an OCI referrer of the image (as actions/attest
// and cosign v3 store them; cmd/image push --attestation puts them there),
// signed keylessly by the given workflow identity and issuer, chained to
// the Sigstore instance's trusted root and logged.
//
//	go run ./cmd/verify-image --image <registry>/<repository>@sha256:... \
//	  --identity https://github.com/OWNER/REPO/.github/workflows/ci.yml@refs/heads/main \
//	  --caller https://github.com/OWNER/REPO/.github/workflows/deploy.yml@refs/heads/main \
//	  --repository-id ID --owner-id ID \
//	  [--issuer https://token.actions.githubusercontent.com] [--commit SHA] \
//	  [--trusted-root trusted_root.json] [--username AWS --password-stdin]
//
// It exits 0 and prints what it verified, or exits 1 and says, for each
// bundle found, why it does not count (unsigned, another signer, another
// digest, a tampered statement). It is a tool of the pipeline, never part of
// the server binary.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/pollstack/pollstack/internal/imagesig"
)

// GitHubIssuer is the OIDC issuer of GitHub Actions' job tokens.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "verify-image:", err)
		os.Exit(1)
	}
}

// run verifies as the flags in args say. A nil trust means the Sigstore
// instance from --trusted-root, or else the public-good instance's root
// fetched (and verified) with TUF.
func run(args []string, stdin io.Reader, stdout io.Writer, trust *Trust) error {
	fs := flag.NewFlagSet("verify-image", flag.ContinueOnError)
	image := fs.String("image", "", "the image to verify, by digest: <registry>/<repository>@sha256:...")
	var p Policy
	fs.StringVar(&p.Identity, "identity", "", "the signer: https://github.com/OWNER/REPO/.github/workflows/ci.yml@refs/heads/main")
	fs.StringVar(&p.Issuer, "issuer", GitHubIssuer, "the OIDC issuer of the signer's identity")
	fs.StringVar(&p.Commit, "commit", "", "the git commit the provenance and the signing certificate must name (optional)")
	fs.StringVar(&p.Caller, "caller", "", "the workflow that called the signer: https://github.com/OWNER/REPO/.github/workflows/deploy.yml@refs/heads/main")
	fs.StringVar(&p.RepositoryID, "repository-id", "", "GitHub's numeric ID of the repository (github.repository_id)")
	fs.StringVar(&p.OwnerID, "owner-id", "", "GitHub's numeric ID of the repository's owner (github.repository_owner_id)")
	trustedRoot := fs.String("trusted-root", "", "a Sigstore trusted_root.json (default: the public-good instance's, fetched with TUF)")
	user := fs.String("username", "", "registry user name (with --password-stdin)")
	pwStdin := fs.Bool("password-stdin", false, "read the registry password from standard input (e.g. from `aws ecr get-login-password`)")
	var bundles []string
	fs.Func("bundle", "a Sigstore bundle file to verify instead of the registry's referrers of --image (repeat the flag for several): the check before the push", func(path string) error {
		bundles = append(bundles, path)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *image == "" {
		return errors.New("--image is required (<registry>/<repository>@sha256:...)")
	}
	ref, err := name.NewDigest(*image)
	if err != nil {
		return fmt.Errorf("--image %q: want <registry>/<repository>@sha256:...: %w", *image, err)
	}
	for _, f := range []struct{ name, value, want string }{
		{"identity", p.Identity, "https://github.com/OWNER/REPO/.github/workflows/ci.yml@refs/heads/main"},
		{"caller", p.Caller, "https://github.com/OWNER/REPO/.github/workflows/deploy.yml@refs/heads/main"},
		{"repository-id", p.RepositoryID, "a number"},
		{"owner-id", p.OwnerID, "a number"},
	} {
		if f.value == "" {
			return fmt.Errorf("--%s is required (%s)", f.name, f.want)
		}
	}
	if trust == nil {
		if trust, err = loadTrust(*trustedRoot); err != nil {
			return err
		}
	}
	res, err := verifyFrom(ref, p, *trust, bundles, func() ([]remote.Option, error) {
		return imagesig.RegistryAuth(*user, *pwStdin, stdin)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "verified %s\n  signed by %s (issuer %s)\n  build provenance: builder %s%s\n  SBOM: %s\n",
		res.Image, p.Identity, p.Issuer, res.Builder, commitNote(p.Commit), SBOMType)
	return nil
}

// verifyFrom verifies the bundle files, or, without any, the registry's
// bundles of ref (with the registry options auth gives).
func verifyFrom(ref name.Digest, p Policy, trust Trust, bundles []string, auth func() ([]remote.Option, error)) (*Result, error) {
	if len(bundles) > 0 {
		found, err := readBundles(bundles)
		if err != nil {
			return nil, err
		}
		return VerifyBundles(ref, p, trust, found)
	}
	opts, err := auth()
	if err != nil {
		return nil, err
	}
	return Verify(ref, p, trust, opts...)
}

// readBundles reads Sigstore bundle files, named by their paths.
func readBundles(paths []string) ([]imagesig.Bundle, error) {
	var found []imagesig.Bundle
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--bundle: %w", err)
		}
		// The annotation a registry would hold; the statement is what counts.
		predicateType, _ := imagesig.PredicateType(data)
		found = append(found, imagesig.Bundle{Source: path, PredicateType: predicateType, JSON: data})
	}
	return found, nil
}

func commitNote(commit string) string {
	if commit == "" {
		return ""
	}
	return ", commit " + commit
}

// loadTrust returns the Sigstore instance to trust: the one in the
// trusted_root.json at path, or else the public-good instance's root,
// fetched and verified with TUF, which must have a CT log and a Rekor log.
func loadTrust(path string) (*Trust, error) {
	if path != "" {
		tr, err := root.NewTrustedRootFromPath(path)
		if err != nil {
			return nil, fmt.Errorf("--trusted-root: %w", err)
		}
		return trustIn(tr), nil
	}
	tr, err := root.FetchTrustedRoot()
	if err != nil {
		return nil, fmt.Errorf("fetch the Sigstore public-good trusted root (TUF): %w", err)
	}
	if len(tr.CTLogs()) == 0 || len(tr.RekorLogs()) == 0 {
		return nil, errors.New("the public-good trusted root lists no CT log or no Rekor log")
	}
	return trustIn(tr), nil
}

// trustIn is the trust policy, the one the tests run against a test
// instance's root: every signature carries a trusted time, and, where the
// instance has them (the public-good one has both), certificate
// transparency proofs for its certificate and a transparency log entry.
// GitHub's own instance, which signs a private repository's attestations,
// has neither and gives timestamps instead.
func trustIn(tr root.TrustedMaterial) *Trust {
	opts := []verify.VerifierOption{verify.WithObserverTimestamps(1)}
	if len(tr.RekorLogs()) > 0 {
		// check: transparency log
		opts = append(opts, verify.WithTransparencyLog(1))
	}
	if len(tr.CTLogs()) > 0 {
		// check: certificate transparency
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	return &Trust{Material: tr, Options: opts}
}
