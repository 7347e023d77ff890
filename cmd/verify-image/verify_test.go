package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/pollstack/pollstack/internal/imagesig"
	"github.com/pollstack/pollstack/internal/testing/registrytest"
)

// These tests run the pipeline's verify step (run, as `go run
// ./cmd/verify-image` runs it) against an in-process OCI registry and a test
// Sigstore instance (sigstore_test.go: Fulcio with GitHub's
// certificate extensions and a CT log, Rekor and a timestamp authority)
// under the production trust policy (trustIn) with the instance's root in
// place of the public-good one: bundles stored the way the apply job stores
// CI's (imagesig.AttachAll), signed by CI or by someone else.

const (
	ciIdentity     = "https://github.com/pollstack/pollstack/.github/workflows/ci.yml@refs/heads/main"
	deployCaller   = "https://github.com/pollstack/pollstack/.github/workflows/deploy.yml@refs/heads/main"
	forkIdentity   = "https://github.com/mallory/pollstack/.github/workflows/ci.yml@refs/heads/main"
	branchIdentity = "https://github.com/pollstack/pollstack/.github/workflows/ci.yml@refs/heads/feature"
	commit         = "0123456789abcdef0123456789abcdef01234567"
	repositoryID   = "700100200"
	ownerID        = "9001"
)

// ciClaims are the claims of CI's attest job in a deploy of main.
func ciClaims() sigClaims {
	return sigClaims{
		Identity: ciIdentity, Issuer: GitHubIssuer, BuildConfigURI: deployCaller,
		RepositoryID: repositoryID, RepositoryOwnerID: ownerID,
		RunnerEnvironment: HostedRunner, RepositoryDigest: commit,
	}
}

// fixture is a registry holding one image, and the Sigstore instance that
// signs for the tests.
type fixture struct {
	sigstore *testSigstore
	image    name.Digest
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{sigstore: newSigstore(t), image: registrytest.PushRandom(t, registrytest.Start(t, nil))}
}

// statement is an in-toto statement about digest (sha256:...).
func statement(t *testing.T, digest, predicateType string, predicate any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "pollstack", "digest": map[string]string{"sha256": strings.TrimPrefix(digest, "sha256:")}}},
		"predicateType": predicateType,
		"predicate":     predicate,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// provenanceOf is the part of actions/attest's SLSA provenance the policy reads.
func provenanceOf(builder, gitCommit string) map[string]any {
	return map[string]any{
		"buildDefinition": map[string]any{
			"buildType": "https://actions.github.io/buildtypes/workflow/v1",
			"resolvedDependencies": []any{map[string]any{
				"uri":    "git+https://github.com/pollstack/pollstack@refs/heads/main",
				"digest": map[string]string{"gitCommit": gitCommit},
			}},
		},
		"runDetails": map[string]any{"builder": map[string]string{"id": builder}},
	}
}

// sbomOf is cmd/image's SBOM as far as the policy reads it: the image
// digest it describes.
func sbomOf(digest string) map[string]any {
	return map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []any{},
		"metadata": map[string]any{"component": map[string]any{"name": "github.com/pollstack/pollstack",
			"properties": []any{map[string]string{"name": "oci:image:digest", "value": digest}}}}}
}

// sign has the test Sigstore sign statement with claims.
func (f *fixture) sign(t *testing.T, c sigClaims, statement []byte) []byte {
	t.Helper()
	return f.sigstore.Sign(t, c, statement)
}

// attach stores bundles as referrers of the fixture's image, all at once,
// as the apply job does with CI's.
func (f *fixture) attach(t *testing.T, bundles ...[]byte) {
	t.Helper()
	if _, err := imagesig.AttachAll(f.image, bundles); err != nil {
		t.Fatal(err)
	}
}

// signed returns CI's two attestations of digest, signed by identity.
func (f *fixture) signed(t *testing.T, identity, digest string) (provenance, sbomBundle []byte) {
	c := ciClaims()
	c.Identity = identity
	return f.signedWith(t, c, digest)
}

// signedWith returns the two attestations of digest, signed with claims c.
func (f *fixture) signedWith(t *testing.T, c sigClaims, digest string) (provenance, sbomBundle []byte) {
	return f.sign(t, c, statement(t, digest, ProvenanceType, provenanceOf(c.Identity, commit))),
		f.sign(t, c, statement(t, digest, SBOMType, sbomOf(digest)))
}

// verifyStep runs the command as the pipeline does, under the production
// trust policy with the test Sigstore's root.
func (f *fixture) verifyStep(t *testing.T, extra ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	args := append([]string{"--image", f.image.String(), "--identity", ciIdentity, "--commit", commit,
		"--caller", deployCaller, "--repository-id", repositoryID, "--owner-id", ownerID}, extra...)
	err := run(args, strings.NewReader(""), &out, trustIn(f.sigstore.TrustedRoot()))
	return out.String(), err
}

func wantRefused(t *testing.T, err error, mentions ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("verify-image accepted the image; want it refused")
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("the refusal does not say %q:\n%v", m, err)
		}
	}
}

func TestSignedImagePasses(t *testing.T) {
	f := newFixture(t)
	f.attach(t, pairOf(f.signed(t, ciIdentity, f.image.DigestStr()))...)
	out, err := f.verifyStep(t)
	if err != nil {
		t.Fatalf("verify-image refused CI's signed image: %v", err)
	}
	for _, want := range []string{"verified " + f.image.String(), "signed by " + ciIdentity, "builder " + ciIdentity, "commit " + commit} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
}

func TestUnsignedImageFails(t *testing.T) {
	f := newFixture(t)
	_, err := f.verifyStep(t)
	wantRefused(t, err, "is not signed", f.image.String())
}

func TestImageSignedByAnotherIdentityFails(t *testing.T) {
	for name, identity := range map[string]string{"a fork": forkIdentity, "another branch": branchIdentity} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.attach(t, pairOf(f.signed(t, identity, f.image.DigestStr()))...)
			_, err := f.verifyStep(t)
			wantRefused(t, err, "no valid build provenance", "no valid SBOM", identity)
		})
	}
}

func TestTamperedAttestationFails(t *testing.T) {
	f := newFixture(t)
	good, sbomBundle := f.signed(t, ciIdentity, f.image.DigestStr())
	// The attacker rewrites the signed statement (here: another commit)
	// and keeps the signature.
	tampered := tamperPayload(t, good, func(s string) string { return strings.ReplaceAll(s, commit, strings.Repeat("f", 40)) })
	f.attach(t, tampered, sbomBundle)
	_, err := f.verifyStep(t)
	wantRefused(t, err, "no valid build provenance")
	if strings.Contains(err.Error(), "no valid SBOM") {
		t.Errorf("the untouched SBOM should still verify: %v", err)
	}
}

func TestAttestationOfAnotherImageFails(t *testing.T) {
	f := newFixture(t)
	other := registrytest.PushRandom(t, f.image.Context().String())
	f.attach(t, pairOf(f.signed(t, ciIdentity, other.DigestStr()))...)
	_, err := f.verifyStep(t)
	wantRefused(t, err, "no valid build provenance", "no valid SBOM")
}

func TestProvenanceAloneFails(t *testing.T) {
	f := newFixture(t)
	prov, _ := f.signed(t, ciIdentity, f.image.DigestStr())
	f.attach(t, prov)
	_, err := f.verifyStep(t)
	wantRefused(t, err, "no valid SBOM")
}

func TestAnotherIssuerFails(t *testing.T) {
	f := newFixture(t)
	f.attach(t, pairOf(f.signed(t, ciIdentity, f.image.DigestStr()))...)
	_, err := f.verifyStep(t, "--issuer", "https://accounts.google.com")
	wantRefused(t, err, "no valid build provenance")
}

func TestFlagsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--identity", ciIdentity}, "--image is required"},
		{[]string{"--image", "registry.example/pollstack:latest", "--identity", ciIdentity}, "--image"},
		{[]string{"--image", "registry.example/pollstack@sha256:" + strings.Repeat("a", 64)}, "--identity is required"},
		{[]string{"--image", "registry.example/pollstack@sha256:" + strings.Repeat("a", 64), "--identity", ciIdentity}, "--caller is required"},
		{[]string{"--image", "registry.example/pollstack@sha256:" + strings.Repeat("a", 64), "--identity", ciIdentity, "--caller", deployCaller}, "--repository-id is required"},
		{[]string{"--image", "registry.example/pollstack@sha256:" + strings.Repeat("a", 64), "--identity", ciIdentity, "--caller", deployCaller, "--repository-id", "1"}, "--owner-id is required"},
	} {
		err := run(tc.args, strings.NewReader(""), &bytes.Buffer{}, &Trust{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
}

// tamperPayload rewrites the statement inside a bundle, keeping everything else.
func tamperPayload(t *testing.T, bundleJSON []byte, edit func(string) string) []byte {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(bundleJSON, &b); err != nil {
		t.Fatal(err)
	}
	env := b["dsseEnvelope"].(map[string]any)
	payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(string(payload))
	if edited == string(payload) {
		t.Fatal("tamperPayload changed nothing")
	}
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(edited))
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func pairOf(a, b []byte) [][]byte { return [][]byte{a, b} }

func TestSBOMAloneFails(t *testing.T) {
	f := newFixture(t)
	_, sbomBundle := f.signed(t, ciIdentity, f.image.DigestStr())
	f.attach(t, sbomBundle)
	_, err := f.verifyStep(t)
	wantRefused(t, err, "no valid build provenance")
}

// Claims of a signature that is not CI's in a deploy of main, each of which
// alone must make both attestations count for nothing.
func TestCertificateClaimsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*sigClaims)
		wants string
	}{
		// ci.yml on main, but run by a push (or by another workflow that
		// calls it) rather than by deploy.yml.
		{"another calling workflow", func(c *sigClaims) {
			c.BuildConfigURI = "https://github.com/pollstack/pollstack/.github/workflows/ci.yml@refs/heads/main"
		}, "deploy.yml"},
		// The repository deleted and re-created under the same name.
		{"another repository ID", func(c *sigClaims) { c.RepositoryID = "700100999" }, repositoryID},
		{"another owner ID", func(c *sigClaims) { c.RepositoryOwnerID = "31337" }, ownerID},
		{"a self-hosted runner", func(c *sigClaims) { c.RunnerEnvironment = "self-hosted" }, HostedRunner},
		{"another commit's run", func(c *sigClaims) { c.RepositoryDigest = strings.Repeat("d", 40) }, commit},
		{"no certificate transparency proof", func(c *sigClaims) { c.WithoutSCT = true }, "SCT"},
		{"no transparency log entry", func(c *sigClaims) { c.WithoutTransparency = true }, "transparency log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c := ciClaims()
			tc.edit(&c)
			f.attach(t, pairOf(f.signedWith(t, c, f.image.DigestStr()))...)
			_, err := f.verifyStep(t)
			wantRefused(t, err, "no valid build provenance", "no valid SBOM", tc.wants)
		})
	}
}

// CI's identity signed a provenance that names another builder (a step of
// the attest job signing a statement it was handed) or another commit than
// the certificate's.
func TestProvenanceClaimsAreChecked(t *testing.T) {
	other := strings.Repeat("e", 40)
	for _, tc := range []struct{ name, builder, gitCommit, wants string }{
		{"another builder", forkIdentity, commit, "provenance names builder \"" + forkIdentity},
		{"another commit", ciIdentity, other, "provenance says it was built from commit " + other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			prov := f.sign(t, ciClaims(), statement(t, f.image.DigestStr(), ProvenanceType, provenanceOf(tc.builder, tc.gitCommit)))
			_, sbomBundle := f.signed(t, ciIdentity, f.image.DigestStr())
			f.attach(t, prov, sbomBundle)
			_, err := f.verifyStep(t)
			wantRefused(t, err, "no valid build provenance", tc.wants)
		})
	}
}

// The attest job signed, for this digest, an SBOM that describes another
// image (the SBOM file was swapped between the build and the signing).
func TestSBOMOfAnotherImageFails(t *testing.T) {
	f := newFixture(t)
	prov, _ := f.signed(t, ciIdentity, f.image.DigestStr())
	other := "sha256:" + strings.Repeat("b", 64)
	swapped := f.sign(t, ciClaims(), statement(t, f.image.DigestStr(), SBOMType, sbomOf(other)))
	f.attach(t, prov, swapped)
	_, err := f.verifyStep(t)
	wantRefused(t, err, "no valid SBOM", "the SBOM describes image "+other)
}
