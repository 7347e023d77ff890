package web_test

import (
	"github.com/pollstack/pollstack"

	"bytes"
	"encoding/csv"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// readCSV fetches a CSV download and reads its rows.
func (c *apiUser) readCSV(path string, header ...string) [][]string {
	c.t.Helper()
	res := c.do("GET", path, "", "", header...)
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		c.t.Fatalf("%s: %d %s", path, res.Status, res.Body)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.Body, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		c.t.Fatalf("%s: %v\n%s", path, err, res.Body)
	}
	return rows
}

// formulaSafe reports whether no cell would start a spreadsheet formula.
func formulaSafe(t *testing.T, file string, rows [][]string) {
	t.Helper()
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsAny(cell[:1], "=+-@\t\r") {
				t.Errorf("%s: cell %q starts a formula", file, cell)
			}
		}
	}
}

// Both CSV downloads of a meeting poll say each participant's answer per
// slot as the results JSON does (names included, guarded against formulas),
// and with names hidden carry totals and answers but never a name.
func TestMeetingCSVExports(t *testing.T) {
	names := []string{`=HYPERLINK("https://evil.example")`, "+Bob", "@Cy", "Dee"}
	answers := []string{`{"1": "yes", "2": "if_need_be"}`, `{"2": "yes", "3": "if_need_be"}`, `{}`, `{"1": "if_need_be", "2": "yes", "3": "yes"}`}
	for _, hide := range []bool{false, true} {
		t.Run(map[bool]string{false: "names shown", true: "names hidden"}[hide], func(t *testing.T) {
			eachStore(t, func(t *testing.T, c *apiUser) {
				body := meetingPoll
				if hide {
					body = strings.Replace(body, `"kind": "meeting"`, `"kind": "meeting", "hide_names": true`, 1)
				}
				id, token := c.createPoll(body)
				for i, name := range names {
					c.another().answerAs(id, name, answers[i])
				}
				// What the API says, with the names known to the test where hidden.
				want := map[string]map[string]string{} // name -> slot -> answer
				if hide {
					for i, name := range names {
						want[name] = decodeTestAnswers(answers[i])
					}
				} else {
					for _, p := range *c.meetingResults(id).Participants {
						want[p.Name] = p.Answers
					}
				}
				res := c.meetingResults(id)
				auth := []string{"Authorization", "Bearer " + token}

				// results.csv: a row per slot, a column per participant.
				rows := c.readCSV("/api/v1/polls/"+id+"/results.csv", auth...)
				formulaSafe(t, "results.csv", rows)
				wantCols := 4
				if !hide {
					wantCols += len(names)
				}
				if len(rows) != 1+len(res.Slots) || len(rows[0]) != wantCols {
					t.Fatalf("results.csv: %d rows of %d columns, want %d of %d:\n%q", len(rows), len(rows[0]), 1+len(res.Slots), wantCols, rows)
				}
				for i, s := range res.Slots {
					row := rows[1+i]
					if row[0] != strconv.Itoa(s.ID) || row[2] != strconv.Itoa(s.Yes) || row[3] != strconv.Itoa(s.IfNeedBe) {
						t.Errorf("results.csv slot %d: %q, want yes %d, if need be %d", s.ID, row, s.Yes, s.IfNeedBe)
					}
					for col := 4; col < len(row); col++ {
						name := strings.TrimPrefix(rows[0][col], "'")
						if got := row[col]; got != want[name][strconv.Itoa(s.ID)] {
							t.Errorf("results.csv: %s on slot %d: %q, want %q", name, s.ID, got, want[name][strconv.Itoa(s.ID)])
						}
					}
				}

				// ballots.csv: a row per participant, a column per slot.
				rows = c.readCSV("/api/v1/polls/"+id+"/ballots.csv", auth...)
				formulaSafe(t, "ballots.csv", rows)
				fixed := pollstack.BallotFileFixed
				if !hide {
					fixed++
					if rows[0][fixed-1] != "name" {
						t.Fatalf("ballots.csv header %q, want a name column", rows[0])
					}
				}
				if len(rows) != 1+len(names) || len(rows[0]) != fixed+len(res.Slots) {
					t.Fatalf("ballots.csv: %q", rows)
				}
				seen := map[string]bool{}
				for _, row := range rows[1:] {
					got := map[string]string{}
					for i, s := range res.Slots {
						got[strconv.Itoa(s.ID)] = row[fixed+i]
					}
					if hide {
						// Unnamed: each row must be one participant's answers, each once.
						for _, name := range names {
							if !seen[name] && maps.Equal(got, want[name]) {
								seen[name] = true
								break
							}
						}
						continue
					}
					name := strings.TrimPrefix(row[fixed-1], "'")
					seen[name] = true
					if !maps.Equal(got, want[name]) {
						t.Errorf("ballots.csv: %s answered %v, want %v", name, got, want[name])
					}
				}
				if len(seen) != len(names) {
					t.Errorf("ballots.csv: rows match %d participants of %d: %q", len(seen), len(names), rows)
				}
				for _, file := range []string{"results.csv", "ballots.csv"} {
					all := c.do("GET", "/api/v1/polls/"+id+"/"+file, "", "", auth...).Body
					if hide && bytes.Contains(all, []byte("Bob")) {
						t.Errorf("%s shows a hidden name:\n%s", file, all)
					}
				}
			})
		})
	}
}

// decodeTestAnswers reads a test's answers JSON as the API's full answer
// map: every slot of meetingPoll, "no" where left out.
func decodeTestAnswers(js string) map[string]string {
	out := map[string]string{"1": "no", "2": "no", "3": "no"}
	for _, pair := range strings.Split(strings.Trim(js, "{}"), ",") {
		if k, v, ok := strings.Cut(pair, ":"); ok {
			out[strings.Trim(k, ` "`)] = strings.Trim(v, ` "`)
		}
	}
	return out
}
