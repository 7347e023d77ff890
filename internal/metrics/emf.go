package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Namespace is the CloudWatch namespace of the metrics in the EMF lines;
// the monitoring module's alarms and dashboard read them from there, with
// the dimension Service.
const Namespace = "Pollstack"

// emfMetric is one figure of an EMF line: its CloudWatch name and unit, and
// how it is computed from the collectors.
type emfMetric struct {
	name, unit string
	// value returns the figure and whether there is one this interval
	// (an average over no batches is no figure, not zero).
	value func(now, prev totals) (float64, bool)
}

// totals are the running totals read from the collectors.
type totals map[string]float64

func delta(key string) func(now, prev totals) (float64, bool) {
	return func(now, prev totals) (float64, bool) { return now[key] - prev[key], true }
}

func gauge(key string) func(now, prev totals) (float64, bool) {
	return func(now, _ totals) (float64, bool) { return now[key], true }
}

// average is the mean of a histogram over the interval, times scale.
func average(key string, scale float64) func(now, prev totals) (float64, bool) {
	return func(now, prev totals) (float64, bool) {
		n := now[key+"_count"] - prev[key+"_count"]
		if n <= 0 {
			return 0, false
		}
		return (now[key+"_sum"] - prev[key+"_sum"]) / n * scale, true
	}
}

// emfMetrics are the figures CloudWatch gets: what the alarms and the
// dashboard of infra/modules/monitoring read.
var emfMetrics = []emfMetric{
	{"Requests", "Count", delta("requests")},
	{"Requests5xx", "Count", delta("requests_5xx")},
	{"VotesAcknowledged", "Count", delta("votes_acknowledged")},
	{"VotesRefused", "Count", delta("votes_refused")},
	{"VoteErrors", "Count", delta("votes_failed")},
	{"RateLimited", "Count", delta("rate_limited")},
	{"StoreErrors", "Count", delta("store_errors")},
	{"VoteBatches", "Count", delta("batch_count")},
	{"VoteBatchSize", "None", average("batch", 1)},
	{"VoteCommitLatency", "Milliseconds", average("commit", 1000)},
	{"LiveStreams", "Count", gauge("streams")},
}

type emfState struct {
	mu   sync.Mutex
	prev totals
}

// WriteEMF writes one Embedded Metric Format line with the figures since
// the previous call, under the dimension Service=service. It is a JSON
// object on one line with an "_aws" member: CloudWatch Logs turns it into
// metrics as it ingests the log, with no agent and no API call.
func (m *Metrics) WriteEMF(w io.Writer, service string, now time.Time) error {
	if m == nil {
		return nil
	}
	cur, err := m.totals()
	if err != nil {
		return err
	}
	m.emf.mu.Lock()
	prev := m.emf.prev
	m.emf.prev = cur
	m.emf.mu.Unlock()
	if prev == nil {
		prev = totals{}
	}
	doc := map[string]any{"Service": service, "msg": "metrics"}
	var defs []map[string]string
	for _, em := range emfMetrics {
		if v, ok := em.value(cur, prev); ok {
			doc[em.name] = v
			defs = append(defs, map[string]string{"Name": em.name, "Unit": em.unit})
		}
	}
	doc["_aws"] = map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": [][]string{{"Service"}},
			"Metrics":    defs,
		}},
	}
	line, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("metrics: encode EMF: %w", err)
	}
	_, err = w.Write(append(line, '\n')) // one write: lines of the log never interleave
	return err
}

// RunEMF writes an EMF line every interval until ctx ends, and a last one
// then, so that the figures of a task's final minute are not lost.
func (m *Metrics) RunEMF(ctx context.Context, w io.Writer, service string, interval time.Duration, onError func(error)) {
	if m == nil || interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := m.WriteEMF(w, service, time.Now()); err != nil {
				onError(err)
			}
			return
		case now := <-t.C:
			if err := m.WriteEMF(w, service, now); err != nil {
				onError(err)
			}
		}
	}
}

// totals reads the running totals from the registry.
func (m *Metrics) totals() (totals, error) {
	families, err := m.reg.Gather()
	if err != nil {
		return nil, fmt.Errorf("metrics: gather: %w", err)
	}
	t := totals{}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetName() {
			case "pollstack_http_requests_total":
				t["requests"] += mt.GetCounter().GetValue()
				if strings.HasPrefix(labels["status"], "5") {
					t["requests_5xx"] += mt.GetCounter().GetValue()
				}
			case "pollstack_votes_total":
				t["votes_"+labels["result"]] += mt.GetCounter().GetValue()
			case "pollstack_rate_limited_total":
				t["rate_limited"] += mt.GetCounter().GetValue()
			case "pollstack_store_errors_total":
				t["store_errors"] += mt.GetCounter().GetValue()
			case "pollstack_vote_batch_size":
				addHistogram(t, "batch", mt.GetHistogram())
			case "pollstack_vote_commit_duration_seconds":
				addHistogram(t, "commit", mt.GetHistogram())
			case "pollstack_live_streams":
				t["streams"] += mt.GetGauge().GetValue()
			}
		}
	}
	return t, nil
}

func addHistogram(t totals, key string, h *dto.Histogram) {
	t[key+"_count"] += float64(h.GetSampleCount())
	t[key+"_sum"] += h.GetSampleSum()
}
