package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/metrics"
)

// emfLine is the part of an EMF line CloudWatch reads.
type emfLine struct {
	AWS struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
}

func writeEMF(t *testing.T, m *metrics.Metrics, at time.Time) (map[string]any, emfLine) {
	t.Helper()
	var buf bytes.Buffer
	if err := m.WriteEMF(&buf, "pollstack-test", at); err != nil {
		t.Fatal(err)
	}
	if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("want one line, got %q", buf.String())
	}
	var doc map[string]any
	var line emfLine
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(buf.Bytes(), &line)
	return doc, line
}

// Each EMF line carries the figures since the one before, under the
// namespace and dimension that the monitoring module's alarms read, and
// every metric it declares has a value.
func TestEMFCarriesTheIntervalsFigures(t *testing.T) {
	m := metrics.New()
	m.Request("POST /api/v1/polls/{id}/votes", 201, time.Millisecond)
	m.Request("POST /api/v1/polls/{id}/votes", 503, time.Millisecond)
	m.Request("POST /api/v1/polls/{id}/votes", 429, time.Millisecond)
	m.Vote(metrics.VoteAcknowledged, "")
	m.Vote(metrics.VoteFailed, "unavailable")
	m.Batch(10, 4*time.Millisecond)
	m.Batch(30, 6*time.Millisecond)
	m.StreamOpened()
	now := time.Unix(1_800_000_000, 0)

	doc, line := writeEMF(t, m, now)
	for name, want := range map[string]float64{
		"Requests": 3, "Requests5xx": 1, "VotesAcknowledged": 1, "VoteErrors": 1, "RateLimited": 1,
		"VoteBatches": 2, "VoteBatchSize": 20, "VoteCommitLatency": 5, "LiveStreams": 1,
	} {
		if doc[name] != want {
			t.Errorf("%s = %v, want %v", name, doc[name], want)
		}
	}
	if len(line.AWS.CloudWatchMetrics) != 1 || line.AWS.Timestamp != now.UnixMilli() {
		t.Fatalf("_aws: %+v", line.AWS)
	}
	d := line.AWS.CloudWatchMetrics[0]
	if d.Namespace != metrics.Namespace || len(d.Dimensions) != 1 || len(d.Dimensions[0]) != 1 || d.Dimensions[0][0] != "Service" || doc["Service"] != "pollstack-test" {
		t.Errorf("namespace %q dimensions %v service %v", d.Namespace, d.Dimensions, doc["Service"])
	}
	for _, md := range d.Metrics {
		if _, ok := doc[md.Name].(float64); !ok {
			t.Errorf("declared metric %s has no value", md.Name)
		}
	}

	// The next line counts only what happened since.
	m.Vote(metrics.VoteAcknowledged, "")
	doc, _ = writeEMF(t, m, now.Add(time.Minute))
	if doc["VotesAcknowledged"] != float64(1) || doc["VoteErrors"] != float64(0) || doc["LiveStreams"] != float64(1) {
		t.Errorf("second interval: acknowledged %v errors %v streams %v; want 1, 0, 1", doc["VotesAcknowledged"], doc["VoteErrors"], doc["LiveStreams"])
	}
	if _, ok := doc["VoteBatchSize"]; ok {
		t.Error("an interval without batches has no batch size, not 0")
	}
}

// The store wrapper counts the store's own failures, not the answers
// meant for the caller.
func TestStoreErrorsAreTheStoresOwn(t *testing.T) {
	m := metrics.New()
	s := m.Store(failingStore{})
	s.Vote(context.Background(), pollstack.Ballot{}) // unavailable: counted
	s.Poll(context.Background(), "x")                // not found: an answer
	s.Results(context.Background(), "x")             // internal: counted
	s.HasVoted(context.Background(), "x", "y")       // cancelled: the caller left
	doc, _ := writeEMF(t, m, time.Now())
	if doc["StoreErrors"] != float64(2) {
		t.Errorf("StoreErrors = %v, want 2", doc["StoreErrors"])
	}
}

type failingStore struct{ pollstack.Store }

func (failingStore) Vote(context.Context, pollstack.Ballot) error {
	return pollstack.Unavailable(errors.New("connection refused"))
}
func (failingStore) Poll(context.Context, string) (*pollstack.Poll, error) {
	return nil, pollstack.ErrPollNotFound
}
func (failingStore) Results(context.Context, string) (pollstack.Results, error) {
	return pollstack.Results{}, errors.New("disk on fire")
}
func (failingStore) HasVoted(context.Context, string, string) (bool, error) {
	return false, context.Canceled
}
