package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/pollstack/pollstack/internal/imagesig"
)

// These tests run the pipeline's verify step (run, as `go run
// ./cmd/verify-image` runs it) against an in-process OCI registry and a
// virtual Sigstore instance (Fulcio, Rekor and a timestamp authority with
// test keys, from sigstore-go): bundles stored the way the apply job stores
// CI's (imagesig.Attach), signed by CI's identity or someone else's.

const (
	ciIdentity     = "https://github.com/pollstack/pollstack/.github/workflows/ci.yml@refs/heads/main"
	forkIdentity   = "https://github.com/mallory/pollstack/.github/workflows/ci.yml@refs/heads/main"
	branchIdentity = "https://github.com/pollstack/pollstack/.github/workflows/ci.yml@refs/heads/feature"
	commit         = "0123456789abcdef0123456789abcdef01234567"
)

// fixture is a registry holding one image, and the Sigstore instance that
// signs for the tests.
type fixture struct {
	sigstore *ca.VirtualSigstore
	image    name.Digest
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sigstore: vs, image: pushImage(t, strings.TrimPrefix(srv.URL, "http://")+"/pollstack")}
}

func pushImage(t *testing.T, repo string) name.Digest {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewDigest(repo + "@" + digest.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return ref
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

var sbom = map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []any{}}

// sign has the virtual Sigstore sign statement for identity and returns it
// as a v0.3 bundle's JSON, as actions/attest writes it.
func (f *fixture) sign(t *testing.T, identity string, statement []byte) []byte {
	t.Helper()
	entity, err := f.sigstore.AttestAtTime(identity, GitHubIssuer, statement, timeNowPlus5m(), true)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := entity.VerificationContent()
	cert := vc.(*sgbundle.Certificate).Certificate()
	sc, _ := entity.SignatureContent()
	env := sc.(*sgbundle.Envelope).Envelope
	entries, _ := entity.TlogEntries()
	timestamps, _ := entity.Timestamps()

	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var sigs []*protodsse.Signature
	for _, s := range env.Signatures {
		raw, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, &protodsse.Signature{Sig: raw, Keyid: s.KeyID})
	}
	var logEntries []*protorekor.TransparencyLogEntry
	for _, e := range entries {
		tle := e.TransparencyLogEntry()
		tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
		// The entry's signed entry timestamp, as Rekor returns it.
		set, err := f.sigstore.RekorSignPayload(tlog.RekorPayload{
			Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
			IntegratedTime: tle.IntegratedTime,
			LogIndex:       tle.LogIndex,
			LogID:          hex.EncodeToString(tle.LogId.KeyId),
		})
		if err != nil {
			t.Fatal(err)
		}
		tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
		logEntries = append(logEntries, tle)
	}
	var rfc3161 []*protocommon.RFC3161SignedTimestamp
	for _, ts := range timestamps {
		rfc3161 = append(rfc3161, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	pb := &protobundle.Bundle{
		MediaType: imagesig.BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: cert.Raw}},
			TlogEntries:               logEntries,
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: rfc3161},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: env.PayloadType, Signatures: sigs,
		}},
	}
	out, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// attach stores bundles as referrers of the fixture's image, as the apply
// job does with CI's.
func (f *fixture) attach(t *testing.T, bundles ...[]byte) {
	t.Helper()
	for _, b := range bundles {
		if _, err := imagesig.Attach(f.image, b); err != nil {
			t.Fatal(err)
		}
	}
}

// signed returns CI's two attestations of digest, signed by identity.
func (f *fixture) signed(t *testing.T, identity, digest string) (provenance, sbomBundle []byte) {
	return f.sign(t, identity, statement(t, digest, ProvenanceType, provenanceOf(identity, commit))),
		f.sign(t, identity, statement(t, digest, SBOMType, sbom))
}

// verifyStep runs the command as the pipeline does, with the virtual
// Sigstore as the trusted instance.
func (f *fixture) verifyStep(t *testing.T, extra ...string) (string, error) {
	t.Helper()
	trust := &Trust{Material: f.sigstore, Options: []verify.VerifierOption{
		verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1),
	}}
	var out bytes.Buffer
	args := append([]string{"--image", f.image.String(), "--identity", ciIdentity, "--commit", commit}, extra...)
	err := run(args, strings.NewReader(""), &out, trust)
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
	other := pushImage(t, f.image.Context().String())
	f.attach(t, pairOf(f.signed(t, ciIdentity, other.DigestStr()))...)
	_, err := f.verifyStep(t)
	wantRefused(t, err, "no valid build provenance", "no valid SBOM")
}

func TestProvenanceOfAnotherCommitFails(t *testing.T) {
	f := newFixture(t)
	f.attach(t, pairOf(f.signed(t, ciIdentity, f.image.DigestStr()))...)
	_, err := f.verifyStep(t, "--commit", strings.Repeat("e", 40))
	wantRefused(t, err, "no valid build provenance", "provenance says it was built from commit "+commit)
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

// timeNowPlus5m is when the virtual Rekor logs an entry: inside the
// validity of the leaf certificate the virtual Fulcio issues now.
func timeNowPlus5m() time.Time { return time.Now().Add(5 * time.Minute) }
