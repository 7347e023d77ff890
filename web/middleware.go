package web

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/pollstack/pollstack"
)

type ctxKey int

const exchangeKey ctxKey = iota

// exchange is one request's own state: its ID, its voter once known, and
// the status its handler wrote. It is the response writer the handlers see
// and the context value they read, so that a request costs one allocation
// for all three.
type exchange struct {
	http.ResponseWriter
	status int
	id     string
	voter  string
}

func (x *exchange) WriteHeader(code int) {
	if x.status == 0 {
		x.status = code
	}
	x.ResponseWriter.WriteHeader(code)
}

func (x *exchange) Write(b []byte) (int, error) {
	if x.status == 0 {
		x.status = http.StatusOK
	}
	return x.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush on the real writer (SSE).
func (x *exchange) Unwrap() http.ResponseWriter { return x.ResponseWriter }

func exchangeOf(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey).(*exchange)
	if x == nil {
		return &exchange{} // a handler called outside observe (tests)
	}
	return x
}

func requestID(ctx context.Context) string { return exchangeOf(ctx).id }

// validRequestID accepts an upstream request ID only in a plain, short
// form: 1 to 64 letters, digits, dots, underscores and hyphens. Anything
// else (a separator, a quote, a "level=ERROR" to forge a log field) is
// replaced by an ID of our own.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Request IDs are this process's random prefix and a counter: unique across
// tasks, and free of the system call that random bytes per request cost.
var (
	requestIDPrefix = pollstack.RandomToken(6) + "-"
	requestCount    atomic.Uint64
)

func newRequestID() string {
	b := make([]byte, 0, 24)
	b = append(b, requestIDPrefix...)
	return string(strconv.AppendUint(b, requestCount.Add(1), 36))
}

// observe gives every request an ID (in the X-Request-Id response header, so
// that a person can ask for a request's log line), recovers panics, records
// the request's metrics, and logs it when it failed (5xx), was slow, or was
// drawn in the sample: the metrics carry the counts, the log the examples.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header()["X-Request-Id"] = []string{id}
		x := &exchange{ResponseWriter: w, id: id}
		r = r.WithContext(context.WithValue(r.Context(), exchangeKey, x))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "request_id", id, "panic", p)
				if x.status == 0 {
					s.writeError(x, r, errInternal)
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			took := time.Since(start)
			s.cfg.Metrics.Request(route, x.status, took)
			if x.status >= 500 || s.cfg.SlowRequest > 0 && took >= s.cfg.SlowRequest || s.sampled() {
				s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
					slog.String("request_id", id),
					slog.String("method", r.Method),
					slog.String("route", route),
					slog.Int("status", x.status),
					slog.Float64("duration_ms", float64(took.Microseconds())/1000),
				)
			}
		}()
		next.ServeHTTP(x, r)
	})
}

// sampled draws whether an ordinary request is logged.
func (s *Server) sampled() bool {
	return s.cfg.LogSample >= 1 || s.cfg.LogSample > 0 && rand.Float64() < s.cfg.LogSample
}

// The headers every response carries, built once: a header value is a
// slice, and Header.Set would allocate a new one per response. Nothing
// appends to or edits these in place; pages replace the policy with Set.
var (
	hdrNosniff  = []string{"nosniff"}
	hdrReferrer = []string{"strict-origin-when-cross-origin"}
	hdrFrame    = []string{"DENY"}
	hdrOpener   = []string{"same-origin"}
	hdrPolicy   = []string{"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"}
	hdrHSTS     = []string{"max-age=63072000; includeSubDomains"}
	hdrJSON     = []string{"application/json; charset=utf-8"}
	hdrNoStore  = []string{"no-store"}
)

// secure sets the headers every response carries. The policy here allows
// nothing, which suits JSON and streams; pages replace it with pageCSP
// (scripts and styles from this origin only) and Referrer-Policy with
// no-referrer (see render).
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = hdrNosniff
		h["Referrer-Policy"] = hdrReferrer
		h["X-Frame-Options"] = hdrFrame
		h["Cross-Origin-Opener-Policy"] = hdrOpener
		h["Content-Security-Policy"] = hdrPolicy
		if s.isTLS(r) {
			h["Strict-Transport-Security"] = hdrHSTS
		}
		next.ServeHTTP(w, r)
	})
}

// isTLS reports whether the client reached us over HTTPS, directly or, when
// we are told to trust it, through a load balancer that terminated TLS.
func (s *Server) isTLS(r *http.Request) bool {
	return r.TLS != nil || (s.cfg.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https")
}
