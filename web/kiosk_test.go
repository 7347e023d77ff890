package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A kiosk poll on one shared tablet (issue 26, item 5): each vote counts,
// and after each the page is an empty ballot that shows neither the last
// voter's choice nor the results, and that the browser may not cache or
// fill in again.
func TestKioskResetsForTheNextVoter(t *testing.T) {
	eachStore(t, func(t *testing.T, api *apiUser) {
		res := api.postJSON("/api/v1/polls", `{"question": "Kiosk?", "options": ["A", "B"], "kiosk": true, "duplicate_check": "browser"}`)
		wantError(t, res, http.StatusBadRequest, "kiosk_check", "kiosk")

		tablet := pageClient(t, api.base)
		created := tablet.form("/", url.Values{"question": {"How was the talk?"}, "option": {"Great", "Fine", "Meh"}, "choice": {"single"},
			"results": {"always"}, "duplicate_check": {"browser"}, "kiosk": {"yes"}})
		loc, _ := tablet.follow(created)
		id := strings.TrimSuffix(strings.TrimPrefix(loc, "/p/"), "/created")
		p := api.do("GET", "/api/v1/polls/"+id, "", "").json(t)
		if p["kiosk"] != true || p["duplicate_check"] != "none" {
			t.Fatalf("the form's kiosk poll: kiosk %v, check %v", p["kiosk"], p["duplicate_check"])
		}
		for i, option := range []string{"2", "1", "2"} {
			next, page := tablet.follow(tablet.form("/p/"+id+"/vote", url.Values{"option": {option}}))
			// The notice a poll that closes shows, hidden until then, is not the results.
			body := strings.Replace(string(page.Body), `hidden>This poll has just closed. <a href="/p/`+id+`/results">`, "", 1)
			switch {
			case next != "/p/"+id:
				t.Errorf("vote %d: sent to %s, want the poll page", i, next)
			case !strings.Contains(body, "Thank you: your vote is counted. The ballot is ready for the next person."):
				t.Errorf("vote %d: no thanks", i)
			case strings.Contains(body, " checked") || strings.Contains(body, "mine-heading") || strings.Contains(body, "/results\""):
				t.Errorf("vote %d: the page shows the last voter's choice or the results", i)
			case page.Header.Get("Cache-Control") != "no-store" || !strings.Contains(body, `autocomplete="off"`):
				t.Errorf("vote %d: the page may be cached or restored (Cache-Control %q)", i, page.Header.Get("Cache-Control"))
			}
		}
		if total, votes := api.results(id); total != 3 || votes[0] != 1 || votes[1] != 2 {
			t.Errorf("results %d %v, want 3 [1 2 0]", total, votes)
		}
	})
}
