package imagesig_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pollstack/pollstack/internal/imagesig"
	"github.com/pollstack/pollstack/internal/testing/registrytest"
)

var (
	referrersPath = regexp.MustCompile(`^/v2/.+/referrers/`)
	tagPut        = regexp.MustCompile(`^/v2/(.+)/manifests/([^/:@]+)$`)
)

// immutableWithoutReferrers is go-containerregistry's test registry as a
// repository with IMMUTABLE tags (as ECR makes them) on a registry without
// the referrers API: the referrers endpoint answers 404, and a tag, once
// written, cannot be written again (ECR's ImageTagAlreadyExistsException).
func immutableWithoutReferrers(t *testing.T) string {
	t.Helper()
	var mu sync.Mutex
	tags := map[string]bool{}
	return registrytest.Start(t, func(inner http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if referrersPath.MatchString(r.URL.Path) {
				http.NotFound(w, r)
				return
			}
			if m := tagPut.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPut {
				mu.Lock()
				exists := tags[r.URL.Path]
				tags[r.URL.Path] = true
				mu.Unlock()
				if exists {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprintf(w, `{"errors":[{"code":"TAG_INVALID","message":"The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable."}]}`, m[2], m[1])
					return
				}
			}
			inner.ServeHTTP(w, r)
		})
	})
}

// bundle is a Sigstore bundle's shape with a statement of predicateType
// (imagesig stores bytes; cmd/verify-image checks signatures).
func bundle(t *testing.T, predicateType string) []byte {
	t.Helper()
	statement, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "predicateType": predicateType})
	b, err := json.Marshal(map[string]any{
		"mediaType":    imagesig.BundleMediaType,
		"dsseEnvelope": map[string]any{"payload": base64.StdEncoding.EncodeToString(statement), "payloadType": "application/vnd.in-toto+json"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The apply job stores CI's two bundles next to the image, and may run
// again (Re-run failed jobs): through the referrers tag, with immutable
// tags, both are stored and found, and a second push changes nothing.
func TestAttachWithImmutableTags(t *testing.T) {
	image := registrytest.PushRandom(t, immutableWithoutReferrers(t))
	bundles := [][]byte{bundle(t, "https://slsa.dev/provenance/v1"), bundle(t, "https://cyclonedx.org/bom")}
	for run := range 2 {
		if _, err := imagesig.AttachAll(image, bundles); err != nil {
			t.Fatalf("push %d: %v", run+1, err)
		}
	}
	found, err := imagesig.Find(image)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, f := range found {
		types = append(types, f.PredicateType)
	}
	slices.Sort(types)
	if want := []string{"https://cyclonedx.org/bom", "https://slsa.dev/provenance/v1"}; !slices.Equal(types, want) {
		t.Errorf("found bundles of %q, want %q", types, want)
	}
}

// Without the referrers API, a referrers tag that already lists other
// artifacts cannot take more: the error says why.
func TestAttachRefusesAnImmutableReferrersTagOfOthers(t *testing.T) {
	image := registrytest.PushRandom(t, immutableWithoutReferrers(t))
	if _, err := imagesig.AttachAll(image, [][]byte{bundle(t, "https://slsa.dev/provenance/v1")}); err != nil {
		t.Fatal(err)
	}
	_, err := imagesig.AttachAll(image, [][]byte{bundle(t, "https://cyclonedx.org/bom")})
	if err == nil || !strings.Contains(err.Error(), "already lists other artifacts") {
		t.Fatalf("AttachAll = %v, want an error naming the immutable referrers tag", err)
	}
}
