package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/pollstack/pollstack/internal/imagesig"
)

const (
	// The predicate types that actions/attest writes for build provenance
	// and for a CycloneDX SBOM.
	ProvenanceType = "https://slsa.dev/provenance/v1"
	SBOMType       = "https://cyclonedx.org/bom"
)

// Policy is what an image's attestations must prove.
type Policy struct {
	// Identity is the signer: the certificate's subject alternative name,
	// for GitHub Actions the workflow file at a ref,
	// https://github.com/OWNER/REPO/.github/workflows/ci.yml@refs/heads/main.
	Identity string
	// Issuer is the OIDC issuer that vouched for the identity.
	Issuer string
	// Commit, when set, is the git commit the provenance and the
	// certificate must name.
	Commit string
	// Caller is the workflow that called the signer (the certificate's
	// build config URI): only deploy.yml on main may have CI sign.
	Caller string
	// RepositoryID and OwnerID are GitHub's numeric IDs of the repository
	// and its owner: a repository deleted and re-created under the same
	// name by someone else has other IDs.
	RepositoryID, OwnerID string
}

// HostedRunner is the runner environment GitHub's own machines report: a
// self-hosted runner (which anyone with access to that machine controls)
// never signs what is deployed.
const HostedRunner = "github-hosted"

// Trust is the Sigstore instance the signatures must chain to, and what
// each signature must carry besides (transparency log entries, timestamps,
// certificate transparency).
type Trust struct {
	Material root.TrustedMaterial
	Options  []verify.VerifierOption
}

// Result says what was verified.
type Result struct {
	Image      name.Digest
	Provenance *verify.VerificationResult
	SBOM       *verify.VerificationResult
	Builder    string // the provenance's builder id
}

// Verify finds image's Sigstore bundles in its registry and checks them
// (VerifyBundles).
func Verify(image name.Digest, p Policy, trust Trust, options ...remote.Option) (*Result, error) {
	found, err := imagesig.Find(image, options...)
	if err != nil {
		return nil, err
	}
	return VerifyBundles(image, p, trust, found)
}

// VerifyBundles checks that among the bundles a build provenance and an
// SBOM attestation of exactly image's digest are signed by the policy's
// identity, chain to the trusted Sigstore instance, and (for the
// provenance) were built by that identity from the commit. The error says
// what is missing or wrong for each bundle.
func VerifyBundles(image name.Digest, p Policy, trust Trust, found []imagesig.Bundle) (*Result, error) {
	if p.Identity == "" || p.Issuer == "" || p.Caller == "" || p.RepositoryID == "" || p.OwnerID == "" {
		return nil, errors.New("the policy needs an identity, an issuer, a calling workflow and the repository and owner IDs")
	}
	digest, err := hex.DecodeString(strings.TrimPrefix(image.DigestStr(), "sha256:"))
	if err != nil || !strings.HasPrefix(image.DigestStr(), "sha256:") {
		return nil, fmt.Errorf("image %s: want a sha256 digest", image)
	}
	verifier, err := verify.NewVerifier(trust.Material, trust.Options...)
	if err != nil {
		return nil, fmt.Errorf("sigstore verifier: %w", err)
	}
	policy, err := signaturePolicy(p, digest)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("image %s is not signed: the registry holds no Sigstore bundle for it", image)
	}
	res := &Result{Image: image}
	var problems []string
	for _, f := range found {
		vr, err := verifyBundle(verifier, policy, f.JSON)
		if err == nil {
			err = res.accept(vr, p)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("bundle %s (%s): %v", f.Source, orUnknown(f.PredicateType), err))
		}
	}
	var missing []string
	// check: provenance required
	if res.Provenance == nil {
		missing = append(missing, "build provenance ("+ProvenanceType+")")
	}
	// check: SBOM required
	if res.SBOM == nil {
		missing = append(missing, "SBOM ("+SBOMType+")")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("image %s: no valid %s signed by %s (issuer %s) among %d bundles:\n  %s",
			image, strings.Join(missing, " and no valid "), p.Identity, p.Issuer, len(found), strings.Join(problems, "\n  "))
	}
	return res, nil
}

// signaturePolicy is what each bundle's signature must prove: a statement
// about exactly this digest, signed by a certificate for the identity and
// issuer that carries GitHub's claims of the calling workflow, the
// repository, its owner, the runner and (when given) the commit. Each
// "check:" comment names a check that the mutation test
// (checks/mutation_test.go) deletes, or replaces with what follows "else:",
// to show that some test fails without it.
func signaturePolicy(p Policy, digest []byte) (verify.PolicyBuilder, error) {
	// check: signer identity, else: san, err := verify.NewSANMatcher("", ".*")
	san, err := verify.NewSANMatcher(p.Identity, "")
	if err != nil {
		return verify.PolicyBuilder{}, err
	}
	// check: issuer, else: issuer, err := verify.NewIssuerMatcher("", ".*")
	issuer, err := verify.NewIssuerMatcher(p.Issuer, "")
	if err != nil {
		return verify.PolicyBuilder{}, err
	}
	identity, err := verify.NewCertificateIdentity(san, issuer, certificate.Extensions{
		// check: calling workflow
		BuildConfigURI: p.Caller,
		// check: repository ID
		SourceRepositoryIdentifier: p.RepositoryID,
		// check: owner ID
		SourceRepositoryOwnerIdentifier: p.OwnerID,
		// check: runner environment
		RunnerEnvironment: HostedRunner,
		// check: certificate commit
		SourceRepositoryDigest: p.Commit,
	})
	if err != nil {
		return verify.PolicyBuilder{}, err
	}
	return verify.NewPolicy(
		// check: artifact digest, else: verify.WithoutArtifactUnsafe()
		verify.WithArtifactDigest("sha256", digest),
		verify.WithCertificateIdentity(identity),
	), nil
}

func verifyBundle(v *verify.Verifier, policy verify.PolicyBuilder, data []byte) (*verify.VerificationResult, error) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("not a valid Sigstore bundle: %w", err)
	}
	vr, err := v.Verify(&b, policy)
	if err != nil {
		return nil, err
	}
	if vr.Statement == nil {
		return nil, errors.New("the bundle holds no in-toto statement")
	}
	return vr, nil
}

// accept files a verified statement under its predicate type, after the
// provenance checks.
func (r *Result) accept(vr *verify.VerificationResult, p Policy) error {
	switch t := vr.Statement.GetPredicateType(); t {
	case ProvenanceType:
		builder, err := checkProvenance(vr, p)
		if err != nil {
			return err
		}
		r.Provenance, r.Builder = vr, builder
	case SBOMType:
		if err := checkSBOM(vr, r.Image); err != nil {
			return err
		}
		r.SBOM = vr
	default:
		return fmt.Errorf("predicate type %s is neither provenance nor SBOM", t)
	}
	return nil
}

// provenance is the part of a SLSA v1 provenance predicate (as
// actions/attest writes it) that the policy checks.
type provenance struct {
	BuildDefinition struct {
		ResolvedDependencies []struct {
			URI    string            `json:"uri"`
			Digest map[string]string `json:"digest"`
		} `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
	} `json:"runDetails"`
}

// checkProvenance checks that the signed provenance names the signer as
// its builder and, when asked, the commit it was built from.
func checkProvenance(vr *verify.VerificationResult, p Policy) (string, error) {
	raw, err := vr.Statement.GetPredicate().MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("provenance predicate: %w", err)
	}
	var prov provenance
	if err := json.Unmarshal(raw, &prov); err != nil {
		return "", fmt.Errorf("provenance predicate: %w", err)
	}
	// check: builder ID
	if got := prov.RunDetails.Builder.ID; got != p.Identity {
		return "", fmt.Errorf("provenance names builder %q, want %q", got, p.Identity)
	}
	if p.Commit == "" {
		return prov.RunDetails.Builder.ID, nil
	}
	var commits []string
	for _, d := range prov.BuildDefinition.ResolvedDependencies {
		if c := d.Digest["gitCommit"]; c != "" {
			commits = append(commits, c)
		}
	}
	// check: provenance commit
	if !slices.Contains(commits, p.Commit) {
		return "", fmt.Errorf("provenance says it was built from commit %s, want %s", orUnknown(strings.Join(commits, ", ")), p.Commit)
	}
	return prov.RunDetails.Builder.ID, nil
}

// sbomDigestProperty is the property by which cmd/image's SBOM names the
// image it describes.
const sbomDigestProperty = "oci:image:digest"

// checkSBOM checks that the signed SBOM describes this image: the
// statement's subject is the digest, and so must be what the SBOM itself
// says it describes, so that an SBOM of another build signed for this
// digest does not count.
func checkSBOM(vr *verify.VerificationResult, image name.Digest) error {
	raw, err := vr.Statement.GetPredicate().MarshalJSON()
	if err != nil {
		return fmt.Errorf("SBOM predicate: %w", err)
	}
	var bom struct {
		Metadata struct {
			Component struct {
				Properties []struct{ Name, Value string } `json:"properties"`
			} `json:"component"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &bom); err != nil {
		return fmt.Errorf("SBOM predicate: %w", err)
	}
	var named []string
	for _, prop := range bom.Metadata.Component.Properties {
		if prop.Name == sbomDigestProperty {
			named = append(named, prop.Value)
		}
	}
	// check: SBOM names the image
	if !slices.Equal(named, []string{image.DigestStr()}) {
		return fmt.Errorf("the SBOM describes image %s, want %s", orUnknown(strings.Join(named, ", ")), image.DigestStr())
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
