package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/pollstack/pollstack"
)

// wantRefused checks that a ballot file request was refused with the
// status: the API with the error code, the page with an error page.
func wantRefused(t *testing.T, route string, res response, status int, code string) {
	t.Helper()
	if strings.HasPrefix(route, "GET /api/") {
		wantError(t, res, status, code, "")
	} else if res.Status != status || bytes.Contains(res.Body, []byte("ballot_id")) {
		t.Errorf("status %d, want %d without the file: %.300s", res.Status, status, res.Body)
	}
}

// ballotFileRoutes are the two ways to ask for a poll's ballot file: the
// API's GET and the admin page's form post, each with a token or without.
func ballotFileRoutes(c *apiUser, id, token string) map[string]response {
	path := "/api/v1/polls/" + id + "/ballots.csv"
	api := c.get(path)
	if token != "" {
		api = c.get(path, "Authorization", "Bearer "+token)
	}
	return map[string]response{"GET " + path: api, "POST /p/" + id + "/ballots.csv": c.form("/p/"+id+"/ballots.csv", url.Values{"token": {token}})}
}

// Attack: someone other than the creator asks for the ballot file of a poll
// whose creator published it, while it is open (ballots can still change)
// and with a guessed token; then of a poll whose ballots stay private, once
// closed. Only a closed poll with published ballots gives its file to all,
// and that file recounts to the published result.
func TestBallotFilePublicOnceClosed(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		wantError(t, c.postJSON("/api/v1/polls", `{"question": "Q", "kind": "meeting", "slots": [{"date": "2030-01-02"}, {"date": "2030-01-03"}], "ballots_public": true}`), 400, "ballots_public_meeting", "ballots_public")

		form := pollForm("Q", "A", "B")
		form.Set("ballots_public", "yes")
		if formID, _ := pageClient(t, c.base).createForm(form); c.get("/api/v1/polls/" + formID).json(t)["ballots_public"] != true {
			t.Errorf("the form's ballots_public box did not reach the poll")
		}

		id, token := c.createPoll(`{"question": "Lunch?", "options": ["Soup", "Salad", "Pie"], "kind": "ranked", "ballots_public": true}`)
		if got := c.get("/api/v1/polls/" + id).json(t)["ballots_public"]; got != true {
			t.Errorf("ballots_public %v, want true", got)
		}
		for _, ranking := range []string{"[1, 2]", "[2, 3]", "[3, 1]", "[1]"} {
			if res := c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": `+ranking+`}`); res.Status != http.StatusCreated {
				t.Fatalf("vote: %d %s", res.Status, res.Body)
			}
		}
		stranger := c.another()
		for route, res := range ballotFileRoutes(stranger, id, "") {
			t.Run("open "+route, func(t *testing.T) { wantRefused(t, route, res, 403, "ballots_not_yet_public") })
		}
		for route, res := range ballotFileRoutes(stranger, id, "guessed") {
			t.Run("guessed token "+route, func(t *testing.T) { wantRefused(t, route, res, 403, "admin_token_invalid") })
		}
		for route, res := range ballotFileRoutes(c, id, token) {
			if res.Status != http.StatusOK {
				t.Errorf("the creator's %s while open: %d %s", route, res.Status, res.Body)
			}
		}
		if page := stranger.get("/p/" + id + "/results"); bytes.Contains(page.Body, []byte("ballots.csv")) {
			t.Errorf("the open poll's results link to its ballots")
		}

		private, privateToken := c.createPoll(`{"question": "Q", "options": ["A", "B"], "kind": "ranked"}`)
		c.postJSON("/api/v1/polls/"+private+"/close", "", "Authorization", "Bearer "+privateToken)
		c.postJSON("/api/v1/polls/"+id+"/close", "", "Authorization", "Bearer "+token)
		for route, res := range ballotFileRoutes(stranger, private, "") {
			t.Run("private "+route, func(t *testing.T) { wantRefused(t, route, res, 401, "admin_token_required") })
		}
		if page := stranger.get("/p/" + private + "/results"); bytes.Contains(page.Body, []byte("ballots.csv")) {
			t.Errorf("the private poll's results link to its ballots")
		}

		mustContain(t, stranger.get("/p/"+id+"/results"), `href="/api/v1/polls/`+id+`/ballots.csv"`)
		for route, res := range ballotFileRoutes(stranger, id, "") {
			if res.Status != http.StatusOK {
				t.Fatalf("%s once closed: %d %s", route, res.Status, res.Body)
			}
			_, recount, err := pollstack.Recount(id, bytes.NewReader(res.Body))
			if err != nil {
				t.Fatalf("%s: recount: %v", route, err)
			}
			if published := toResults(c.rankedResults(id)); !reflect.DeepEqual(published, recount) {
				t.Errorf("%s: published %+v, recount %+v", route, published, recount)
			}
		}
	})
}
