package e2e

// The AWS emulator harness: one moto server per test binary on a free
// loopback port, SDK clients pointed at it, and the helpers that build the
// images and faults the tests plant. moto is pinned in
// scripts/install-tools.sh and installed by `make tools`.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
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
)

const (
	awsRegion  = "us-east-1"
	awsAccount = "123456789012" // moto's default account
)

// repoRoot is the repository's top directory.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

var moto struct {
	once sync.Once
	url  string
	err  error
	log  *lockedWriter
}

// motoURL starts the moto server once for this test binary and returns its
// endpoint. The server dies with the test binary (parent-death signal).
func motoURL(tb testing.TB) string {
	tb.Helper()
	moto.once.Do(func() {
		bin := filepath.Join(repoRoot(tb), ".tools", "bin", "moto_server")
		if _, err := os.Stat(bin); err != nil {
			moto.err = fmt.Errorf("moto_server is not installed at %s: run `make tools` (or scripts/install-tools.sh moto_server) to install moto[server] 5.2.5", bin)
			return
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			moto.err = err
			return
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		moto.log = &lockedWriter{}
		cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
		cmd.Stdout, cmd.Stderr = moto.log, moto.log
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		// AWS managed policies (AmazonRDSEnhancedMonitoringRole and the
		// like) exist in every account; moto loads them only when asked.
		// ACM certificates validated by DNS are issued at the first look
		// instead of after moto's default 60 s.
		cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true", "MOTO_ACM_VALIDATION_WAIT=0")
		if err := cmd.Start(); err != nil {
			moto.err = fmt.Errorf("start moto_server: %w", err)
			return
		}
		go cmd.Wait() //nolint:errcheck // reaps the process; it dies with us
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := http.Get(url + "/moto-api/data.json")
			if err == nil {
				resp.Body.Close()
				moto.url = url
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		moto.err = fmt.Errorf("moto_server did not answer on %s within 60s", url)
	})
	if moto.err != nil {
		tb.Fatal(moto.err)
	}
	return moto.url
}

// lockedWriter collects moto's output for error messages.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// awsConfig is an SDK configuration for the emulator with fake credentials.
func awsConfig(tb testing.TB) aws.Config {
	tb.Helper()
	return aws.Config{
		Region:       awsRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(motoURL(tb)),
		HTTPClient:   &http.Client{Timeout: 60 * time.Second},
	}
}

// motoReset drops every resource in the emulator.
func motoReset(tb testing.TB) {
	tb.Helper()
	resp, err := http.Post(motoURL(tb)+"/moto-api/reset", "application/json", nil)
	if err != nil {
		tb.Fatalf("reset moto: %v", err)
	}
	resp.Body.Close()
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
