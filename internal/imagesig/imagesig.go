// Package imagesig stores and finds an image's Sigstore bundles in its OCI
// registry, in the layout that actions/attest (push-to-registry) and cosign
// v3 use: each bundle is an OCI artifact whose subject is the image, found
// through the registry's referrers API (or its tag fallback).
//
// The artifact is an image manifest with artifactType
// application/vnd.dev.sigstore.bundle.v0.3+json, the empty config
// ({}, application/vnd.oci.empty.v1+json), one layer holding the bundle's
// JSON with the bundle's media type, the image as subject, and the
// annotations dev.sigstore.bundle.content (dsse-envelope) and
// dev.sigstore.bundle.predicateType.
//
// The package reads and writes bytes only; cmd/verify-image checks them.
package imagesig

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	// BundleMediaType is the media type of a Sigstore bundle v0.3, the
	// artifactType of its OCI artifact and the media type of its one layer.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// bundleTypePrefix matches every bundle version when reading.
	bundleTypePrefix = "application/vnd.dev.sigstore.bundle"

	emptyMediaType = "application/vnd.oci.empty.v1+json"

	AnnotationContent       = "dev.sigstore.bundle.content"
	AnnotationPredicateType = "dev.sigstore.bundle.predicateType"

	// maxBundleSize bounds what is read from a registry: a bundle holds a
	// certificate chain, a log entry and one statement (an SBOM at most a
	// few megabytes).
	maxBundleSize = 32 << 20
)

// PredicateType reads the in-toto predicate type of a bundle's DSSE
// statement, without checking anything: it names the artifact.
func PredicateType(bundleJSON []byte) (string, error) {
	var b struct {
		MediaType    string `json:"mediaType"`
		DSSEEnvelope *struct {
			Payload     string `json:"payload"`
			PayloadType string `json:"payloadType"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(bundleJSON, &b); err != nil {
		return "", fmt.Errorf("not a Sigstore bundle: %w", err)
	}
	if !strings.HasPrefix(b.MediaType, bundleTypePrefix) {
		return "", fmt.Errorf("not a Sigstore bundle: media type %q", b.MediaType)
	}
	if b.DSSEEnvelope == nil {
		return "", errors.New("the bundle holds no DSSE envelope (an attestation)")
	}
	payload, err := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
	if err != nil {
		return "", fmt.Errorf("bundle payload: %w", err)
	}
	var statement struct {
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(payload, &statement); err != nil || statement.PredicateType == "" {
		return "", errors.New("the bundle's payload is not an in-toto statement with a predicate type")
	}
	return statement.PredicateType, nil
}

// Attach stores bundleJSON in image's repository as an artifact whose
// subject is image, and returns the artifact's digest (AttachAll).
func Attach(image name.Digest, bundleJSON []byte, options ...remote.Option) (v1.Hash, error) {
	digests, err := AttachAll(image, [][]byte{bundleJSON}, options...)
	if err != nil {
		return v1.Hash{}, err
	}
	return digests[0], nil
}

// AttachAll stores each bundle in image's repository as an artifact whose
// subject is image, and returns the artifacts' digests. A registry that
// serves the OCI referrers API lists them itself. One that does not is
// given the referrers tag (sha256-<hex> of the image) once, listing every
// bundle: with immutable tags (ECR's IMMUTABLE repositories) that tag can
// be written once and never updated, so it cannot grow one bundle at a
// time; a tag that already exists must already list them all.
func AttachAll(image name.Digest, bundles [][]byte, options ...remote.Option) ([]v1.Hash, error) {
	subject, err := remote.Head(image, options...)
	if err != nil {
		return nil, fmt.Errorf("the image %s: %w", image, err)
	}
	referrersAPI, err := servesReferrers(image, options...)
	if err != nil {
		return nil, err
	}
	var digests []v1.Hash
	var descs []v1.Descriptor
	for _, b := range bundles {
		desc, err := putArtifact(image, subject, b, referrersAPI, options...)
		if err != nil {
			return nil, err
		}
		digests = append(digests, desc.Digest)
		descs = append(descs, desc)
	}
	if !referrersAPI {
		if err := writeReferrersTag(image, descs, options...); err != nil {
			return nil, err
		}
	}
	return digests, nil
}

// servesReferrers asks the registry for image's referrers without the tag
// fallback: an answer means the API is there.
func servesReferrers(image name.Digest, options ...remote.Option) (bool, error) {
	_, err := remote.Referrers(image, append(slices.Clone(options), remote.WithReferrersTagFallback(false))...)
	switch {
	case err == nil:
		return true, nil
	case strings.Contains(err.Error(), "does not support the Referrers API"):
		return false, nil
	default:
		return false, fmt.Errorf("list the referrers of %s: %w", image, err)
	}
}

// putArtifact stores one bundle as an artifact of subject. Without the
// referrers API the manifest is stored with the tag fallback off, and
// go-containerregistry then reports the missing API after the upload: the
// artifact must be in the registry all the same.
func putArtifact(image name.Digest, subject *v1.Descriptor, bundleJSON []byte, referrersAPI bool, options ...remote.Option) (v1.Descriptor, error) {
	predicateType, err := PredicateType(bundleJSON)
	if err != nil {
		return v1.Descriptor{}, err
	}
	repo := image.Context()
	config := static.NewLayer([]byte("{}"), emptyMediaType)
	layer := static.NewLayer(bundleJSON, BundleMediaType)
	for _, blob := range []v1.Layer{config, layer} {
		if err := remote.WriteLayer(repo, blob, options...); err != nil {
			return v1.Descriptor{}, fmt.Errorf("upload to %s: %w", repo, err)
		}
	}
	manifest := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  BundleMediaType,
		Config:        descriptor(config, emptyMediaType),
		Layers:        []v1.Descriptor{descriptor(layer, BundleMediaType)},
		Subject:       &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		Annotations: map[string]string{
			AnnotationContent:       "dsse-envelope",
			AnnotationPredicateType: predicateType,
		},
	}
	raw, err := json.Marshal(manifest)
	if err != nil {
		return v1.Descriptor{}, err
	}
	desc := v1.Descriptor{
		MediaType: types.OCIManifestSchema1, ArtifactType: BundleMediaType, Annotations: manifest.Annotations,
		Digest: v1.Hash{Algorithm: "sha256", Hex: hexSHA256(raw)}, Size: int64(len(raw)),
	}
	ref := repo.Digest(desc.Digest.String())
	putErr := remote.Put(ref, rawManifest(raw), append(slices.Clone(options), remote.WithReferrersTagFallback(referrersAPI))...)
	if putErr != nil {
		if _, err := remote.Head(ref, options...); referrersAPI || err != nil {
			return v1.Descriptor{}, fmt.Errorf("store the bundle for %s: %w", image, putErr)
		}
	}
	return desc, nil
}

// writeReferrersTag writes the referrers tag of image as an index of the
// artifacts, or checks that the existing one lists them all.
func writeReferrersTag(image name.Digest, descs []v1.Descriptor, options ...remote.Option) error {
	tag := image.Context().Tag(strings.Replace(image.DigestStr(), ":", "-", 1))
	if existing, err := remote.Index(tag, options...); err == nil {
		m, err := existing.IndexManifest()
		if err != nil {
			return fmt.Errorf("referrers tag %s: %w", tag, err)
		}
		for _, d := range descs {
			if !slices.ContainsFunc(m.Manifests, func(e v1.Descriptor) bool { return e.Digest == d.Digest }) {
				return fmt.Errorf("the registry does not serve the OCI referrers API and its referrers tag %s already lists other artifacts (tags may be immutable): the bundle %s cannot be added", tag, d.Digest)
			}
		}
		return nil
	}
	sort.Slice(descs, func(i, j int) bool { return descs[i].Digest.String() < descs[j].Digest.String() })
	raw, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: descs})
	if err != nil {
		return err
	}
	if err := remote.Put(tag, rawIndex(raw), options...); err != nil {
		return fmt.Errorf("write the referrers tag %s: %w", tag, err)
	}
	return nil
}

// Bundle is one Sigstore bundle found for an image.
type Bundle struct {
	Digest        v1.Hash // of the artifact's manifest
	Source        string  // where it was read: the artifact's digest, or a file
	PredicateType string  // as annotated; verify the statement, not this
	JSON          []byte
}

// Find returns every Sigstore bundle stored for image.
func Find(image name.Digest, options ...remote.Option) ([]Bundle, error) {
	index, err := remote.Referrers(image, options...)
	if err != nil {
		return nil, fmt.Errorf("list the referrers of %s: %w", image, err)
	}
	manifest, err := index.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("referrers of %s: %w", image, err)
	}
	var found []Bundle
	for _, d := range manifest.Manifests {
		if !strings.HasPrefix(d.ArtifactType, bundleTypePrefix) {
			continue
		}
		data, err := bundleLayer(image.Context().Digest(d.Digest.String()), options...)
		if err != nil {
			return nil, err
		}
		found = append(found, Bundle{Digest: d.Digest, Source: d.Digest.String(), PredicateType: d.Annotations[AnnotationPredicateType], JSON: data})
	}
	return found, nil
}

// bundleLayer reads the bundle out of one artifact.
func bundleLayer(artifact name.Digest, options ...remote.Option) ([]byte, error) {
	desc, err := remote.Get(artifact, options...)
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", artifact, err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return nil, fmt.Errorf("artifact %s: %w", artifact, err)
	}
	if len(m.Layers) != 1 || !strings.HasPrefix(string(m.Layers[0].MediaType), bundleTypePrefix) {
		return nil, fmt.Errorf("artifact %s: want one layer holding a Sigstore bundle", artifact)
	}
	if m.Layers[0].Size > maxBundleSize {
		return nil, fmt.Errorf("artifact %s: bundle of %d bytes is larger than %d", artifact, m.Layers[0].Size, maxBundleSize)
	}
	layer, err := remote.Layer(artifact.Context().Digest(m.Layers[0].Digest.String()), options...)
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", artifact, err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", artifact, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", artifact, err)
	}
	if hexSHA256(data) != m.Layers[0].Digest.Hex {
		return nil, fmt.Errorf("artifact %s: the bundle does not match its digest", artifact)
	}
	return data, nil
}

func descriptor(l v1.Layer, mediaType types.MediaType) v1.Descriptor {
	digest, _ := l.Digest() // static layers cannot fail
	size, _ := l.Size()
	return v1.Descriptor{MediaType: mediaType, Digest: digest, Size: size}
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// rawManifest is a manifest to Put as it is.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error) { return bytes.Clone(m), nil }
func (m rawManifest) MediaType() (types.MediaType, error) {
	return types.OCIManifestSchema1, nil
}

// rawIndex is an image index to Put as it is.
type rawIndex []byte

func (m rawIndex) RawManifest() ([]byte, error)        { return bytes.Clone(m), nil }
func (m rawIndex) MediaType() (types.MediaType, error) { return types.OCIImageIndex, nil }

// RegistryAuth returns the registry options for a user name and a password
// read from stdin (as `aws ecr get-login-password | ... --password-stdin`),
// or, without a password, the Docker config's credentials.
func RegistryAuth(user string, passwordStdin bool, stdin io.Reader) ([]remote.Option, error) {
	if !passwordStdin {
		return []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}, nil
	}
	pw, err := io.ReadAll(io.LimitReader(stdin, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("read the registry password: %w", err)
	}
	pw = bytes.TrimSpace(pw)
	if user == "" || len(pw) == 0 {
		return nil, errors.New("--password-stdin needs --username and a password on standard input")
	}
	return []remote.Option{remote.WithAuth(&authn.Basic{Username: user, Password: string(pw)})}, nil
}
