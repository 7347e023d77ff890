// A Sigstore instance for the tests that signs as
// GitHub Actions does through the public-good instance: a Fulcio
// certificate whose subject alternative name is the workflow's URI, with
// GitHub's claims as certificate extensions (the calling workflow, the
// repository's and owner's numeric IDs, the runner environment, the
// commit) and an embedded certificate transparency proof (SCT), a Rekor
// entry and an RFC 3161 timestamp. Its trusted root has a CT log, a Rekor
// log and a timestamp authority, like the public-good root, so a verifier
// under test runs the policy it runs in production.
//
// Rekor and the timestamp authority are sigstore-go's virtual ones
// (pkg/testing/ca); Fulcio and the CT log are here, because the virtual
// Fulcio issues neither extensions nor SCTs. It lives in a test file: it
// imports sigstore-go's testing/ca, and with it golang.org/x/crypto/openpgp
// (GO-2026-5932), which nothing but the tests may reach.

package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"testing"
	"time"

	ct "github.com/google/certificate-transparency-go"
	cttls "github.com/google/certificate-transparency-go/tls"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/pollstack/pollstack/internal/imagesig"
)

// sigClaims are what a GitHub Actions OIDC token says and Fulcio copies into
// the certificate.
type sigClaims struct {
	Identity            string // SAN: the workflow that signs (job_workflow_ref as a URI)
	Issuer              string
	BuildConfigURI      string // the calling workflow (workflow_ref as a URI)
	RepositoryID        string
	RepositoryOwnerID   string
	RunnerEnvironment   string // github-hosted or self-hosted
	RepositoryDigest    string // the commit
	WithoutSCT          bool   // leave the certificate transparency proof out
	WithoutTransparency bool   // leave the Rekor entry out
}

// testSigstore is a running test Sigstore.
type testSigstore struct {
	virtual   *ca.VirtualSigstore
	caRoot    *x509.Certificate
	caInter   *x509.Certificate
	interKey  *ecdsa.PrivateKey
	ctKey     *ecdsa.PrivateKey
	trustRoot *root.TrustedRoot
}

// newSigstore starts an instance.
func newSigstore(t testing.TB) *testSigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	rootCert, rootKey, err := ca.GenerateRootCa()
	if err != nil {
		t.Fatal(err)
	}
	inter, interKey, err := ca.GenerateFulcioIntermediate(rootCert, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	ctKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	in := &testSigstore{virtual: vs, caRoot: rootCert, caInter: inter, interKey: interKey, ctKey: ctKey}
	fulcio := &root.FulcioCertificateAuthority{
		Root: rootCert, Intermediates: []*x509.Certificate{inter}, URI: "https://fulcio.test",
		ValidityPeriodStart: time.Now().Add(-time.Hour), ValidityPeriodEnd: time.Now().Add(time.Hour),
	}
	in.trustRoot, err = root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{fulcio}, in.ctLogs(), vs.TimestampingAuthorities(), rekorLogs(vs))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TrustedRoot is the instance's trusted root, in place of the public-good one.
func (in *testSigstore) TrustedRoot() *root.TrustedRoot { return in.trustRoot }

// WriteTrustedRoot writes the trusted root as trusted_root.json to path.
func (in *testSigstore) WriteTrustedRoot(t testing.TB, path string) {
	t.Helper()
	data, err := in.trustRoot.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rekorLogs are the virtual Rekor's logs with their IDs as the raw key
// hashes, as a trusted_root.json holds them (the virtual instance keeps the
// hex text, which does not survive a round trip through JSON).
func rekorLogs(vs *ca.VirtualSigstore) map[string]*root.TransparencyLog {
	logs := vs.RekorLogs()
	for id, l := range logs {
		raw, err := hex.DecodeString(id)
		if err != nil {
			panic(err)
		}
		l.ID = raw
	}
	return logs
}

func (in *testSigstore) ctLogID() [32]byte {
	der, err := x509.MarshalPKIXPublicKey(in.ctKey.Public())
	if err != nil {
		panic(err)
	}
	return sha256.Sum256(der)
}

func (in *testSigstore) ctLogs() map[string]*root.TransparencyLog {
	id := in.ctLogID()
	return map[string]*root.TransparencyLog{hex.EncodeToString(id[:]): {
		BaseURL: "https://ctfe.test", ID: id[:], HashFunc: crypto.SHA256, PublicKey: in.ctKey.Public(),
		ValidityPeriodStart: time.Now().Add(-time.Hour), ValidityPeriodEnd: time.Now().Add(time.Hour),
	}}
}

// Sign signs an in-toto statement for the claims in a DSSE envelope and
// returns the Sigstore bundle's JSON, as actions/attest writes it.
func (in *testSigstore) Sign(t testing.TB, c sigClaims, statement []byte) []byte {
	t.Helper()
	b, err := in.sign(c, statement)
	if err != nil {
		t.Fatalf("test Sigstore: sign: %v", err)
	}
	return b
}

func (in *testSigstore) sign(c sigClaims, statement []byte) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leaf, err := in.leafCert(c, key)
	if err != nil {
		return nil, err
	}
	signer, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	envSigner, err := dsse.NewEnvelopeSigner(&sigdsse.SignerAdapter{SignatureSigner: signer, Pub: &key.PublicKey})
	if err != nil {
		return nil, err
	}
	env, err := envSigner.SignPayload(context.Background(), "application/vnd.in-toto+json", statement)
	if err != nil {
		return nil, err
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		return nil, err
	}
	ts, err := in.virtual.TimestampResponse(sig)
	if err != nil {
		return nil, err
	}
	var entries []*protorekor.TransparencyLogEntry
	if !c.WithoutTransparency {
		entry, err := in.logEntry(leaf, env, sig)
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, err
	}
	pb := &protobundle.Bundle{
		MediaType: imagesig.BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: leaf.Raw}},
			TlogEntries:               entries,
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: ts}}},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: env.PayloadType,
			Signatures: []*protodsse.Signature{{Sig: sig, Keyid: env.Signatures[0].KeyID}},
		}},
	}
	return protojson.Marshal(pb)
}

// logEntry logs the envelope in the virtual Rekor, with the signed entry
// timestamp Rekor returns.
func (in *testSigstore) logEntry(leaf *x509.Certificate, env *dsse.Envelope, sig []byte) (*protorekor.TransparencyLogEntry, error) {
	entry, err := in.virtual.GenerateTlogEntry(leaf, env, sig, time.Now().Unix(), true)
	if err != nil {
		return nil, err
	}
	tle := entry.TransparencyLogEntry()
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	set, err := in.virtual.RekorSignPayload(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
		IntegratedTime: tle.IntegratedTime,
		LogIndex:       tle.LogIndex,
		LogID:          hex.EncodeToString(tle.LogId.KeyId),
	})
	if err != nil {
		return nil, err
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	return tle, nil
}

var (
	oidSCTList = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
	serial     = big.NewInt(1)
)

// leafCert issues the Fulcio certificate for the claims: first without its
// SCT, whose to-be-signed part the CT log signs (the precertificate), then
// the same certificate with the SCT list appended as the last extension.
func (in *testSigstore) leafCert(c sigClaims, key *ecdsa.PrivateKey) (*x509.Certificate, error) {
	san, err := url.Parse(c.Identity)
	if err != nil {
		return nil, err
	}
	exts, err := claimExtensions(c)
	if err != nil {
		return nil, err
	}
	serial.Add(serial, big.NewInt(1))
	tmpl := &x509.Certificate{
		SerialNumber:    new(big.Int).Set(serial),
		NotBefore:       time.Now().Add(-time.Minute),
		NotAfter:        time.Now().Add(10 * time.Minute),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		URIs:            []*url.URL{san},
		ExtraExtensions: exts,
	}
	pre, err := in.issue(tmpl, key)
	if err != nil || c.WithoutSCT {
		return pre, err
	}
	sctList, err := in.sct(pre.RawTBSCertificate)
	if err != nil {
		return nil, err
	}
	tmpl.ExtraExtensions = append(exts, pkix.Extension{Id: oidSCTList, Value: sctList})
	return in.issue(tmpl, key)
}

func (in *testSigstore) issue(tmpl *x509.Certificate, key *ecdsa.PrivateKey) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, in.caInter, &key.PublicKey, in.interKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// claimExtensions encodes the claims as Fulcio does: DER UTF8Strings under
// Sigstore's OIDs.
func claimExtensions(c sigClaims) ([]pkix.Extension, error) {
	var exts []pkix.Extension
	for _, e := range []struct {
		oid   asn1.ObjectIdentifier
		value string
	}{
		{certificate.OIDIssuerV2, c.Issuer},
		{certificate.OIDBuildSignerURI, c.Identity},
		{certificate.OIDRunnerEnvironment, c.RunnerEnvironment},
		{certificate.OIDSourceRepositoryDigest, c.RepositoryDigest},
		{certificate.OIDSourceRepositoryIdentifier, c.RepositoryID},
		{certificate.OIDSourceRepositoryOwnerIdentifier, c.RepositoryOwnerID},
		{certificate.OIDBuildConfigURI, c.BuildConfigURI},
	} {
		if e.value == "" {
			continue
		}
		der, err := asn1.MarshalWithParams(e.value, "utf8")
		if err != nil {
			return nil, err
		}
		exts = append(exts, pkix.Extension{Id: e.oid, Value: der})
	}
	return exts, nil
}

// sct has the CT log sign the precertificate's to-be-signed part and
// returns the SCT list extension's value.
func (in *testSigstore) sct(preTBS []byte) ([]byte, error) {
	keyHash := sha256.Sum256(in.caInter.RawSubjectPublicKeyInfo)
	sct := ct.SignedCertificateTimestamp{
		SCTVersion: ct.V1,
		LogID:      ct.LogID{KeyID: in.ctLogID()},
		Timestamp:  uint64(time.Now().UnixMilli()),
	}
	leaf := ct.MerkleTreeLeaf{
		Version:  ct.V1,
		LeafType: ct.TimestampedEntryLeafType,
		TimestampedEntry: &ct.TimestampedEntry{
			Timestamp:    sct.Timestamp,
			EntryType:    ct.PrecertLogEntryType,
			PrecertEntry: &ct.PreCert{IssuerKeyHash: keyHash, TBSCertificate: preTBS},
		},
	}
	input, err := ct.SerializeSCTSignatureInput(sct, ct.LogEntry{Leaf: leaf})
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(input)
	sig, err := ecdsa.SignASN1(rand.Reader, in.ctKey, digest[:])
	if err != nil {
		return nil, err
	}
	sct.Signature = ct.DigitallySigned{
		Algorithm: cttls.SignatureAndHashAlgorithm{Hash: cttls.SHA256, Signature: cttls.ECDSA},
		Signature: sig,
	}
	raw, err := cttls.Marshal(sct)
	if err != nil {
		return nil, fmt.Errorf("serialize the SCT: %w", err)
	}
	// SignedCertificateTimestampList: a 16-bit length, then each SCT with
	// its own 16-bit length; the extension holds it as an OCTET STRING.
	list := binary.BigEndian.AppendUint16(nil, uint16(len(raw)+2))
	list = binary.BigEndian.AppendUint16(list, uint16(len(raw)))
	list = append(list, raw...)
	return asn1.Marshal(list)
}
