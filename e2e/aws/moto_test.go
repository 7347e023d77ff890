//go:build integration

package aws

// The AWS emulator harness: one moto server per test on a free loopback
// port (internal/motoserver), so that the environments apply in parallel;
// SDK clients pointed at it, and the helpers that build the
// images and faults the tests plant. moto is pinned in
// scripts/install-tools.sh and installed by `make tools`.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

const (
	awsRegion  = "us-east-1"
	awsAccount = "123456789012" // moto's default account
)

// repoRoot is the repository's top directory.
func repoRoot(tb testing.TB) string { return repo.Root() }

// awsConfig is an SDK configuration for an emulator with fake credentials.
func awsConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       awsRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Timeout: 60 * time.Second},
	}
}

// imageIndex builds an OCI image index with one random image per platform,
// each image's config naming its platform, as `docker buildx` pushes them.
func imageIndex(tb testing.TB, platforms ...v1.Platform) []byte {
	tb.Helper()
	var idx v1.ImageIndex = empty.Index
	idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	for _, p := range platforms {
		img, err := random.Image(256, 1)
		if err != nil {
			tb.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			tb.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = p.OS, p.Architecture
		img, err = mutate.ConfigFile(img, cf)
		if err != nil {
			tb.Fatal(err)
		}
		p := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	raw, err := idx.RawManifest()
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// pushIndex puts an image index into an ECR repository under tag.
func pushIndex(ctx context.Context, tb testing.TB, client *ecr.Client, repo, tag string, platforms ...v1.Platform) {
	tb.Helper()
	raw := imageIndex(tb, platforms...)
	_, err := client.PutImage(ctx, &ecr.PutImageInput{
		RepositoryName:         aws.String(repo),
		ImageTag:               aws.String(tag),
		ImageManifest:          aws.String(string(raw)),
		ImageManifestMediaType: aws.String(string(types.OCIImageIndex)),
	})
	if err != nil {
		var exists *ecrtypes.ImageAlreadyExistsException
		if !errors.As(err, &exists) {
			tb.Fatalf("push %s:%s: %v", repo, tag, err)
		}
	}
}

// pendingShim is the narrowest stand-in for one thing moto does not model:
// RDS modifications deferred to the maintenance window. moto applies every
// ModifyDBInstance at once and never returns PendingModifiedValues. The
// shim forwards every call to moto unchanged, remembers the fields of a
// ModifyDBInstance sent without ApplyImmediately=true, and adds them as
// PendingModifiedValues to that instance in DescribeDBInstances answers, as
// RDS does until the window. A later ModifyDBInstance with
// ApplyImmediately=true clears them.
type pendingShim struct {
	next    http.RoundTripper
	mu      sync.Mutex
	pending map[string][][2]string // instance id -> (field, value)
}

func newPendingShim() *pendingShim {
	return &pendingShim{next: http.DefaultTransport, pending: map[string][][2]string{}}
}

// deferrable maps ModifyDBInstance parameters to PendingModifiedValues fields.
var deferrable = []string{"DBInstanceClass", "AllocatedStorage", "MasterUserPassword", "EngineVersion", "MultiAZ", "StorageType", "Iops", "BackupRetentionPeriod"}

func (s *pendingShim) Do(req *http.Request) (*http.Response, error) { return s.RoundTrip(req) }

func (s *pendingShim) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	form := parseForm(string(body))
	switch form["Action"] {
	case "ModifyDBInstance":
		id := form["DBInstanceIdentifier"]
		s.mu.Lock()
		if form["ApplyImmediately"] == "true" {
			delete(s.pending, id)
		} else {
			for _, f := range deferrable {
				if v, ok := form[f]; ok {
					s.pending[id] = append(s.pending[id], [2]string{f, v})
				}
			}
		}
		s.mu.Unlock()
	case "DescribeDBInstances":
		resp, err := s.next.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			return resp, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		out := string(b)
		s.mu.Lock()
		for id, fields := range s.pending {
			var x strings.Builder
			x.WriteString("<PendingModifiedValues>")
			for _, f := range fields {
				fmt.Fprintf(&x, "<%s>%s</%s>", f[0], f[1], f[0])
			}
			x.WriteString("</PendingModifiedValues>")
			marker := "<DBInstanceIdentifier>" + id + "</DBInstanceIdentifier>"
			out = strings.Replace(out, marker, marker+x.String(), 1)
		}
		s.mu.Unlock()
		resp.Body = io.NopCloser(strings.NewReader(out))
		resp.ContentLength = int64(len(out))
		resp.Header.Del("Content-Length")
		return resp, nil
	}
	return s.next.RoundTrip(req)
}

func parseForm(body string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(body, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out[k] = v
	}
	return out
}
