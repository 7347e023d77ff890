//go:build integration

package attack

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// Attacks (issue 25, finding 6) on an "ip" poll behind the load balancer,
// each request sent to the server as the ALB forwards it (--trust-proxy):
//
//   - 30 votes from 30 /64s of one /56, which one home router is usually
//     delegated: 30 ballots on the code before the fix, which counted a
//     /64 as a client; now 1.
//   - 30 votes each with a second X-Forwarded-For line of the client's,
//     after the line the ALB appended the real address to: 30 ballots
//     before (the last line won), now 1: a request with several lines
//     counts as the proxy's own address.
func TestAddressTricksVoteOnceOnAnIPPoll(t *testing.T) {
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := servertest.Start(t, append(store, "--trust-proxy=true", "--vote-rate-limit", "0")...) // the rate limit is another test's
			for _, trick := range []struct {
				name    string
				forward func(i int) []string // the X-Forwarded-For lines the server gets
			}{
				{"30 /64s of one /56", func(i int) []string { return []string{fmt.Sprintf("2001:db8:7:%x::1", i+1)} }},
				{"a second X-Forwarded-For line", func(i int) []string {
					return []string{"203.0.113.1, 198.51.100.7", fmt.Sprintf("203.0.113.%d", i+10)}
				}},
			} {
				id := createPoll(t, s.URL(), `{"question": "One per address?", "options": ["A", "B"], "duplicate_check": "ip"}`)["id"].(string)
				var statuses tally
				for i := range 30 {
					statuses.add(sendLines(t, s.URL()+"/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`, trick.forward(i)))
				}
				got := total(t, s.URL(), id)
				figures.Print(t, "%s: 30 cookie-less votes on an ip poll: %v; the poll counts %d", trick.name, statuses.n, got)
				if got != 1 || statuses.get("201") != 1 || statuses.get("409 already_voted") != 29 {
					t.Errorf("%s: counted %d (%v), want 1 ballot and 29 already_voted", trick.name, got, statuses.n)
				}
			}
		})
	}
}

// sendLines posts a JSON vote with each X-Forwarded-For line as a header
// line of its own.
func sendLines(t *testing.T, url, body string, xff []string) answer {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for _, line := range xff {
		req.Header.Add("X-Forwarded-For", line)
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a answer
	a.status, a.header = res.StatusCode, res.Header
	a.body, _ = io.ReadAll(res.Body)
	return a
}

// Attack (finding 6): request IDs that would forge a log field, or bloat
// every log line. On the code before the fix "forged;level=ERROR" was taken
// as is, into the response and the log; now only 1 to 64 characters of
// [A-Za-z0-9._-] are kept, anything else replaced by an ID of our own.
func TestRequestIDsAreTakenOnlyInASafeForm(t *testing.T) {
	s := servertest.Start(t, "--log-sample", "1")
	for id, kept := range map[string]bool{
		"forged;level=ERROR":    false,
		`x" level=ERROR msg="y`: false,
		"a:b":                   false,
		strings.Repeat("a", 65): false,
		"Root=1-67891233-abc":   false,
		"req-42_a.b":            true,
		strings.Repeat("b", 64): true,
	} {
		a := send(t, "GET", s.URL()+"/healthz", "", "", "X-Request-Id", id)
		got := a.header.Get("X-Request-Id")
		if (got == id) != kept || got == "" {
			t.Errorf("X-Request-Id %q: answered with %q; want it kept: %v", id, got, kept)
		}
	}
	if log := s.Log.String(); strings.Contains(log, "level=ERROR") {
		t.Errorf("a forged request ID reached the log:\n%s", log)
	}
}

// Attack (finding 6): option labels that start with a fullwidth formula
// character (＝ ＋ － ＠), which spreadsheets read as = + - @. On the code
// before the fix they reached the results CSV as they were; now, like the
// ASCII ones, they start with an apostrophe, which makes the cell text.
func TestFullwidthFormulasAreDefusedInCSV(t *testing.T) {
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := servertest.Start(t, store...)
			labels := []string{`＝HYPERLINK("https://evil.example","open")`, "＋1+1", "－1+1", "＠SUM(1)", `=HYPERLINK("https://evil.example")`, "Plain"}
			id := createPoll(t, s.URL(), `{"question": "Formulas?", "results": "always", "options": ["`+strings.Join(escapeQuotes(labels), `", "`)+`"]}`)["id"].(string)
			a := send(t, "GET", s.URL()+"/api/v1/polls/"+id+"/results.csv", "", "")
			rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(a.body), "\uFEFF"))).ReadAll()
			if err != nil || a.status != http.StatusOK || len(rows) != len(labels)+1 {
				t.Fatalf("results.csv: %v, %s", err, a)
			}
			for i, label := range labels {
				want := "'" + label
				if label == "Plain" {
					want = label
				}
				if got := rows[i+1][1]; got != want {
					t.Errorf("option %q: the CSV cell is %q, want %q", label, got, want)
				}
			}
		})
	}
}

func escapeQuotes(labels []string) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = strings.ReplaceAll(l, `"`, `\"`)
	}
	return out
}
