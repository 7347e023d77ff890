// Package metrics counts what the server does. The same counters feed two
// readers: Prometheus, which scrapes them from a listener that is never
// public (Handler), and CloudWatch, which extracts them from the Embedded
// Metric Format lines that WriteEMF adds to the JSON log once a minute, so
// that no agent runs beside the task.
//
// A nil *Metrics records nothing: tests and tools that do not care pass nil.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcomes of a vote, the "result" label of pollstack_votes_total.
const (
	VoteAcknowledged = "acknowledged" // stored and committed: 201
	VoteRefused      = "refused"      // the voter's mistake or a rule: 4xx
	VoteFailed       = "failed"       // ours: the store was away or broke, 5xx
)

// Metrics holds the server's collectors.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec   // route, status
	latency     *prometheus.HistogramVec // route
	votes       *prometheus.CounterVec   // result, reason
	rateLimited *prometheus.CounterVec   // route
	storeErrors *prometheus.CounterVec   // op
	batchSize   prometheus.Histogram
	commit      prometheus.Histogram
	streams     prometheus.Gauge

	emf emfState
}

// New registers the collectors, with Go's runtime and process metrics.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pollstack_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pollstack_http_request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its handler, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		votes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pollstack_votes_total",
			Help: "Votes by result (acknowledged, refused, failed) and the error code that refused or failed them.",
		}, []string{"result", "reason"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pollstack_rate_limited_total",
			Help: "Requests refused with 429 by a rate limit, by route pattern.",
		}, []string{"route"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pollstack_store_errors_total",
			Help: "Store calls that failed on the store's side (unavailable or internal), by operation.",
		}, []string{"op"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pollstack_vote_batch_size",
			Help:    "Votes per group-committed transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 .. 512, the largest batch
		}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pollstack_vote_commit_duration_seconds",
			Help:    "Time to store and commit one batch of votes.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pollstack_live_streams",
			Help: "Live-results streams open now.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.votes, m.rateLimited, m.storeErrors, m.batchSize, m.commit, m.streams,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Transactions exports a store's own count of its database transactions
// as pollstack_store_transactions_total, when the store keeps one.
func (m *Metrics) Transactions(store any) {
	counted, ok := store.(interface{ Transactions() uint64 })
	if m == nil || !ok {
		return
	}
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "pollstack_store_transactions_total",
		Help: "Database transactions the store ran: reads, vote batches, every write.",
	}, func() float64 { return float64(counted.Transactions()) }))
}

// Handler serves the Prometheus exposition of every collector.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request records one answered request. route is the matched pattern (a
// bounded set), never the raw path.
func (m *Metrics) Request(route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, statusText(status)).Inc()
	m.latency.WithLabelValues(route).Observe(took.Seconds())
	if status == http.StatusTooManyRequests {
		m.rateLimited.WithLabelValues(route).Inc()
	}
}

// Vote records a vote's outcome; reason is the error code, empty when acknowledged.
func (m *Metrics) Vote(result, reason string) {
	if m == nil {
		return
	}
	m.votes.WithLabelValues(result, reason).Inc()
}

// Batch records one group commit of size votes that took took.
func (m *Metrics) Batch(size int, took time.Duration) {
	if m == nil {
		return
	}
	m.batchSize.Observe(float64(size))
	m.commit.Observe(took.Seconds())
}

// StreamOpened and StreamClosed track the open live-results streams.
func (m *Metrics) StreamOpened() {
	if m != nil {
		m.streams.Inc()
	}
}

func (m *Metrics) StreamClosed() {
	if m != nil {
		m.streams.Dec()
	}
}

// StoreError records a store call that failed on the store's side.
func (m *Metrics) StoreError(op string) {
	if m != nil {
		m.storeErrors.WithLabelValues(op).Inc()
	}
}

// statuses holds the label of every status code, so that recording one
// allocates nothing.
var statuses = func() (s [600]string) {
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

func statusText(code int) string {
	if code >= 0 && code < len(statuses) {
		return statuses[code]
	}
	return strconv.Itoa(code)
}
