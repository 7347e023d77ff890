//go:build integration

package main

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

// The apply job's verify step, .github/scripts/verify-image.sh, run as the
// job runs it: in a checkout (go.mod, cmd/, internal/ of this repository)
// with the plan's image.ref and the attest job's bundles, in GitHub's
// environment variables, with the test Sigstore's trusted root in place of
// the public-good one. The identity, calling workflow, IDs and commit it
// passes come from that environment; a signature that differs in any of
// them must stop the deploy.

// verifyScript is the script under test; the mutation test
// (checks/mutation_test.go) points POLLSTACK_VERIFY_SCRIPT at a mutant.
func verifyScript(t *testing.T) string {
	if s := os.Getenv("POLLSTACK_VERIFY_SCRIPT"); s != "" {
		return s
	}
	return repo.Path(".github", "scripts", "verify-image.sh")
}

// checkout lays out in dir, afresh, what the script reads and returns the
// image reference the plan names. The checkouts of one test share their
// path: a build records it, and at a new path every `go run` of the script
// compiled and linked verify-image anew instead of taking it from the
// build cache.
func checkout(t *testing.T, dir string, sig *testSigstore, provenance, sbom []byte) string {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd", "internal"} {
		if err := os.Symlink(repo.Path(p), filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	script, err := os.ReadFile(verifyScript(t))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	image := "123456789012.dkr.ecr.us-east-1.amazonaws.com/pollstack@sha256:" + hex.EncodeToString(b)
	for path, data := range map[string][]byte{
		".github/scripts/verify-image.sh":            script,
		"infra/envs/image.ref":                       []byte(image + "\n"),
		"dist/attestations/provenance.sigstore.json": provenance,
		"dist/attestations/sbom.sigstore.json":       sbom,
	} {
		p := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sig.WriteTrustedRoot(t, filepath.Join(dir, "trusted_root.json"))
	return image
}

// runScript runs the verify step in dir with GitHub's variables for this
// repository and commit and returns its output, GITHUB_ENV afterwards and
// its error.
func runScript(t *testing.T, dir string) (string, string, error) {
	t.Helper()
	githubEnv := filepath.Join(dir, "github_env")
	cmd := exec.Command("bash", ".github/scripts/verify-image.sh")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GITHUB_SERVER_URL=https://github.com",
		"GITHUB_REPOSITORY=pollstack/pollstack",
		"GITHUB_REPOSITORY_ID="+repositoryID,
		"GITHUB_REPOSITORY_OWNER_ID="+ownerID,
		"GITHUB_SHA="+commit,
		"GITHUB_ENV="+githubEnv,
		"GITHUB_STEP_SUMMARY=",
		"SIGSTORE_TRUSTED_ROOT="+filepath.Join(dir, "trusted_root.json"),
	)
	out, err := cmd.CombinedOutput()
	env, _ := os.ReadFile(githubEnv)
	return string(out), string(env), err
}

func TestVerifyScript(t *testing.T) {
	sig := newSigstore(t)
	// sign returns CI's two bundles for the digest of image, signed with
	// claims c and naming gitCommit in the provenance.
	sign := func(t *testing.T, c sigClaims, image, gitCommit string) ([]byte, []byte) {
		digest := image[strings.LastIndex(image, "@")+1:]
		return sig.Sign(t, c, statement(t, digest, ProvenanceType, provenanceOf(c.Identity, gitCommit))),
			sig.Sign(t, c, statement(t, digest, SBOMType, sbomOf(digest)))
	}
	// plan lays out the checkout with bundles that sign the plan's own image.
	dir := filepath.Join(t.TempDir(), "checkout")
	plan := func(t *testing.T, c sigClaims, gitCommit string) string {
		image := checkout(t, dir, sig, nil, nil)
		prov, sbom := sign(t, c, image, gitCommit)
		for name, data := range map[string][]byte{"provenance": prov, "sbom": sbom} {
			if err := os.WriteFile(filepath.Join(dir, "dist", "attestations", name+".sigstore.json"), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}

	t.Run("CI's image passes and becomes VERIFIED_IMAGE", func(t *testing.T) {
		dir := plan(t, ciClaims(), commit)
		out, env, err := runScript(t, dir)
		if err != nil {
			t.Fatalf("verify-image.sh refused CI's image: %v\n%s", err, out)
		}
		image, _ := os.ReadFile(filepath.Join(dir, "infra", "envs", "image.ref"))
		if want := "VERIFIED_IMAGE=" + string(image); env != want {
			t.Errorf("GITHUB_ENV = %q, want %q", env, want)
		}
	})

	for _, tc := range []struct {
		name      string
		edit      func(*sigClaims)
		gitCommit string
	}{
		{"a fork's ci.yml", func(c *sigClaims) { c.Identity = forkIdentity }, commit},
		{"ci.yml on another branch", func(c *sigClaims) { c.Identity = branchIdentity }, commit},
		{"ci.yml run by a push, not by deploy.yml", func(c *sigClaims) { c.BuildConfigURI = ciIdentity }, commit},
		{"a re-created repository", func(c *sigClaims) { c.RepositoryID = "700100999" }, commit},
		{"another owner", func(c *sigClaims) { c.RepositoryOwnerID = "31337" }, commit},
		{"another commit", func(c *sigClaims) { c.RepositoryDigest = strings.Repeat("c", 40) }, strings.Repeat("c", 40)},
	} {
		t.Run(tc.name+" fails", func(t *testing.T) {
			c := ciClaims()
			tc.edit(&c)
			out, env, err := runScript(t, plan(t, c, tc.gitCommit))
			if err == nil {
				t.Fatalf("verify-image.sh accepted an image signed by %s:\n%s", tc.name, out)
			}
			if !strings.Contains(out, "not deploying it (nothing was pushed or applied)") {
				t.Errorf("the refusal does not say that nothing was deployed:\n%s", out)
			}
			if env != "" {
				t.Errorf("a refused image reached GITHUB_ENV: %q", env)
			}
		})
	}
}
