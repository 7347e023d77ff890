package servertest

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// proxy stands in for the ALB: it health-checks /readyz of each backend
// every interval (two failures in a row make a backend unhealthy, one
// success healthy again, each check with a 1 s timeout) and sends requests
// round-robin to the healthy ones only. Like the ALB it does not retry a
// failed request, and it appends the client's address to X-Forwarded-For.
type proxy struct {
	backends []*backend
	next     atomic.Uint64
	stop     chan struct{}
	wg       sync.WaitGroup
}

type backend struct {
	url      string
	healthy  atomic.Bool
	failures int // consecutive failed checks, touched only by the checker
	rp       *httputil.ReverseProxy
}

// Proxy starts the proxy in front of the backends' base URLs and returns its
// own base URL. It stops at the end of the test.
func Proxy(t testing.TB, interval time.Duration, urls ...string) string {
	t.Helper()
	p := &proxy{stop: make(chan struct{})}
	for _, u := range urls {
		target, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		b := &backend{url: u, rp: httputil.NewSingleHostReverseProxy(target)}
		b.rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "bad gateway: "+err.Error(), http.StatusBadGateway)
		}
		b.rp.FlushInterval = -1 // live-results streams pass through at once
		b.healthy.Store(true)
		p.backends = append(p.backends, b)
	}
	p.wg.Add(1)
	go p.check(interval)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p}
	go srv.Serve(ln)
	t.Cleanup(func() { close(p.stop); p.wg.Wait(); srv.Close() })
	return "http://" + ln.Addr().String()
}

func (p *proxy) check(interval time.Duration) {
	defer p.wg.Done()
	client := &http.Client{Timeout: time.Second}
	for {
		for _, b := range p.backends {
			res, err := client.Get(b.url + "/readyz")
			if err == nil && res.StatusCode == 200 {
				b.failures = 0
			} else {
				b.failures++
			}
			b.healthy.Store(b.failures < 2)
			if err == nil {
				res.Body.Close()
			}
		}
		select {
		case <-p.stop:
			return
		case <-time.After(interval):
		}
	}
}

// ServeHTTP sends the request to the next healthy backend, round robin,
// trying each once: with the counter read once per request, concurrent
// requests cannot make one try the same backend twice and miss a healthy
// one (a 503 that a load balancer with a healthy target never gives).
func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := uint64(len(p.backends))
	start := p.next.Add(1)
	for i := range n {
		b := p.backends[(start+i)%n]
		if b.healthy.Load() {
			b.rp.ServeHTTP(w, r)
			return
		}
	}
	http.Error(w, "no healthy backend", http.StatusServiceUnavailable)
}
