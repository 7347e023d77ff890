//go:build integration

package attack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// browser is one client with its own cookie jar: a browser to the server.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request from this browser; header is name, value, ...
func (b *browser) do(method, path, contentType, body string, header ...string) answer {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, out}
}

func (b *browser) form(path string, v url.Values) answer {
	b.t.Helper()
	return b.do("POST", path, "application/x-www-form-urlencoded", v.Encode())
}

// optionIDs are the options an API answer shows, if any.
func optionIDs(a answer) []int {
	var v struct {
		OptionIDs []int `json:"option_ids"`
	}
	json.Unmarshal(a.body, &v)
	return v.OptionIDs
}

// Labels no other text of the page contains, so that finding one in a page
// is finding the ballot's choice.
const (
	secretChoice = "Zanzibar"
	otherChoice  = "Quixote"
)

// revealsChoice reports whether a page shows a ballot's choice: the "Your
// vote" list, or an option ticked in a form.
func revealsChoice(page []byte) bool {
	return contains(page, `class="mine"`) || contains(page, " checked")
}

// Attack: a neighbour behind the same address (every client of this test
// comes from 127.0.0.1) opens an "ip" poll that a browser of the address
// voted in. On the code before the fix the page said "Your vote: Zanzibar"
// to the neighbour, GET votes/mine returned it with no cookie at all, and
// the neighbour's PUT and change form rewrote it. Now the neighbour learns
// only that this address has voted; the casting browser alone sees and
// changes its ballot.
func TestANeighbourOnTheSameAddressNeitherReadsNorChangesABallot(t *testing.T) {
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := servertest.Start(t, append(store, "--vote-rate-limit", "0")...)
			id := createPoll(t, s.URL(), fmt.Sprintf(`{"question": "Where to?", "options": [%q, %q], "duplicate_check": "ip", "allow_changes": true}`,
				otherChoice, secretChoice))["id"].(string)
			voter, neighbour := newBrowser(t, s.URL()), newBrowser(t, s.URL())
			if a := voter.form("/p/"+id+"/vote", url.Values{"option": {"2"}}); a.status != http.StatusSeeOther {
				t.Fatalf("the voter's vote: %s", a)
			}
			mine := "/api/v1/polls/" + id + "/votes/mine"

			page := neighbour.do("GET", "/p/"+id, "", "")
			api := neighbour.do("GET", mine, "", "")
			bare := send(t, "GET", s.URL()+mine, "", "")
			put := neighbour.do("PUT", mine, "application/json", `{"option_ids": [1]}`)
			change := neighbour.form("/p/"+id+"/change", url.Values{"option": {"1"}})
			figures.Print(t, "neighbour on an ip poll: page %d, votes/mine %s, without cookie %s, PUT %s, change form %d",
				page.status, api, bare, put, change.status)
			if revealsChoice(page.body) || !contains(page.body, "This address has voted") {
				t.Errorf("the neighbour's poll page shows the ballot, or does not say the address voted:\n%s", page.body)
			}
			for _, a := range []answer{api, bare} {
				if ids := optionIDs(a); len(ids) > 0 || a.status != http.StatusForbidden {
					t.Errorf("votes/mine to a neighbour: %s, want 403 and no options", a)
				} else if code, _ := a.code(); code != "ballot_not_yours" {
					t.Errorf("votes/mine to a neighbour: code %q, want ballot_not_yours", code)
				}
			}
			if put.status != http.StatusForbidden || change.status != http.StatusForbidden {
				t.Errorf("the neighbour's change: PUT %s, form %d; want 403 each", put, change.status)
			}

			// The casting browser still sees and changes its own ballot.
			if got := optionIDs(voter.do("GET", mine, "", "")); len(got) != 1 || got[0] != 2 {
				t.Errorf("the voter's own votes/mine: %v, want [2]", got)
			}
			if own := voter.do("GET", "/p/"+id, "", ""); !contains(own.body, `class="mine"`) || !contains(own.body, secretChoice) {
				t.Errorf("the voter's own page does not show the ballot:\n%s", own.body)
			}
			if a := voter.do("PUT", mine, "application/json", `{"option_ids": [1]}`); a.status != http.StatusOK {
				t.Errorf("the voter's own change: %s, want 200", a)
			}
			if got := optionIDs(voter.do("GET", mine, "", "")); len(got) != 1 || got[0] != 1 {
				t.Errorf("after the voter's change votes/mine says %v, want [1]", got)
			}
		})
	}
}

// Attack: the creator holds every voter code of a "code" poll. On the code
// before the fix, typing a used code on the poll page, or sending it to GET
// votes/mine, showed the holder's choice, and PUT votes/mine with the code
// alone rewrote it. Now a code proves only that its ballot exists: the
// creator's page and API answers carry no choice, and a code poll takes no
// changes (allow_changes is refused for it, naming the field).
func TestACreatorHoldingTheCodesNeitherReadsNorChangesABallot(t *testing.T) {
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := servertest.Start(t, append(store, "--vote-rate-limit", "0")...)
			body := fmt.Sprintf(`{"question": "Chair?", "options": [%q, %q], "duplicate_check": "code", "voter_codes": 2%%s}`, otherChoice, secretChoice)
			withChanges := send(t, "POST", s.URL()+"/api/v1/polls", "application/json", fmt.Sprintf(body, `, "allow_changes": true`))
			code, field := withChanges.code()
			if withChanges.status != http.StatusBadRequest || field != "allow_changes" {
				t.Errorf("a code poll with allow_changes: %d %s (%s), want 400 naming allow_changes", withChanges.status, code, field)
			}
			poll := createPoll(t, s.URL(), fmt.Sprintf(body, ""))
			if withChanges.status == http.StatusCreated { // the code before the fix: play the change on that poll
				poll = map[string]any{}
				json.Unmarshal(withChanges.body, &poll)
			}
			id, codes := poll["id"].(string), poll["voter_codes"].([]any)
			held := codes[0].(string)
			voter, creator := newBrowser(t, s.URL()), newBrowser(t, s.URL())
			if a := voter.form("/p/"+id+"/vote", url.Values{"option": {"2"}, "code": {held}}); a.status != http.StatusSeeOther {
				t.Fatalf("the voter's vote: %s", a)
			}
			mine := "/api/v1/polls/" + id + "/votes/mine"

			api := creator.do("GET", mine, "", "", "X-Voter-Code", held)
			query := creator.do("GET", "/p/"+id+"?code="+url.QueryEscape(held), "", "")
			typed := creator.form("/p/"+id+"/vote", url.Values{"option": {"1"}, "code": {held}})
			put := creator.do("PUT", mine, "application/json", fmt.Sprintf(`{"option_ids": [1], "code": %q}`, held))
			change := creator.form("/p/"+id+"/change", url.Values{"option": {"1"}, "code": {held}})
			figures.Print(t, "creator with a used code: votes/mine %s, page %d, vote form %d, PUT %s, change form %d",
				api, query.status, typed.status, put, change.status)
			if ids := optionIDs(api); len(ids) > 0 || api.status != http.StatusForbidden {
				t.Errorf("votes/mine with the code: %s, want 403 and no options", api)
			}
			for what, page := range map[string]answer{"the page with ?code=": query, "the vote form with the used code": typed} {
				if contains(page.body, `class="mine"`) || contains(page.body, `value="2" checked`) {
					t.Errorf("%s shows the ballot:\n%s", what, page.body)
				}
			}
			if put.status < 400 || change.status < 400 {
				t.Errorf("the creator's change: PUT %s, form %d; want both refused", put, change.status)
			}
			results := send(t, "GET", s.URL()+"/api/v1/polls/"+id+"/results", "", "")
			if !contains(results.body, fmt.Sprintf(`{"id":2,"label":%q,"votes":1}`, secretChoice)) {
				t.Errorf("the ballot changed: %s", results)
			}
			// The casting browser sees its own ballot, with the code.
			if got := optionIDs(voter.do("GET", mine, "", "", "X-Voter-Code", held)); len(got) != 1 || got[0] != 2 {
				t.Errorf("the voter's own votes/mine: %v, want [2]", got)
			}
		})
	}
}
