// Package registrytest is an in-process OCI registry for tests
// (go-containerregistry's), quiet, and random images pushed to it.
package registrytest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Start serves a registry for this test, through wrap when it is not nil
// (to make it behave as another registry would), and returns the
// repository <host:port>/pollstack.
func Start(tb testing.TB, wrap func(http.Handler) http.Handler) string {
	tb.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://") + "/pollstack"
}

// PushRandom pushes a small random image to repo and returns it by digest.
func PushRandom(tb testing.TB, repo string) name.Digest {
	tb.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		tb.Fatal(err)
	}
	digest, err := img.Digest()
	if err != nil {
		tb.Fatal(err)
	}
	ref, err := name.NewDigest(repo + "@" + digest.String())
	if err != nil {
		tb.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		tb.Fatal(err)
	}
	return ref
}
