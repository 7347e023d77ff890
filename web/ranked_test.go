package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/web"
)

// rankedResults is the ranked part of the API's results.
type rankedResults struct {
	Total  int `json:"total"`
	Rounds []struct {
		Round int `json:"round"`
		Votes []struct {
			ID    int `json:"id"`
			Votes int `json:"votes"`
		} `json:"votes"`
		Continuing int    `json:"continuing"`
		Exhausted  int    `json:"exhausted"`
		Eliminated []int  `json:"eliminated"`
		TieBreak   string `json:"tie_break"`
	} `json:"rounds"`
	Winner int   `json:"winner"`
	Tied   []int `json:"tied"`
}

func (c *apiUser) rankedResults(id string) rankedResults {
	c.t.Helper()
	res := c.do("GET", "/api/v1/polls/"+id+"/results", "", "")
	if res.Status != http.StatusOK {
		c.t.Fatalf("results: %d %s", res.Status, res.Body)
	}
	var r rankedResults
	if err := json.Unmarshal(res.Body, &r); err != nil {
		c.t.Fatal(err)
	}
	return r
}

func wantError(t *testing.T, res response, status int, code, field string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
	if gotCode, gotField := res.errorCode(t); gotCode != code || gotField != field {
		t.Errorf("error %s on %q, want %s on %q", gotCode, gotField, code, field)
	}
}

func TestRankedAPI(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		wantError(t, c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "kind": "ranked", "max_rankings": 3}`), 400, "max_rankings_range", "max_rankings")
		wantError(t, c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "kind": "borda"}`), 400, "kind_invalid", "kind")
		wantError(t, c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "max_rankings": 1}`), 400, "max_rankings_unranked", "max_rankings")

		id, _ := c.createPoll(`{"question": "Lunch?", "options": ["Soup", "Salad", "Pie", "Stew"], "kind": "ranked", "max_rankings": 3}`)
		poll := c.do("GET", "/api/v1/polls/"+id, "", "").json(t)
		if poll["kind"] != "ranked" || poll["max_rankings"] != float64(3) {
			t.Errorf("poll kind %v, max_rankings %v; want ranked, 3", poll["kind"], poll["max_rankings"])
		}
		votes := "/api/v1/polls/" + id + "/votes"
		wantError(t, c.postJSON(votes, `{"option_ids": [1, 2, 3, 4]}`), 400, "rankings_too_many", "option_ids")
		wantError(t, c.postJSON(votes, `{"option_ids": [2, 2]}`), 400, "option_repeated", "option_ids")
		wantError(t, c.postJSON(votes, `{"option_ids": []}`), 400, "ranking_required", "option_ids")
		// Round 1: 1:3 2:3 3:1 4:0, 4 out for having no votes; round 2: 3
		// out, its ballot goes to 2; round 3: 2 has 4 of 7.
		for _, ranking := range []string{"[1]", "[1]", "[1]", "[2, 1]", "[2, 1]", "[2]", "[3, 2]"} {
			if res := c.another().postJSON(votes, `{"option_ids": `+ranking+`}`); res.Status != http.StatusCreated {
				t.Fatalf("vote %s: %d %s", ranking, res.Status, res.Body)
			}
		}
		r := c.rankedResults(id)
		if r.Total != 7 || len(r.Rounds) != 3 || r.Rounds[0].Continuing != 7 {
			t.Fatalf("results %+v, want 7 ballots counted in 3 rounds", r)
		}
		if r.Winner != 2 || !reflect.DeepEqual(r.Rounds[0].Eliminated, []int{4}) || !reflect.DeepEqual(r.Rounds[1].Eliminated, []int{3}) || r.Rounds[2].Votes[1].Votes != 4 {
			t.Errorf("results %+v, want 4 then 3 eliminated and option 2 to win with 4", r)
		}
	})
}

// The ballot file and the recount: for random ballots, cast and changed by
// many voters at once, the server's published result equals the recount of
// its own ballot file, on every store.
func TestRankedRecountEqualsServer(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		for seed := range uint64(3) {
			rng := rand.New(rand.NewPCG(seed, 99))
			options := 2 + rng.IntN(5)
			labels := make([]string, options)
			for i := range labels {
				labels[i] = fmt.Sprintf("Option %d", i+1)
			}
			labels[0] = `=HYPERLINK("https://evil.example")` // the spreadsheet guard applies to the file too
			body, _ := json.Marshal(map[string]any{"question": "Q", "options": labels, "kind": "ranked", "allow_changes": true})
			id, token := c.createPoll(string(body))
			voters := make([]*apiUser, 20+rng.IntN(30))
			rankings := make([][]int, len(voters))
			for i := range voters {
				voters[i] = c.another()
				perm := rng.Perm(options)
				for _, o := range perm[:1+rng.IntN(options)] {
					rankings[i] = append(rankings[i], o+1)
				}
			}
			var wg sync.WaitGroup
			for i, v := range voters {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ranking, _ := json.Marshal(rankings[i])
					v.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": `+string(ranking)+`}`)
					if i%3 == 0 { // a change of vote: the last choice first
						slices := append([]int{rankings[i][len(rankings[i])-1]}, rankings[i][:len(rankings[i])-1]...)
						changed, _ := json.Marshal(slices)
						v.do("PUT", "/api/v1/polls/"+id+"/votes/mine", "application/json", `{"option_ids": `+string(changed)+`}`)
					}
				}()
			}
			wg.Wait()

			file := c.do("GET", "/api/v1/polls/"+id+"/ballots.csv", "", "", "Authorization", "Bearer "+token)
			if file.Status != http.StatusOK || !strings.HasPrefix(file.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("ballot file: %d %s", file.Status, file.Body)
			}
			if !bytes.Contains(file.Body, []byte(`"'=HYPERLINK(""https://evil.example"")"`)) {
				t.Errorf("the label is not guarded in the header: %.200s", file.Body)
			}
			for _, v := range voters {
				for _, cookie := range v.http.Jar.Cookies(mustURL(t, c.base)) {
					if bytes.Contains(file.Body, []byte(cookie.Value)) {
						t.Fatalf("the ballot file holds a voter's cookie %s", cookie.Name)
					}
				}
			}
			gotLabels, recount, err := pollstack.Recount(id, bytes.NewReader(file.Body))
			if err != nil {
				t.Fatalf("recount: %v", err)
			}
			if len(gotLabels) != options {
				t.Errorf("file has %d options, want %d", len(gotLabels), options)
			}
			published := c.rankedResults(id)
			if published.Total != len(voters) {
				t.Errorf("total %d, want %d voters", published.Total, len(voters))
			}
			if got := toResults(published); !reflect.DeepEqual(got, recount) {
				t.Errorf("seed %d: published %+v\nrecount %+v", seed, got, recount)
			}
		}
		// Only the creator gets the file.
		id, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"], "kind": "ranked"}`)
		wantError(t, c.do("GET", "/api/v1/polls/"+id+"/ballots.csv", "", ""), 401, "admin_token_required", "")
		wantError(t, c.do("GET", "/api/v1/polls/"+id+"/ballots.csv", "", "", "Authorization", "Bearer wrong"), 403, "admin_token_invalid", "")
	})
}

func mustURL(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// toResults turns the API's rounds back into the domain's, to compare.
func toResults(r rankedResults) pollstack.RankedResult {
	out := pollstack.RankedResult{Winner: r.Winner, Tied: r.Tied}
	for _, round := range r.Rounds {
		votes := map[int]int{}
		for _, v := range round.Votes {
			votes[v.ID] = v.Votes
		}
		eliminated := round.Eliminated
		if len(eliminated) == 0 {
			eliminated = nil
		}
		out.Rounds = append(out.Rounds, pollstack.RankedRound{Votes: votes, Continuing: round.Continuing, Exhausted: round.Exhausted, Eliminated: eliminated, TieBreak: round.TieBreak})
	}
	return out
}

// The ranked ballot without JavaScript: a rank select per option, checked
// by the server, which names what is wrong and shows the ranks as sent.
func TestRankedPagesWithoutJavaScript(t *testing.T) {
	_, c := pageServer(t)
	form := pollForm("Lunch?", "Soup", "Salad", "Pie")
	form.Set("choice", "ranked")
	form.Set("max_rankings", "5")
	res := c.form("/", form)
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), `id="max_rankings-error"`) {
		t.Fatalf("max rankings past the options: %d, want 400 with the error next to the field:\n%s", res.Status, res.Body)
	}
	form.Set("max_rankings", "")
	id, _ := c.createForm(form)
	page := c.get("/p/" + id)
	mustContain(t, page, `<select id="rank-1" name="rank-1">`, `<select id="rank-3" name="rank-3">`, `<option value="3">3</option>`, "Rank the options in order of preference")

	vote := func(ranks ...string) response {
		v := url.Values{}
		for i, r := range ranks {
			v.Set(fmt.Sprintf("rank-%d", i+1), r)
		}
		return c.form("/p/"+id+"/vote", v)
	}
	for _, tt := range []struct {
		ranks []string
		says  string
	}{
		{[]string{"1", "1", ""}, "Rank 1 is given to two options"},
		{[]string{"1", "", "3"}, "Rank 2 is missing"},
		{[]string{"", "", ""}, "Rank at least one option."},
		{[]string{"x", "", ""}, "a rank is a number from 1 to 3"},
	} {
		res := vote(tt.ranks...)
		if res.Status != http.StatusBadRequest {
			t.Fatalf("ranks %v: status %d, want 400", tt.ranks, res.Status)
		}
		mustContain(t, res, tt.says, `role="alert"`)
		if tt.ranks[0] == "1" { // the ranks come back as sent
			mustContain(t, res, `<select id="rank-1" name="rank-1">`)
			if !strings.Contains(string(res.Body), `<option value="1" selected>1</option>`) {
				t.Errorf("ranks %v: the page does not show them again", tt.ranks)
			}
		}
	}
	_, results := c.follow(vote("2", "", "1"))
	mustContain(t, results, "<caption>Votes in each round of the count, as of loading this page</caption>", "<th scope=\"col\">Round 1</th>", "Pie wins in round 1")
	mine := c.get("/p/" + id)
	mustContain(t, mine, "<ol><li dir=\"auto\">Pie</li><li dir=\"auto\">Soup</li></ol>")
}

// A ranked ballot changed through the page keeps its new order.
func TestRankedPageChangeOfVote(t *testing.T) {
	_, c := pageServer(t)
	form := pollForm("Lunch?", "Soup", "Salad", "Pie")
	form.Set("choice", "ranked")
	form.Set("max_rankings", "2")
	form.Set("allow_changes", "yes")
	id, _ := c.createForm(form)
	c.follow(c.form("/p/"+id+"/vote", url.Values{"rank-1": {"1"}, "rank-2": {"2"}}))
	res := c.form("/p/"+id+"/change", url.Values{"rank-1": {"1"}, "rank-2": {"2"}, "rank-3": {"3"}})
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), "Rank at most 2 options.") {
		t.Errorf("three ranks of at most two (the page offers two): %d, want 400 saying so\n%s", res.Status, res.Body)
	}
	_, page := c.follow(c.form("/p/"+id+"/change", url.Values{"rank-3": {"1"}, "rank-1": {"2"}}))
	mustContain(t, page, "Your vote is changed.", "<ol><li dir=\"auto\">Pie</li><li dir=\"auto\">Soup</li></ol>", `<select id="rank-2" name="rank-2">`)
}

// Every page that draws a ranked poll's bars names its outcome: the bars
// are first choices, and the winner of the count can be another option.
// Before, only the results page drew the rounds: the admin page, the
// present mode on a big screen and the embedded frame showed Soup ahead on
// first choices, said "the rounds below", and drew none.
func TestRankedOutcomeBesideEveryBars(t *testing.T) {
	c, _, _ := embedServer(t, web.Config{})
	id, token := c.createPoll(`{"question": "Lunch?", "options": ["Soup", "Salad", "Pie"], "kind": "ranked", "embed_origins": ` + embedOrigins + `}`)
	for ranking, n := range map[string]int{"[1]": 4, "[2]": 3, "[3, 2]": 2} {
		for range n {
			if status, code := c.another().vote(id, `{"option_ids": `+ranking+`}`); status != http.StatusCreated {
				t.Fatalf("vote %s: %d %s", ranking, status, code)
			}
		}
	}
	const outcome = "Salad wins in round 2"
	for name, res := range map[string]response{
		"results": c.get("/p/" + id + "/results"),
		"admin":   c.admin(id, token),
		"present": c.get("/p/" + id + "/present"),
		"embed":   c.get("/p/" + id + "/embed"),
	} {
		if !bytes.Contains(res.Body, []byte(outcome)) {
			t.Errorf("%s page (%d) does not say %q", name, res.Status, outcome)
		}
	}
}
