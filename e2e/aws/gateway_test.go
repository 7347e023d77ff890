//go:build integration

package aws

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// gateway sits between Terraform and moto. It forwards every call
// unchanged, except the few that moto 5.2.5 does not implement and the
// hashicorp/aws provider cannot do without; those it answers itself, each
// listed in emulated with the reason. Nothing else is changed.
type gateway struct {
	srv   *httptest.Server
	proxy *httputil.ReverseProxy

	mu   sync.Mutex
	tags map[string]map[string]string // Application Auto Scaling resource ARN -> tags
	hits map[string]int               // emulated call -> count
}

// emulated lists what the gateway answers instead of moto, and why.
var emulated = [][2]string{
	{"application-autoscaling TagResource, UntagResource, ListTagsForResource",
		"moto 5.2.5 raises NotImplementedError (HTTP 500); the provider reads the tags of aws_appautoscaling_target after every create and retries the 500 until its timeout. The gateway keeps the tags that RegisterScalableTarget and TagResource set, per ARN."},
}

func newGateway(tb testing.TB, motoURL string) *gateway {
	tb.Helper()
	target, err := url.Parse(motoURL)
	if err != nil {
		tb.Fatal(err)
	}
	g := &gateway{proxy: httputil.NewSingleHostReverseProxy(target), tags: map[string]map[string]string{}, hits: map[string]int{}}
	g.srv = httptest.NewServer(g)
	tb.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) URL() string { return g.srv.URL }

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	svc, action, _ := strings.Cut(target, ".")
	if svc != "AnyScaleFrontendService" {
		g.proxy.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in struct {
		ResourceARN string            `json:"ResourceARN"`
		Tags        map[string]string `json:"Tags"`
		TagKeys     []string          `json:"TagKeys"`
	}
	_ = json.Unmarshal(body, &in)
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(v)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch action {
	case "RegisterScalableTarget":
		rec := httptest.NewRecorder()
		g.mu.Unlock()
		g.proxy.ServeHTTP(rec, r)
		g.mu.Lock()
		var out struct{ ScalableTargetARN string }
		if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &out) == nil && out.ScalableTargetARN != "" && len(in.Tags) > 0 {
			g.tagsOf(out.ScalableTargetARN, in.Tags)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	case "TagResource":
		g.hits[action]++
		g.tagsOf(in.ResourceARN, in.Tags)
		reply(struct{}{})
	case "UntagResource":
		g.hits[action]++
		for _, k := range in.TagKeys {
			delete(g.tags[in.ResourceARN], k)
		}
		reply(struct{}{})
	case "ListTagsForResource":
		g.hits[action]++
		tags := g.tags[in.ResourceARN]
		if tags == nil {
			tags = map[string]string{}
		}
		reply(map[string]any{"Tags": tags})
	default:
		g.mu.Unlock()
		g.proxy.ServeHTTP(w, r)
		g.mu.Lock()
	}
}

func (g *gateway) tagsOf(arn string, tags map[string]string) {
	if g.tags[arn] == nil {
		g.tags[arn] = map[string]string{}
	}
	for k, v := range tags {
		g.tags[arn][k] = v
	}
}

// emulatedHits returns how often each emulated call was answered.
func (g *gateway) emulatedHits() map[string]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]int{}
	for k, v := range g.hits {
		out[k] = v
	}
	return out
}
