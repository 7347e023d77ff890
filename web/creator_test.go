package web_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The creator's view: the admin token always shows the counts, as JSON and
// CSV; everyone else gets the results rule.
func TestAPICreatorSeesHiddenResults(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, token := c.createPoll(`{"question": "Q", "options": ["A", "B"], "results": "after_close"}`)
		c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [2]}`)
		c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [2]}`)
		for _, path := range []string{"/results", "/results.csv"} {
			res := c.do("GET", "/api/v1/polls/"+id+path, "", "")
			if code, _ := res.errorCode(t); res.Status != http.StatusForbidden || code != "results_hidden" {
				t.Errorf("%s without the token: %d %s, want 403 results_hidden", path, res.Status, res.Body)
			}
			for _, tt := range []struct {
				header string
				status int
				code   string
			}{
				{"Bearer " + strings.Repeat("x", len(token)), 403, "admin_token_invalid"},
				{"Basic " + token, 401, "admin_token_required"},
			} {
				res := c.do("GET", "/api/v1/polls/"+id+path, "", "", "Authorization", tt.header)
				if code, _ := res.errorCode(t); res.Status != tt.status || code != tt.code {
					t.Errorf("%s with %q: %d %s, want %d %s", path, tt.header[:6], res.Status, res.Body, tt.status, tt.code)
				}
			}
		}
		res := c.do("GET", "/api/v1/polls/"+id+"/results", "", "", "Authorization", "Bearer "+token)
		if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"total":2`) {
			t.Errorf("results with the admin token: %d %s, want 200 with the counts", res.Status, res.Body)
		}
		csvRes := c.do("GET", "/api/v1/polls/"+id+"/results.csv", "", "", "Authorization", "Bearer "+token)
		if got := readCSV(t, csvRes); fmt.Sprint(got) != "[[option_id option votes percent] [1 A 0 0] [2 B 2 100]]" {
			t.Errorf("CSV with the admin token: %v", got)
		}
		if cd := csvRes.Header.Get("Content-Disposition"); cd != `attachment; filename="poll-`+id+`-results.csv"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		// Once closed, everyone may see them, as JSON and as CSV.
		c.postJSON("/api/v1/polls/"+id+"/close", "", "Authorization", "Bearer "+token)
		if got := readCSV(t, c.another().do("GET", "/api/v1/polls/"+id+"/results.csv", "", "")); len(got) != 3 || got[2][2] != "2" {
			t.Errorf("CSV of a closed poll: %v", got)
		}
	})
}

// readCSV checks a CSV answer (status, type, byte order mark) and parses it.
func readCSV(t *testing.T, res response) [][]string {
	t.Helper()
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8; header=present" {
		t.Fatalf("CSV: status %d, Content-Type %q: %s", res.Status, res.Header.Get("Content-Type"), res.Body)
	}
	body, ok := bytes.CutPrefix(res.Body, []byte("\uFEFF"))
	if !ok {
		t.Error("the CSV lacks the UTF-8 byte order mark that spreadsheets need")
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v: %s", err, body)
	}
	return rows
}

// A label written as a spreadsheet formula stays text in the CSV that
// anyone may download from an always-visible poll.
func TestResultsCSVFormulaInjection(t *testing.T) {
	_, c := pageServer(t)
	labels := []string{`=HYPERLINK("https://evil.example","Click")`, "+1+1", "-2", "@SUM(A1)", "=cmd|' /C calc'!A0", "Ünïcödé, \"quoted\""}
	body := `{"question": "Q", "options": ["` + strings.Join([]string{`=HYPERLINK(\"https://evil.example\",\"Click\")`, "+1+1", "-2", "@SUM(A1)", "=cmd|' /C calc'!A0", `Ünïcödé, \"quoted\"`}, `", "`) + `"]}`
	id, _ := c.createPoll(body)
	rows := readCSV(t, c.get("/api/v1/polls/"+id+"/results.csv"))
	for i, label := range labels {
		want := label
		if i < 5 {
			want = "'" + label
		}
		if got := rows[i+1][1]; got != want {
			t.Errorf("label %q in the CSV: %q, want %q", label, got, want)
		}
	}
}

func TestAPIDescriptionAndChoiceLimits(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, _ := c.createPoll(`{"question": "Lunch?", "description": "  Friday.\r\nBring cash.\r\rOr a card.  ", "options": ["A", "B", "C", "D"], "multiple": true, "min_choices": 2, "max_choices": 3}`)
		got := c.get("/api/v1/polls/" + id).json(t)
		if got["description"] != "Friday.\nBring cash.\n\nOr a card." || got["min_choices"] != 2.0 || got["max_choices"] != 3.0 {
			t.Errorf("poll: description %q, choices %v..%v; want line breaks as \\n and 2..3", got["description"], got["min_choices"], got["max_choices"])
		}
		single, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
		if got := c.get("/api/v1/polls/" + single).json(t); got["description"] != "" || got["min_choices"] != 1.0 || got["max_choices"] != 1.0 {
			t.Errorf("single choice poll: %v", got)
		}
		for _, tt := range []struct {
			name, path, body string
			code, field      string
		}{
			{"description too long", "/api/v1/polls", `{"question": "Q", "description": "` + strings.Repeat("é", 1001) + `", "options": ["A", "B"]}`, "description_too_long", "description"},
			{"limits on a single choice poll", "/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "max_choices": 2}`, "choices_single", "max_choices"},
			{"minimum above the options", "/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "multiple": true, "min_choices": 3}`, "min_choices_range", "min_choices"},
			{"maximum below the minimum", "/api/v1/polls", `{"question": "Q", "options": ["A", "B", "C"], "multiple": true, "min_choices": 3, "max_choices": 2}`, "max_choices_below_min", "max_choices"},
			{"limit not a number", "/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "multiple": true, "min_choices": "2"}`, "wrong_type", "min_choices"},
			{"too few chosen", "/api/v1/polls/" + id + "/votes", `{"option_ids": [1]}`, "choices_too_few", "option_ids"},
			{"too many chosen", "/api/v1/polls/" + id + "/votes", `{"option_ids": [1, 2, 3, 4]}`, "choices_too_many", "option_ids"},
		} {
			res := c.postJSON(tt.path, tt.body)
			if code, field := res.errorCode(t); res.Status != http.StatusBadRequest || code != tt.code || field != tt.field {
				t.Errorf("%s: %d %s on %q, want 400 %s on %q", tt.name, res.Status, code, field, tt.code, tt.field)
			}
		}
		if res := c.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [4, 1, 3]}`); res.Status != http.StatusCreated {
			t.Errorf("a ballot within the limits: %d %s", res.Status, res.Body)
		}
		if total, votes := c.results(id); total != 1 || fmt.Sprint(votes) != "[1 0 1 1]" {
			t.Errorf("results = %d %v, want 1 [1 0 1 1]: the refused ballots stored nothing", total, votes)
		}
	})
}

// The admin page shows the counts whatever the visibility, exports them
// with the token in the form body, and deletes only after a second step.
func TestPageCreatorView(t *testing.T) {
	_, c := pageServer(t)
	v := pollForm("Secret?", "Yes", "No")
	v.Set("results", "after_close")
	id, created := c.createForm(v)
	token := adminLink.FindStringSubmatch(string(created.Body))[2]
	for range 3 {
		voter := pageClient(t, c.base)
		voter.follow(voter.form("/p/"+id+"/vote", url.Values{"option": {"1"}}))
	}
	admin := c.admin(id, token)
	mustContain(t, admin, `<span data-total>3</span>`, `<span data-votes>3</span> · <span data-percent>100</span>%`,
		"Voters see them once the poll is closed", `action="/p/`+id+`/results.csv"`)
	if strings.Contains(string(admin.Body), `href="/p/`+id+`/results"`) {
		t.Error("the admin page links to a results page that its browser may not see")
	}

	rows := readCSV(t, c.form("/p/"+id+"/results.csv", url.Values{"token": {token}}))
	if fmt.Sprint(rows) != "[[option_id option votes percent] [1 Yes 3 100] [2 No 0 0]]" {
		t.Errorf("admin CSV: %v", rows)
	}
	if res := c.form("/p/"+id+"/results.csv", url.Values{"token": {"nope"}}); res.Status != http.StatusForbidden || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("admin CSV with a wrong token: %d %s, want a 403 page", res.Status, res.Header.Get("Content-Type"))
	}

	// Delete: the first post only asks; a wrong token never reaches the question.
	if res := c.form("/p/"+id+"/delete", url.Values{"token": {"nope"}}); res.Status != http.StatusForbidden {
		t.Errorf("delete confirmation with a wrong token: status %d, want 403", res.Status)
	}
	if res := c.form("/p/"+id+"/delete", url.Values{"token": {"nope"}, "confirm": {"yes"}}); res.Status != http.StatusForbidden {
		t.Errorf("confirmed delete with a wrong token: status %d, want 403", res.Status)
	}
	ask := c.form("/p/"+id+"/delete", url.Values{"token": {token}})
	mustContain(t, ask, "<h1>Delete this poll?</h1>", "its 3 votes for good", `name="confirm" value="yes"`, "Keep the poll")
	if res := c.get("/api/v1/polls/" + id); res.Status != http.StatusOK {
		t.Fatalf("the poll is gone before the confirmation: status %d", res.Status)
	}
	if res := c.form("/p/"+id+"/delete", url.Values{"token": {token}, "confirm": {"no"}}); res.Status != http.StatusOK || c.get("/api/v1/polls/"+id).Status != http.StatusOK {
		t.Errorf("a confirm value other than yes deleted the poll or failed: status %d", res.Status)
	}
	loc, _ := c.follow(c.form("/p/"+id+"/delete", url.Values{"token": {token}, "confirm": {"yes"}}))
	if loc != "/?deleted" || c.get("/api/v1/polls/"+id).Status != http.StatusNotFound {
		t.Errorf("confirmed delete: redirected to %q, poll still there", loc)
	}
}

var (
	sameSiteLink = regexp.MustCompile(`href="(/[^"#]*)"`)
	// hiddenNotice is a notice the page holds hidden until app.js shows it,
	// when the live stream says the poll closed or was deleted.
	hiddenNotice = regexp.MustCompile(`(?s)<p [^>]*data-state="[a-z]+" hidden>.*?</p>`)
)

// No link leads to a refusal: for every visibility, before and after
// voting, open and closed, every link on every page a voter or the creator
// sees answers 200; a page that cannot link to the results says when they
// will show. (A notice that app.js reveals when the poll closes links to the
// results, which everyone may see by then.)
func TestPageNoLinkLeadsToRefusal(t *testing.T) {
	_, c := pageServer(t)
	for _, visibility := range []string{"always", "after_vote", "after_close"} {
		t.Run(visibility, func(t *testing.T) {
			v := pollForm("Which?", "A", "B")
			v.Set("results", visibility)
			if visibility == "after_close" {
				v.Set("closes_at", "2099-01-02T03:04")
			}
			id, created := c.createForm(v)
			token := adminLink.FindStringSubmatch(string(created.Body))[2]
			voter := pageClient(t, c.base)
			crawl := func(state string, who *apiUser, pages ...response) {
				t.Helper()
				for _, page := range pages {
					shown := hiddenNotice.ReplaceAllString(string(page.Body), "")
					for _, m := range sameSiteLink.FindAllStringSubmatch(shown, -1) {
						link := strings.ReplaceAll(m[1], "&amp;", "&")
						if res := who.get(link); res.Status != http.StatusOK {
							t.Errorf("%s: a link to %s answers %d", state, link, res.Status)
						}
					}
				}
			}
			hiddenSays := map[string]string{"after_vote": "The results show once you have voted",
				"after_close": "The results show when the poll closes, on <time datetime=\"2099-01-02T03:04:00Z\" data-local>2 January 2099, 03:04 UTC</time>."}
			before := voter.get("/p/" + id)
			if said := hiddenSays[visibility]; said != "" {
				mustContain(t, before, said)
				mustContain(t, c.get("/p/"+id+"/created"), "The results show")
			}
			crawl("creator", c, created, c.admin(id, token), c.get("/p/"+id+"/present"))
			crawl("voter before voting", voter, before)
			_, after := voter.follow(voter.form("/p/"+id+"/vote", url.Values{"option": {"1"}}))
			again := voter.form("/p/"+id+"/vote", url.Values{"option": {"2"}}) // 409: already voted
			crawl("voter after voting", voter, after, again, voter.get("/p/"+id))
			if visibility == "after_close" {
				mustContain(t, after, "Your vote is counted.", hiddenSays[visibility])
			}
			c.form("/p/"+id+"/close", url.Values{"token": {token}})
			crawl("anyone once closed", pageClient(t, c.base), pageClient(t, c.base).get("/p/"+id))
		})
	}
}
