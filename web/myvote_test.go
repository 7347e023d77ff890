package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// myVote reads the client's ballot: its options and whether it may change,
// or the error code.
func (c *apiUser) myVote(id string, header ...string) (options []int, canChange bool, code string) {
	c.t.Helper()
	res := c.do("GET", "/api/v1/polls/"+id+"/votes/mine", "", "", header...)
	if res.Status != http.StatusOK {
		code, _ = res.errorCode(c.t)
		return nil, false, code
	}
	var mine struct {
		OptionIDs []int `json:"option_ids"`
		CanChange bool  `json:"can_change"`
	}
	if err := json.Unmarshal(res.Body, &mine); err != nil {
		c.t.Fatal(err)
	}
	return mine.OptionIDs, mine.CanChange, ""
}

// changeVote replaces the client's ballot and returns the status and error code.
func (c *apiUser) changeVote(id, body string) (int, string) {
	c.t.Helper()
	res := c.do("PUT", "/api/v1/polls/"+id+"/votes/mine", "application/json", body)
	if res.Status == http.StatusOK {
		return res.Status, ""
	}
	code, _ := res.errorCode(c.t)
	return res.Status, code
}

func TestAPIMyVoteAndChange(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, token := c.createPoll(`{"question": "Q", "options": ["A", "B", "C"], "multiple": true, "max_choices": 2, "allow_changes": true}`)
		if got := c.get("/api/v1/polls/" + id).json(t)["allow_changes"]; got != true {
			t.Errorf("allow_changes = %v, want true", got)
		}
		if _, _, code := c.myVote(id); code != "no_ballot" {
			t.Errorf("before voting: %s, want no_ballot", code)
		}
		c.vote(id, `{"option_ids": [1]}`)
		if options, canChange, code := c.myVote(id); !slices.Equal(options, []int{1}) || !canChange || code != "" {
			t.Errorf("after voting: %v can change %v %s, want [1] true", options, canChange, code)
		}
		if status, code := c.changeVote(id, `{"option_ids": [2, 3]}`); status != http.StatusOK {
			t.Fatalf("change: %d %s", status, code)
		}
		if options, _, _ := c.myVote(id); !slices.Equal(options, []int{2, 3}) {
			t.Errorf("after the change: %v, want [2 3]", options)
		}
		if total, votes := c.results(id); total != 1 || fmt.Sprint(votes) != "[0 1 1]" {
			t.Errorf("results after the change = %d %v, want 1 [0 1 1]", total, votes)
		}
		for _, tt := range []struct {
			name, body string
			who        *apiUser
			status     int
			code       string
		}{
			{"too many", `{"option_ids": [1, 2, 3]}`, c, 400, "choices_too_many"},
			{"none", `{"option_ids": []}`, c, 400, "option_required"},
			{"unknown field", `{"option_ids": [1], "change": true}`, c, 400, "unknown_field"},
			{"not voted", `{"option_ids": [1]}`, c.another(), 404, "no_ballot"},
		} {
			if status, code := tt.who.changeVote(id, tt.body); status != tt.status || code != tt.code {
				t.Errorf("%s: %d %s, want %d %s", tt.name, status, code, tt.status, tt.code)
			}
		}
		if res := c.do("PUT", "/api/v1/polls/"+id+"/votes/mine", "text/plain", `{"option_ids": [1]}`); res.Status != http.StatusUnsupportedMediaType {
			t.Errorf("change as text/plain: %d", res.Status)
		}
		if total, votes := c.results(id); total != 1 || fmt.Sprint(votes) != "[0 1 1]" {
			t.Errorf("results after refused changes = %d %v, want 1 [0 1 1]", total, votes)
		}
		c.postJSON("/api/v1/polls/"+id+"/close", "", "Authorization", "Bearer "+token)
		if status, code := c.changeVote(id, `{"option_ids": [1]}`); status != http.StatusConflict || code != "poll_closed" {
			t.Errorf("change on a closed poll: %d %s", status, code)
		}
		if options, canChange, _ := c.myVote(id); !slices.Equal(options, []int{2, 3}) || canChange {
			t.Errorf("closed: %v can change %v, want [2 3] false", options, canChange)
		}

		fixed, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
		c.vote(fixed, `{"option_ids": [1]}`)
		if status, code := c.changeVote(fixed, `{"option_ids": [2]}`); status != http.StatusConflict || code != "changes_not_allowed" {
			t.Errorf("change without allow_changes: %d %s", status, code)
		}
		if options, canChange, _ := c.myVote(fixed); !slices.Equal(options, []int{1}) || canChange {
			t.Errorf("poll without changes: %v can change %v, want [1] false", options, canChange)
		}
	})
}

// Every duplicate check: the ballot is the voter's as the check knows them.
func TestAPIMyVoteEveryCheck(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		// ip: every client here comes from 127.0.0.1, so they share one ballot,
		// as people behind one address do; its choice is the casting browser's
		// alone to see and change.
		ip, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"], "duplicate_check": "ip", "allow_changes": true}`)
		c.vote(ip, `{"option_ids": [1]}`)
		neighbour := c.another()
		if options, _, code := neighbour.myVote(ip); options != nil || code != "ballot_not_yours" {
			t.Errorf("ip poll, another browser at the address: %v %s, want ballot_not_yours", options, code)
		}
		if status, code := neighbour.changeVote(ip, `{"option_ids": [2]}`); status != http.StatusForbidden || code != "ballot_not_yours" {
			t.Errorf("ip poll, change from another browser at the address: %d %s", status, code)
		}
		if status, code := c.changeVote(ip, `{"option_ids": [2]}`); status != http.StatusOK {
			t.Errorf("ip poll, change from the casting browser: %d %s", status, code)
		}
		if total, votes := c.results(ip); total != 1 || fmt.Sprint(votes) != "[0 1]" {
			t.Errorf("ip poll results = %d %v, want 1 [0 1]", total, votes)
		}

		// code: the code keys the ballot, sent in a header (GET) or the body
		// (PUT); only the casting browser sees its choice, and a code poll
		// takes no changes.
		res := c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "duplicate_check": "code", "voter_codes": 2, "allow_changes": true}`)
		if got, field := res.errorCode(t); res.Status != http.StatusBadRequest || got != "allow_changes_code" || field != "allow_changes" {
			t.Errorf("code poll with changes: %d %s", res.Status, res.Body)
		}
		res = c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "duplicate_check": "code", "voter_codes": 2}`)
		var created struct {
			ID    string   `json:"id"`
			Codes []string `json:"voter_codes"`
		}
		if err := json.Unmarshal(res.Body, &created); err != nil || len(created.Codes) != 2 {
			t.Fatalf("create a code poll: %d %s", res.Status, res.Body)
		}
		code, unused := created.Codes[0], created.Codes[1]
		c.vote(created.ID, `{"option_ids": [1], "code": "`+code+`"}`)
		stranger := c.another()
		if options, _, got := stranger.myVote(created.ID, "X-Voter-Code", code); options != nil || got != "ballot_not_yours" {
			t.Errorf("code poll with the code from another browser: %v %s, want ballot_not_yours", options, got)
		}
		if options, canChange, _ := c.myVote(created.ID, "X-Voter-Code", code); !slices.Equal(options, []int{1}) || canChange {
			t.Errorf("code poll with the code from the casting browser: %v can change %v, want [1] false", options, canChange)
		}
		for name, header := range map[string][]string{"no code": nil, "an unused code": {"X-Voter-Code", unused}} {
			if _, _, got := stranger.myVote(created.ID, header...); got != map[string]string{"no code": "invalid_code", "an unused code": "no_ballot"}[name] {
				t.Errorf("code poll with %s: %s", name, got)
			}
		}
		for _, who := range []*apiUser{stranger, c} {
			if status, got := who.changeVote(created.ID, `{"option_ids": [2], "code": "`+code+`"}`); status != http.StatusConflict || got != "changes_not_allowed" {
				t.Errorf("code poll, change with the code: %d %s", status, got)
			}
		}
		if total, votes := c.results(created.ID); total != 1 || fmt.Sprint(votes) != "[1 0]" {
			t.Errorf("code poll results = %d %v, want 1 [1 0]", total, votes)
		}

		// none: a kiosk knows no voter, so it has no ballot of yours to change.
		res = c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "duplicate_check": "none", "allow_changes": true}`)
		if got, field := res.errorCode(t); res.Status != http.StatusBadRequest || got != "allow_changes_kiosk" || field != "allow_changes" {
			t.Errorf("kiosk poll with changes: %d %s", res.Status, res.Body)
		}
		kiosk, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"], "duplicate_check": "none"}`)
		c.vote(kiosk, `{"option_ids": [1]}`)
		if _, _, got := c.myVote(kiosk); got != "no_ballot" {
			t.Errorf("kiosk poll: %s, want no_ballot", got)
		}
	})
}

// Voters change their ballots again and again while others vote, over
// HTTP: the counters always equal the ballots the voters read back.
func TestAPIConcurrentChanges(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, _ := c.createPoll(`{"question": "Q", "options": ["A", "B", "C"], "allow_changes": true}`)
		const voters, changes = 40, 4
		clients := make([]*apiUser, voters)
		var wg sync.WaitGroup
		for v := range clients {
			clients[v] = c.another()
			wg.Add(1)
			go func() {
				defer wg.Done()
				if status, code := clients[v].vote(id, fmt.Sprintf(`{"option_ids": [%d]}`, v%3+1)); status != http.StatusCreated {
					t.Errorf("vote: %d %s", status, code)
					return
				}
				if v%2 == 1 {
					return // half the voters only vote
				}
				for n := range changes {
					if status, code := clients[v].changeVote(id, fmt.Sprintf(`{"option_ids": [%d]}`, (v+n)%3+1)); status != http.StatusOK {
						t.Errorf("change: %d %s", status, code)
					}
				}
			}()
		}
		wg.Wait()
		want := []int{0, 0, 0}
		for _, voter := range clients {
			options, _, code := voter.myVote(id)
			if len(options) != 1 {
				t.Fatalf("a voter's ballot: %v %s", options, code)
			}
			want[options[0]-1]++
		}
		if total, votes := c.results(id); total != voters || fmt.Sprint(votes) != fmt.Sprint(want) {
			t.Errorf("results = %d %v, want %d %v (the ballots read back)", total, votes, voters, want)
		}
	})
}

// The poll page shows the voter's choices, and, where the poll allows it,
// a form that changes them, without JavaScript.
func TestPageYourVote(t *testing.T) {
	_, c := pageServer(t)
	v := pollForm("Lunch?", "Soup", "Salad", "Pasta")
	v.Set("choice", "multiple")
	v.Set("allow_changes", "yes")
	id, _ := c.createForm(v)
	if got := c.get("/api/v1/polls/" + id).json(t)["allow_changes"]; got != true {
		t.Fatalf("the form's checkbox: allow_changes = %v", got)
	}
	c.follow(c.form("/p/"+id+"/vote", url.Values{"option": {"1", "3"}}))
	poll := c.get("/p/" + id)
	mustContain(t, poll, "Your vote is counted.", `<h2 id="mine-heading">Your vote</h2>`, `<li dir="auto">Soup</li><li dir="auto">Pasta</li>`,
		`action="/p/`+id+`/change"`, "<legend>Change your vote: Choose one or more options</legend>",
		`id="option-1" name="option" value="1" checked`, `id="option-3" name="option" value="3" checked`)
	if strings.Contains(string(poll.Body), `id="option-2" name="option" value="2" checked`) {
		t.Error("an option the voter did not choose is ticked")
	}

	bad := c.form("/p/"+id+"/change", url.Values{})
	if bad.Status != http.StatusBadRequest {
		t.Errorf("a change to nothing: status %d, want 400", bad.Status)
	}
	mustContain(t, bad, `id="vote-error" role="alert">Choose an option.</p>`, `action="/p/`+id+`/change"`)
	loc, changed := c.follow(c.form("/p/"+id+"/change", url.Values{"option": {"2"}}))
	if loc != "/p/"+id+"?changed" {
		t.Errorf("change redirected to %q", loc)
	}
	mustContain(t, changed, "Your vote is changed.", `<li dir="auto">Salad</li>`)
	if total, votes := c.results(id); total != 1 || fmt.Sprint(votes) != "[0 1 0]" {
		t.Errorf("results after the change = %d %v, want 1 [0 1 0]", total, votes)
	}

	// Without allow_changes the page shows the vote and no form.
	fixed, _ := c.createForm(pollForm("Tea?", "Tea", "Coffee"))
	c.follow(c.form("/p/"+fixed+"/vote", url.Values{"option": {"2"}}))
	page := c.get("/p/" + fixed)
	mustContain(t, page, `<li dir="auto">Coffee</li>`)
	if strings.Contains(string(page.Body), "/change") || strings.Contains(string(page.Body), "<fieldset") {
		t.Error("a poll without changes offers a change form")
	}
	res := c.form("/p/"+fixed+"/change", url.Values{"option": {"1"}})
	if res.Status != http.StatusConflict {
		t.Errorf("change on a poll without changes: status %d, want 409", res.Status)
	}
	mustContain(t, res, "This poll does not let voters change their vote.")
}
