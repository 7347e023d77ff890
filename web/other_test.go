package web_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/web"
)

// Creating a poll with voters' own answers: every wrong combination is a
// 400 naming its field.
func TestOtherCreateRules(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		for _, tt := range []struct{ body, code, field string }{
			{`{"question":"Q","options":["A","B"],"kind":"ranked","allow_other":true}`, "allow_other_kind", "allow_other"},
			{`{"question":"Q","kind":"meeting","slots":[{"date":"2030-01-02"}],"allow_other":true}`, "allow_other_kind", "allow_other"},
			{`{"question":"Q","options":["A","B"],"allow_changes":true,"allow_other":true}`, "allow_other_changes", "allow_other"},
			{`{"question":"Q","options":["A","B"],"other_approval":"creator"}`, "other_approval_without_other", "other_approval"},
			{`{"question":"Q","options":["A","B"],"allow_other":true,"other_approval":"boss"}`, "other_approval_invalid", "other_approval"},
		} {
			wantError(t, c.postJSON("/api/v1/polls", tt.body), http.StatusBadRequest, tt.code, tt.field)
		}
	})
}

// Voting with an answer of one's own through the API: it merges with the
// option of the same text (case and width folded), or becomes an option
// everyone sees, up to the option limit.
func TestOtherAPIVotes(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, _ := c.createPoll(`{"question":"Drink?","options":["Tea","Coffee"],"allow_other":true}`)
		voteWith := func(body string) response { return c.another().postJSON("/api/v1/polls/"+id+"/votes", body) }
		for _, body := range []string{`{"other":"ＣＯＦＦＥＥ"}`, `{"other":"Juice"}`, `{"other":" juice "}`} {
			if res := voteWith(body); res.Status != http.StatusCreated {
				t.Fatalf("vote %s: %d %s", body, res.Status, res.Body)
			}
		}
		for _, tt := range []struct{ body, code, field string }{
			{`{"option_ids":[1],"other":"Milk"}`, "option_single", "other"},
			{`{"other":"` + strings.Repeat("x", pollstack.MaxOptionLen+1) + `"}`, "other_too_long", "other"},
			{`{"other":"a\u0007b"}`, "text_control_character", "other"},
			{`{"other":"   "}`, "option_required", "option_ids"},
		} {
			wantError(t, voteWith(tt.body), http.StatusBadRequest, tt.code, tt.field)
		}
		if total, votes := c.results(id); total != 3 || !slices.Equal(votes, []int{0, 1, 2}) {
			t.Errorf("results %d %v, want 3 ballots: Tea 0, Coffee 1, Juice 2", total, votes)
		}
		if got := c.get("/api/v1/polls/" + id); !strings.Contains(string(got.Body), `{"id":3,"label":"Juice"}`) {
			t.Errorf("the new answer is not an option: %s", got.Body)
		}
		plain, _ := c.createPoll(`{"question":"Q","options":["A","B"]}`)
		wantError(t, c.postJSON("/api/v1/polls/"+plain+"/votes", `{"other":"C"}`), http.StatusBadRequest, "other_not_allowed", "other")

		labels := make([]string, pollstack.MaxOptions-1)
		for i := range labels {
			labels[i] = fmt.Sprintf("%q", fmt.Sprint("Option ", i+1))
		}
		full, _ := c.createPoll(`{"question":"Q","options":[` + strings.Join(labels, ",") + `],"allow_other":true}`)
		if res := c.another().postJSON("/api/v1/polls/"+full+"/votes", `{"other":"Last"}`); res.Status != http.StatusCreated {
			t.Fatalf("the last room: %d %s", res.Status, res.Body)
		}
		wantError(t, c.another().postJSON("/api/v1/polls/"+full+"/votes", `{"other":"One too many"}`), http.StatusConflict, "other_full", "other")
	})
}

// secret is a voter's answer that the creator has not approved.
const secret = "Pending-Answer-Never-Public"

// An attacker writes an answer to a poll whose creator approves answers,
// then reads every page and API route a visitor can reach (taken from the
// server's own routing table, with the poll's ID): the answer is on none of
// them, and cannot be chosen by its option ID, until the creator approves
// it, and it is then on the public routes (so the reads can see it).
func TestOtherPendingNeverPublic(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(stores)) {
		t.Run(name, func(t *testing.T) {
			s := web.New(web.Config{Store: stores[name](t)})
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL)
			id, token := c.createPoll(`{"question":"Q","options":["A","B"],"allow_other":true,"other_approval":"creator","embed_origins":["*"]}`)
			attacker := c.another()
			if res := attacker.postJSON("/api/v1/polls/"+id+"/votes", `{"other":"`+secret+`"}`); res.Status != http.StatusCreated {
				t.Fatalf("attacker's vote: %d %s", res.Status, res.Body)
			}
			paths := publicReads(s.Routes(), srv.URL, id)
			for _, reader := range []*apiUser{attacker, c.another()} {
				for _, path := range paths {
					if body := read(t, reader, path); strings.Contains(body, secret) {
						t.Errorf("GET %s serves the pending answer:\n%s", path, body)
					}
				}
			}
			res := attacker.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids":[3]}`)
			if code, _ := res.errorCode(t); code != "option_unknown" {
				t.Errorf("choosing the pending answer by ID: %d %s, want option_unknown", res.Status, res.Body)
			}
			ballots := c.do("GET", "/api/v1/polls/"+id+"/ballots.csv", "", "", "Authorization", "Bearer "+token)
			if ballots.Status != http.StatusOK || strings.Contains(string(ballots.Body), secret) || strings.Count(string(ballots.Body), "\r\n") != 2 {
				t.Errorf("the creator's ballot file: %d, want the header and the one ballot, without the pending answer:\n%s", ballots.Status, ballots.Body)
			}
			pending := c.do("GET", "/api/v1/polls/"+id+"/answers", "", "", "Authorization", "Bearer "+token)
			if !strings.Contains(string(pending.Body), `{"id":3,"label":"`+secret+`","votes":1}`) {
				t.Fatalf("the creator's list lacks the answer: %d %s", pending.Status, pending.Body)
			}
			res = c.postJSON("/api/v1/polls/"+id+"/answers/3", `{"decision":"approve"}`, "Authorization", "Bearer "+token)
			if res.Status != http.StatusOK || !strings.Contains(string(res.Body), secret) {
				t.Fatalf("approve: %d %s", res.Status, res.Body)
			}
			var seen []string
			for _, path := range paths {
				if strings.Contains(read(t, c.another(), path), secret) {
					seen = append(seen, path)
				}
			}
			for _, want := range []string{"/p/" + id, "/p/" + id + "/results", "/api/v1/polls/" + id, "/api/v1/polls/" + id + "/results"} {
				if !slices.Contains(seen, want) {
					t.Errorf("approved answer missing from %s (shown on %v)", want, seen)
				}
			}
		})
	}
}

// publicReads are the GET routes of the table that a visitor can read, with
// the poll's ID in place of {id} (routes with any other wildcard serve no
// poll), and the oEmbed route asked about the poll's link.
func publicReads(routes []string, base, id string) []string {
	var out []string
	for _, rt := range routes {
		method, pattern, _ := strings.Cut(rt, " ")
		if method != "GET" {
			continue
		}
		path := strings.ReplaceAll(strings.ReplaceAll(pattern, "{$}", ""), "{id}", id)
		if strings.Contains(path, "{") {
			continue
		}
		if path == "/oembed" {
			path += "?format=json&url=" + url.QueryEscape(base+"/p/"+id)
		}
		out = append(out, path)
	}
	return out
}

// read returns what a GET of path serves within a second: a live stream
// never ends, so its first events are what it serves.
func read(t *testing.T, c *apiUser, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body) // a stream ends with the deadline
	return string(body)
}

// Present mode is refused for a poll whose new answers show unchecked, and
// the admin page does not offer it; with approval it is served.
func TestOtherPresentNeedsApproval(t *testing.T) {
	_, c := pageServer(t)
	auto, autoToken := c.createPoll(`{"question":"Q","options":["A","B"],"allow_other":true}`)
	res := c.get("/p/" + auto + "/present")
	if res.Status != http.StatusConflict || !strings.Contains(string(res.Body), "approve") {
		t.Errorf("present mode of an unmoderated poll: %d, want 409 saying why:\n%s", res.Status, res.Body)
	}
	if page := c.admin(auto, autoToken); strings.Contains(string(page.Body), "/present") {
		t.Error("the admin page offers present mode for an unmoderated poll")
	}
	moderated, token := c.createPoll(`{"question":"Q","options":["A","B"],"allow_other":true,"other_approval":"creator"}`)
	if res := c.get("/p/" + moderated + "/present"); res.Status != http.StatusOK {
		t.Errorf("present mode with approval: %d", res.Status)
	}
	mustContain(t, c.admin(moderated, token), "/p/"+moderated+"/present")
}

// Without JavaScript: the create form takes the setting, the poll page's
// own answer box votes, the admin page lists the answer and approves it,
// and the poll page then offers it as an option.
func TestOtherPagesFlow(t *testing.T) {
	_, c := pageServer(t)
	form := pollForm("Lunch?", "Soup", "Salad")
	form.Set("allow_other", "creator")
	id, created := c.createForm(form)
	m := adminLink.FindStringSubmatch(string(created.Body))
	if m == nil {
		t.Fatal("no admin link")
	}
	page := c.get("/p/" + id)
	mustContain(t, page, `name="other"`, `value="other"`, "checks new answers")
	voter := pageClient(t, c.base)
	voter.get("/p/" + id)
	both := voter.form("/p/"+id+"/vote", url.Values{"option": {"1"}, "other": {"Noodles"}})
	if both.Status != http.StatusBadRequest || !strings.Contains(string(both.Body), "not both") || !strings.Contains(string(both.Body), `value="Noodles"`) {
		t.Errorf("an option and an answer: %d, want 400 that keeps the answer:\n%s", both.Status, both.Body)
	}
	voter.follow(voter.form("/p/"+id+"/vote", url.Values{"option": {"other"}, "other": {"Noodles"}}))
	if body := c.another().get("/p/" + id + "/results").Body; strings.Contains(string(body), "Noodles") {
		t.Error("the pending answer is on the results page")
	}
	admin := c.admin(id, m[2])
	mustContain(t, admin, "Answers waiting for you", "Noodles")
	approved := c.form("/p/"+id+"/answers", url.Values{"token": {m[2]}, "option_id": {"3"}, "decision": {"approve"}})
	if approved.Status != http.StatusOK || strings.Contains(string(approved.Body), `name="option_id" value="3"`) {
		t.Errorf("approve: %d, want the admin page without the answer waiting:\n%s", approved.Status, approved.Body)
	}
	mustContain(t, c.another().get("/p/"+id), `<label for="option-3" dir="auto">Noodles</label>`)
	bad := c.form("/p/"+id+"/answers", url.Values{"token": {m[2]}, "option_id": {"3"}, "decision": {"approve"}})
	if bad.Status != http.StatusNotFound {
		t.Errorf("approving twice: %d, want 404", bad.Status)
	}
}
