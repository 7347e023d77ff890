package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

// meetingResults is the JSON of a meeting poll's results.
type meetingResults struct {
	Total int `json:"total"`
	Slots []struct {
		ID       int    `json:"id"`
		Start    string `json:"start"`
		Date     string `json:"date"`
		Yes      int    `json:"yes"`
		IfNeedBe int    `json:"if_need_be"`
	} `json:"slots"`
	Best         []int `json:"best"`
	Participants *[]struct {
		Name    string            `json:"name"`
		Answers map[string]string `json:"answers"`
	} `json:"participants"`
	HideNames bool `json:"hide_names"`
	Decided   int  `json:"decided"`
}

func (c *apiUser) meetingResults(id string, header ...string) meetingResults {
	c.t.Helper()
	res := c.do("GET", "/api/v1/polls/"+id+"/results", "", "", header...)
	if res.Status != http.StatusOK {
		c.t.Fatalf("results: %d %s", res.Status, res.Body)
	}
	var r meetingResults
	if err := json.Unmarshal(res.Body, &r); err != nil {
		c.t.Fatal(err)
	}
	return r
}

// answerAs posts a meeting ballot and wants it stored.
func (c *apiUser) answerAs(id, name, answers string) {
	c.t.Helper()
	if res := c.postJSON("/api/v1/polls/"+id+"/votes", fmt.Sprintf(`{"name": %q, "answers": %s}`, name, answers)); res.Status != http.StatusCreated {
		c.t.Fatalf("answer as %s: %d %s", name, res.Status, res.Body)
	}
}

const meetingPoll = `{"question": "Team lunch", "kind": "meeting", "slots": [
	{"start": "2026-03-08T01:00:00-05:00", "end": "2026-03-08T04:00:00-04:00"},
	{"date": "2026-12-31"},
	{"start": "2026-03-09T12:00:00+01:00", "end": "2026-03-09T13:30:00+01:00"}]}`

func TestMeetingAPI(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		create := "/api/v1/polls"
		wantError(t, c.postJSON(create, `{"question": "Q", "kind": "meeting"}`), 400, "slots_required", "slots")
		wantError(t, c.postJSON(create, `{"question": "Q", "kind": "meeting", "slots": [{"date": "2026-04-01"}, {"start": "2026-04-01T10:00:00Z", "end": "2026-04-01T09:00:00Z"}]}`), 400, "slot_end_before_start", "slots[1].end")
		wantError(t, c.postJSON(create, `{"question": "Q", "kind": "meeting", "slots": [{"date": "1 April"}]}`), 400, "slot_date_invalid", "slots[0].date")
		wantError(t, c.postJSON(create, `{"question": "Q", "options": ["A", "B"], "hide_names": true}`), 400, "hide_names_not_meeting", "hide_names")

		id, token := c.createPoll(meetingPoll)
		poll := c.do("GET", "/api/v1/polls/"+id, "", "").json(t)
		slots, _ := poll["slots"].([]any)
		if poll["kind"] != "meeting" || len(slots) != 3 || poll["allow_changes"] != true {
			t.Fatalf("poll %v: want a meeting poll with 3 slots that allows changes", poll)
		}
		if first := slots[0].(map[string]any); first["start"] != "2026-03-08T01:00:00-05:00" || first["end"] != "2026-03-08T04:00:00-04:00" {
			t.Errorf("first slot %v, want it in the creator's offsets", first)
		}
		votes := "/api/v1/polls/" + id + "/votes"
		wantError(t, c.postJSON(votes, `{"answers": {"1": "yes"}}`), 400, "name_required", "name")
		wantError(t, c.postJSON(votes, `{"name": "Ada", "answers": {"1": "maybe"}}`), 400, "answer_invalid", "answers")
		wantError(t, c.postJSON(votes, `{"name": "Ada", "answers": {"9": "yes"}}`), 400, "slot_unknown", "answers")
		wantError(t, c.postJSON(votes, `{"name": "Ada", "answers": {"01": "yes"}}`), 400, "slot_unknown", "answers")
		wantError(t, c.postJSON(votes, `{"name": "Ada", "option_ids": [1]}`), 400, "option_ids_meeting", "option_ids")
		wantError(t, c.postJSON(votes, `{"option_ids": [1]}`), 400, "name_required", "name")
		wantError(t, c.postJSON(votes, `{"name": "`+strings.Repeat("x", 61)+`", "answers": {}}`), 400, "name_too_long", "name")

		ada, bob, cy := c.another(), c.another(), c.another()
		ada.answerAs(id, "Ada", `{"1": "yes", "2": "if_need_be", "3": "no"}`)
		bob.answerAs(id, "Bob", `{"1": "if_need_be", "2": "yes"}`)
		cy.answerAs(id, "Cy", `{"2": "yes", "3": "yes"}`)
		wantError(t, ada.postJSON(votes, `{"name": "Ada", "answers": {"3": "yes"}}`), 409, "already_voted", "")
		// Ada edits: a new name and answers.
		res := ada.do("PUT", votes+"/mine", "application/json", `{"name": "Ada L.", "answers": {"1": "if_need_be", "3": "yes"}}`)
		if res.Status != http.StatusOK {
			t.Fatalf("edit: %d %s", res.Status, res.Body)
		}
		// Another browser cannot edit anyone's answers: it has none to edit.
		wantError(t, c.another().do("PUT", votes+"/mine", "application/json", `{"name": "Ada L.", "answers": {"1": "no", "3": "no"}}`), 404, "no_ballot", "")
		mine := ada.do("GET", votes+"/mine", "", "").json(t)
		if want := map[string]any{"1": "if_need_be", "2": "no", "3": "yes"}; !reflect.DeepEqual(mine["answers"], want) || mine["can_change"] != true || mine["name"] != "Ada L." {
			t.Errorf("votes/mine = %v, want answers %v", mine, want)
		}

		r := c.meetingResults(id)
		got := fmt.Sprint(r.Total, r.Best)
		for _, s := range r.Slots {
			got += fmt.Sprintf(" %d:%d/%d", s.ID, s.Yes, s.IfNeedBe)
		}
		// Slot 2: 2 yes; slot 3: 2 yes; slot 1: 0 yes, 2 if need be. The
		// tie goes to the earlier: 9 March before 31 December.
		if want := "3 [3 2 1] 1:0/2 2:2/0 3:2/0"; got != want {
			t.Errorf("results %s, want %s", got, want)
		}
		if r.Participants == nil || len(*r.Participants) != 3 {
			t.Fatalf("participants %v, want three", r.Participants)
		}
		names := map[string]map[string]string{}
		for _, p := range *r.Participants {
			names[p.Name] = p.Answers
		}
		if names["Ada L."]["3"] != "yes" || names["Bob"]["1"] != "if_need_be" || names["Cy"]["1"] != "no" || len(names) != 3 {
			t.Errorf("participants %v", names)
		}

		decision := "/api/v1/polls/" + id + "/decision"
		wantError(t, c.postJSON(decision, `{"option_id": 3}`), 401, "admin_token_required", "")
		wantError(t, c.postJSON(decision, `{"option_id": 4}`, "Authorization", "Bearer "+token), 400, "slot_unknown", "option_id")
		if res := c.do("GET", "/p/"+id+"/event.ics", "", ""); res.Status != http.StatusNotFound {
			t.Errorf("event.ics before the decision: %d, want 404", res.Status)
		}
		res = c.postJSON(decision, `{"option_id": 1}`, "Authorization", "Bearer "+token)
		if p := res.json(t); res.Status != http.StatusOK || p["decided"] != float64(1) || p["closed"] != true {
			t.Fatalf("decision: %d %s", res.Status, res.Body)
		}
		wantError(t, bob.do("PUT", votes+"/mine", "application/json", `{"name": "Bob", "answers": {}}`), 409, "poll_closed", "")
		if r := c.meetingResults(id); r.Decided != 1 {
			t.Errorf("results decided %d, want 1", r.Decided)
		}
		// The calendar file, read by an independent parser, opens at the
		// decided slot's instant: 06:00 to 08:00 UTC across New York's
		// change to summer time.
		event := parseEvent(t, c.do("GET", "/p/"+id+"/event.ics", "", ""))
		start, err1 := event.GetStartAt()
		end, err2 := event.GetEndAt()
		if err1 != nil || err2 != nil || !start.Equal(time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC)) || !end.Equal(time.Date(2026, 3, 8, 8, 0, 0, 0, time.UTC)) {
			t.Errorf("event from %v to %v (%v, %v), want 06:00 to 08:00 UTC on 8 March 2026", start, end, err1, err2)
		}
		if uid := event.Id(); uid != "meeting-"+id+"@pollstack" {
			t.Errorf("UID %q, want one made from the poll ID", uid)
		}
	})
}

// parseEvent parses a calendar file with golang-ical, checks the RFC 5545
// framing that a lenient parser forgives (CRLF lines of at most 75 octets)
// and returns its one event.
func parseEvent(t *testing.T, res response) *ics.VEvent {
	t.Helper()
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("event.ics: %d %s %s", res.Status, res.Header.Get("Content-Type"), res.Body)
	}
	if !bytes.HasSuffix(res.Body, []byte("\r\n")) {
		t.Error("the file does not end with CRLF")
	}
	for _, line := range bytes.Split(bytes.TrimSuffix(res.Body, []byte("\r\n")), []byte("\r\n")) {
		if len(line) > 75 || bytes.ContainsAny(line, "\r\n") {
			t.Errorf("line %q: longer than 75 octets or not ended by CRLF", line)
		}
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, res.Body)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	if stamp, err := events[0].GetDtStampTime(); err != nil || stamp.Location() != time.UTC {
		t.Errorf("DTSTAMP %v, %v: want a UTC time", stamp, err)
	}
	return events[0]
}

// An all-day date is a DATE in the calendar file: the parser reads it in
// the reader's own zone, and from UTC-10 to UTC+14 it is the same day. The
// question, long, with commas, semicolons and non-ASCII text, comes back
// whole through escaping and folding.
func TestMeetingCalendarAllDay(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		question := "Planning, budget; and a long talk about the offsite in Zürich — bring ideas\\notes " + strings.Repeat("é", 40)
		body, _ := json.Marshal(map[string]any{"question": question, "description": "Line one\nline two", "kind": "meeting", "slots": []map[string]string{{"date": "2026-12-31"}, {"date": "2027-01-01"}}})
		id, token := c.createPoll(string(body))
		if res := c.postJSON("/api/v1/polls/"+id+"/decision", `{"option_id": 1}`, "Authorization", "Bearer "+token); res.Status != http.StatusOK {
			t.Fatalf("decision: %d %s", res.Status, res.Body)
		}
		event := parseEvent(t, c.do("GET", "/p/"+id+"/event.ics", "", ""))
		for _, zone := range []*time.Location{time.FixedZone("UTC-10", -10*3600), time.FixedZone("UTC+14", 14*3600)} {
			start, err1 := allDayIn(event, ics.ComponentPropertyDtStart, zone)
			end, err2 := allDayIn(event, ics.ComponentPropertyDtEnd, zone)
			if err1 != nil || err2 != nil || start.Format(time.DateOnly) != "2026-12-31" || end.Format(time.DateOnly) != "2027-01-01" {
				t.Errorf("in %s: all-day event from %v to %v (%v, %v), want 31 December (the end is exclusive)", zone, start, end, err1, err2)
			}
			if p := event.GetProperty(ics.ComponentPropertyDtStart); p == nil || p.ICalParameters["VALUE"][0] != "DATE" {
				t.Errorf("DTSTART %v, want VALUE=DATE", p)
			}
			if got := event.GetProperty(ics.ComponentPropertySummary).Value; got != question {
				t.Errorf("SUMMARY %q, want %q", got, question)
			}
			if got := event.GetProperty(ics.ComponentPropertyDescription).Value; got != "Line one\nline two" {
				t.Errorf("DESCRIPTION %q", got)
			}
		}
	})
}

// allDayIn reads a DATE property of the parsed event as a reader in zone
// does. The parser's GetAllDayStartAt reads time.Local, which a test must
// not change while servers run (a data race with every time.Now).
func allDayIn(e *ics.VEvent, prop ics.ComponentProperty, zone *time.Location) (time.Time, error) {
	p := e.GetProperty(prop)
	if p == nil {
		return time.Time{}, fmt.Errorf("no %s", prop)
	}
	return time.ParseInLocation("20060102", p.Value, zone)
}

// Names hidden: results carry totals only, for anyone, the creator too.
func TestMeetingHiddenNames(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, token := c.createPoll(`{"question": "Q", "kind": "meeting", "hide_names": true, "slots": [{"date": "2026-04-01"}]}`)
		c.another().answerAs(id, "Ada Secret", `{"1": "yes"}`)
		for _, header := range [][]string{nil, {"Authorization", "Bearer " + token}} {
			res := c.do("GET", "/api/v1/polls/"+id+"/results", "", "", header...)
			if bytes.Contains(res.Body, []byte("Ada Secret")) || bytes.Contains(res.Body, []byte("participants")) {
				t.Errorf("results show who answered: %s", res.Body)
			}
			if r := c.meetingResults(id, header...); !r.HideNames || r.Slots[0].Yes != 1 {
				t.Errorf("results %+v, want names hidden and 1 yes", r)
			}
		}
	})
}

// Participants answer and edit at once through the API; the totals equal
// the participants' last answers, on every store.
func TestMeetingConcurrentAnswersAndEdits(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, _ := c.createPoll(meetingPoll)
		const participants, edits = 20, 3
		answers := []string{"yes", "if_need_be", "no"}
		ballot := func(p, e int) string {
			return fmt.Sprintf(`{"name": "P%d", "answers": {"1": %q, "2": %q, "3": %q}}`, p, answers[(p+e)%3], answers[(p*e)%3], answers[(p+2*e)%3])
		}
		var wg sync.WaitGroup
		for p := range participants {
			wg.Add(1)
			go func() {
				defer wg.Done()
				me := c.another()
				if res := me.postJSON("/api/v1/polls/"+id+"/votes", ballot(p, 0)); res.Status != http.StatusCreated {
					t.Errorf("answer P%d: %d %s", p, res.Status, res.Body)
				}
				for e := 1; e <= edits; e++ {
					if res := me.do("PUT", "/api/v1/polls/"+id+"/votes/mine", "application/json", ballot(p, e)); res.Status != http.StatusOK {
						t.Errorf("edit P%d: %d %s", p, res.Status, res.Body)
					}
				}
			}()
		}
		wg.Wait()
		want := map[int][2]int{}
		for p := range participants {
			for slot, a := range []string{answers[(p+edits)%3], answers[(p*edits)%3], answers[(p+2*edits)%3]} {
				n := want[slot+1]
				switch a {
				case "yes":
					n[0]++
				case "if_need_be":
					n[1]++
				}
				want[slot+1] = n
			}
		}
		r := c.meetingResults(id)
		if r.Total != participants || r.Participants == nil || len(*r.Participants) != participants {
			t.Errorf("total %d, participants %v; want %d", r.Total, r.Participants, participants)
		}
		for _, s := range r.Slots {
			if got := [2]int{s.Yes, s.IfNeedBe}; got != want[s.ID] {
				t.Errorf("slot %d: yes, if need be %v, want %v", s.ID, got, want[s.ID])
			}
		}
		// Each participant's answers are their last edit, once.
		seen := map[string]bool{}
		for _, got := range *r.Participants {
			var p int
			fmt.Sscanf(got.Name, "P%d", &p)
			var last struct{ Answers map[string]string }
			json.Unmarshal([]byte(ballot(p, edits)), &last)
			if seen[got.Name] || !reflect.DeepEqual(got.Answers, last.Answers) {
				t.Errorf("%s: answers %v (seen before: %v), want their last edit %v", got.Name, got.Answers, seen[got.Name], last.Answers)
			}
			seen[got.Name] = true
		}
	})
}
