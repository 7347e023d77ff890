package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// streamedMeeting waits for a results event that satisfies ok, on every
// store's change feed, and returns it.
func streamedMeeting(t *testing.T, st *stream, ok func(meetingResults) bool) meetingResults {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e := st.next(t, time.Until(deadline))
		_, data, found := strings.Cut(e, "event: results\ndata: ")
		var r meetingResults
		if found && json.Unmarshal([]byte(data), &r) == nil && ok(r) {
			return r
		}
	}
}

// The meeting page's live grid is fed by the results stream: an answer and
// an edit arrive as the API's results, names included; with names hidden
// the stream never carries one.
func TestMeetingLiveResults(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, _ := c.createPoll(meetingPoll)
		if page := c.get("/p/" + id); !bytes.Contains(page.Body, []byte(`data-events="/p/`+id+`/events"`)) || !bytes.Contains(page.Body, []byte("data-meeting-grid")) {
			t.Fatalf("the meeting page does not subscribe its grid:\n%s", page.Body)
		}
		st := openStream(t, c, id)
		ada := c.another()
		ada.answerAs(id, "Ada", `{"1": "yes"}`)
		r := streamedMeeting(t, st, func(r meetingResults) bool { return r.Participants != nil && len(*r.Participants) == 1 })
		if got := (*r.Participants)[0]; got.Name != "Ada" || got.Answers["1"] != "yes" || r.Slots[0].Yes != 1 {
			t.Errorf("after Ada's answer the stream says %+v", r)
		}
		if res := ada.do("PUT", "/api/v1/polls/"+id+"/votes/mine", "application/json", `{"name": "Ada", "answers": {"2": "if_need_be"}}`); res.Status != http.StatusOK {
			t.Fatalf("edit: %d %s", res.Status, res.Body)
		}
		r = streamedMeeting(t, st, func(r meetingResults) bool { return r.Slots[1].IfNeedBe == 1 })
		if got := (*r.Participants)[0].Answers; got["1"] != "no" || got["2"] != "if_need_be" || r.Slots[0].Yes != 0 || !reflect.DeepEqual(r, c.meetingResults(id)) {
			t.Errorf("after the edit the stream says %+v, the API %+v", r, c.meetingResults(id))
		}

		hidden, _ := c.createPoll(strings.Replace(meetingPoll, `"kind": "meeting"`, `"kind": "meeting", "hide_names": true`, 1))
		st = openStream(t, c, hidden)
		c.another().answerAs(hidden, "Secret Person", `{"1": "yes"}`)
		r = streamedMeeting(t, st, func(r meetingResults) bool { return r.Total == 1 })
		if r.Participants != nil || !r.HideNames {
			t.Errorf("with names hidden the stream says %+v", r)
		}
	})
}
