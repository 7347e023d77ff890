package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/sqlite"
	"github.com/pollstack/pollstack/web"
)

// stores opens each kind of store, fresh, for a test. SQLite is always
// here; the integration build adds PostgreSQL (postgres_test.go).
var stores = map[string]func(t *testing.T) pollstack.Store{
	"sqlite": func(t *testing.T) pollstack.Store { return openSQLite(t, filepath.Join(t.TempDir(), "web.db")) },
}

// openSQLite opens a store on the file at path, which another store may share.
func openSQLite(t *testing.T, path string) pollstack.Store {
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// eachStore runs fn against a server on each store.
func eachStore(t *testing.T, fn func(t *testing.T, c *apiUser)) {
	for _, name := range slices.Sorted(maps.Keys(stores)) {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(web.New(web.Config{Store: stores[name](t)}))
			t.Cleanup(srv.Close)
			fn(t, newClient(t, srv.URL))
		})
	}
}

// apiUser is one user of the API with its own cookie jar (one voter).
type apiUser struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *apiUser {
	jar, _ := cookiejar.New(nil)
	return &apiUser{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// another returns an apiUser of the same server with a new cookie jar.
func (c *apiUser) another() *apiUser { return newClient(c.t, c.base) }

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, r.Body)
	}
	return m
}

// errorCode returns the error's code and field.
func (r response) errorCode(t *testing.T) (code, field string) {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.Body)
	}
	field, _ = e["field"].(string)
	return e["code"].(string), field
}

func (c *apiUser) do(method, path, contentType, body string, header ...string) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" { // the client sends req.Host, never a Host header
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func (c *apiUser) postJSON(path, body string, header ...string) response {
	c.t.Helper()
	return c.do("POST", path, "application/json", body, header...)
}

// createPoll creates a poll and returns its id and admin token.
func (c *apiUser) createPoll(body string) (id, token string) {
	c.t.Helper()
	res := c.postJSON("/api/v1/polls", body)
	if res.Status != http.StatusCreated {
		c.t.Fatalf("create poll: status %d: %s", res.Status, res.Body)
	}
	m := res.json(c.t)
	return m["id"].(string), m["admin_token"].(string)
}

func (c *apiUser) results(id string) (total int, votes []int) {
	c.t.Helper()
	res := c.do("GET", "/api/v1/polls/"+id+"/results", "", "")
	if res.Status != http.StatusOK {
		c.t.Fatalf("results: status %d: %s", res.Status, res.Body)
	}
	var r struct {
		Total   int `json:"total"`
		Options []struct {
			Votes int `json:"votes"`
		} `json:"options"`
	}
	json.Unmarshal(res.Body, &r)
	for _, o := range r.Options {
		votes = append(votes, o.Votes)
	}
	return r.Total, votes
}

func TestAPIRoundTrip(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		res := c.postJSON("/api/v1/polls", `{"question": " Tea or coffee? ", "options": ["Tea", "Coffee", "Water"], "closes_at": "2099-01-02T03:04:05Z"}`)
		if res.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		created := res.json(t)
		id, token := created["id"].(string), created["admin_token"].(string)
		if got, want := res.Header.Get("Location"), "/api/v1/polls/"+id; got != want {
			t.Errorf("Location = %q, want %q", got, want)
		}
		if len(id) < 11 || len(token) < 22 {
			t.Errorf("id %q (want >= 64 bits) or token %q (want >= 128 bits) too short", id, token)
		}

		got := c.do("GET", "/api/v1/polls/"+id, "", "").json(t)
		for k, want := range map[string]any{"question": "Tea or coffee?", "multiple": false, "closed": false, "results": "always", "closes_at": "2099-01-02T03:04:05Z"} {
			if got[k] != want {
				t.Errorf("poll %s = %v, want %v", k, got[k], want)
			}
		}
		if _, leaked := got["admin_token"]; leaked {
			t.Error("GET returns the admin token")
		}

		if res := c.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [2]}`); res.Status != http.StatusCreated {
			t.Fatalf("vote: %d %s", res.Status, res.Body)
		}
		if res := c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [2]}`); res.Status != http.StatusCreated {
			t.Fatalf("second voter: %d %s", res.Status, res.Body)
		}
		if total, votes := c.results(id); total != 2 || fmt.Sprint(votes) != "[0 2 0]" {
			t.Errorf("results = %d %v, want 2 [0 2 0]", total, votes)
		}

		// Closing keeps the results and refuses votes.
		res = c.postJSON("/api/v1/polls/"+id+"/close", "", "Authorization", "Bearer "+token)
		if res.Status != http.StatusOK || res.json(t)["closed"] != true {
			t.Fatalf("close: %d %s", res.Status, res.Body)
		}
		res = c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`)
		if code, _ := res.errorCode(t); res.Status != http.StatusConflict || code != "poll_closed" {
			t.Errorf("vote on closed poll: %d %s, want 409 poll_closed", res.Status, res.Body)
		}
		if total, votes := c.results(id); total != 2 || fmt.Sprint(votes) != "[0 2 0]" {
			t.Errorf("results after close = %d %v, want 2 [0 2 0]", total, votes)
		}

		if res := c.do("DELETE", "/api/v1/polls/"+id, "", "", "Authorization", "Bearer "+token); res.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		res = c.do("GET", "/api/v1/polls/"+id, "", "")
		if code, _ := res.errorCode(t); res.Status != http.StatusNotFound || code != "poll_not_found" {
			t.Errorf("after delete: %d %s, want 404 poll_not_found", res.Status, res.Body)
		}
	})
}

func TestAPIAdminToken(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, token := c.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
		for _, tt := range []struct {
			name, header string
			status       int
			code         string
		}{
			{"missing", "", 401, "admin_token_required"},
			{"not bearer", "Basic " + token, 401, "admin_token_required"},
			{"wrong", "Bearer " + strings.Repeat("x", len(token)), 403, "admin_token_invalid"},
			{"other poll's", "Bearer " + pollstack.RandomToken(16), 403, "admin_token_invalid"},
		} {
			for _, req := range [][2]string{{"POST", "/api/v1/polls/" + id + "/close"}, {"DELETE", "/api/v1/polls/" + id}} {
				res := c.do(req[0], req[1], "", "", "Authorization", tt.header)
				if code, _ := res.errorCode(t); res.Status != tt.status || code != tt.code {
					t.Errorf("%s %s with %s token: %d %s, want %d %s", req[0], req[1], tt.name, res.Status, res.Body, tt.status, tt.code)
				}
				if tt.status == 401 && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("401 without WWW-Authenticate: Bearer")
				}
			}
		}
		if res := c.do("GET", "/api/v1/polls/"+id, "", ""); res.json(t)["closed"] != false {
			t.Error("a refused close closed the poll")
		}
	})
}

// Every bad input gets its 4xx JSON error naming the field, and changes
// nothing that was stored.
func TestAPIBadInput(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
		multi, _ := c.createPoll(`{"question": "M", "options": ["A", "B", "C"], "multiple": true}`)
		c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`)
		huge := `{"question": "` + strings.Repeat("x", 70<<10) + `", "options": ["A", "B"]}`
		tests := []struct {
			name, method, path, contentType, body string
			status                                int
			code, field                           string
		}{
			{"malformed", "POST", "/api/v1/polls", "application/json", `{"question": `, 400, "malformed_json", ""},
			{"not an object", "POST", "/api/v1/polls", "application/json", `["Q"]`, 400, "wrong_type", ""},
			{"trailing data", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "B"]} {}`, 400, "malformed_json", ""},
			{"empty body", "POST", "/api/v1/polls", "application/json", ``, 400, "body_empty", ""},
			{"unknown field", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "B"], "colour": "red"}`, 400, "unknown_field", "colour"},
			{"question type", "POST", "/api/v1/polls", "application/json", `{"question": 7, "options": ["A", "B"]}`, 400, "wrong_type", "question"},
			{"options type", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": "A"}`, 400, "wrong_type", "options"},
			{"multiple type", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "B"], "multiple": "yes"}`, 400, "wrong_type", "multiple"},
			{"no question", "POST", "/api/v1/polls", "application/json", `{"question": "   ", "options": ["A", "B"]}`, 400, "question_required", "question"},
			{"long question", "POST", "/api/v1/polls", "application/json", `{"question": "` + strings.Repeat("q", 301) + `", "options": ["A", "B"]}`, 400, "question_too_long", "question"},
			{"one option", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A"]}`, 400, "options_too_few", "options"},
			{"21 options", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19","20","21"]}`, 400, "options_too_many", "options"},
			{"duplicate option", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["Yes", " yes "]}`, 400, "option_duplicate", "options"},
			{"empty option", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", ""]}`, 400, "option_empty", "options"},
			{"long option", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "` + strings.Repeat("o", 121) + `"]}`, 400, "option_too_long", "options"},
			{"closes_at format", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "B"], "closes_at": "tomorrow"}`, 400, "closes_at_invalid", "closes_at"},
			{"closes_at past", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "B"], "closes_at": "2001-01-01T00:00:00Z"}`, 400, "closes_at_past", "closes_at"},
			{"results value", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "B"], "results": "never"}`, 400, "results_invalid", "results"},
			{"duplicate check", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "B"], "duplicate_check": "cookie"}`, 400, "duplicate_check_invalid", "duplicate_check"},
			{"codes without the code check", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "B"], "voter_codes": 5}`, 400, "voter_codes_unexpected", "voter_codes"},
			{"code check without codes", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "B"], "duplicate_check": "code"}`, 400, "voter_codes_count", "voter_codes"},
			{"too many codes", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "B"], "duplicate_check": "code", "voter_codes": 10001}`, 400, "voter_codes_count", "voter_codes"},
			{"too large", "POST", "/api/v1/polls", "application/json", huge, 413, "body_too_large", ""},
			{"NUL in the question", "POST", "/api/v1/polls", "application/json", `{"question": "Tea\u0000?", "options": ["A", "B"]}`, 400, "text_control_character", "question"},
			{"escape in an option", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A\u001b[2J", "B"]}`, 400, "text_control_character", "options"},
			{"invalid UTF-8 in the question", "POST", "/api/v1/polls", "application/json", "{\"question\": \"Caf\xe9?\", \"options\": [\"A\", \"B\"]}", 400, "text_invalid_utf8", "question"},
			{"invalid UTF-8 in an option", "POST", "/api/v1/polls", "application/json", "{\"question\": \"Q\", \"options\": [\"A\", \"\xff\"]}", 400, "text_invalid_utf8", "options"},
			{"lone surrogate", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "\ud800B"]}`, 400, "text_invalid_utf8", "options"},
			{"invisible question", "POST", "/api/v1/polls", "application/json", `{"question": "\ufeff\u200b", "options": ["A", "B"]}`, 400, "question_required", "question"},
			{"field name in another case", "POST", "/api/v1/polls", "application/json", `{"Question": "Q", "options": ["A", "B"]}`, 400, "unknown_field", "Question"},
			{"duplicate field", "POST", "/api/v1/polls", "application/json", `{"question": "Q", "options": ["A", "B"], "question": "R"}`, 400, "duplicate_field", "question"},
			{"latin-1 body", "POST", "/api/v1/polls", "application/json; charset=iso-8859-1", `{"question": "Q", "options": ["A", "B"]}`, 415, "unsupported_charset", ""},
			{"NUL in a vote's code", "POST", "/api/v1/polls/" + id + "/votes", "application/json", `{"option_ids": [1], "code": "\u0000"}`, 400, "text_control_character", "code"},
			{"duplicate field in a vote", "POST", "/api/v1/polls/" + id + "/votes", "application/json", `{"option_ids": [1], "option_ids": [2]}`, 400, "duplicate_field", "option_ids"},
			{"not json", "POST", "/api/v1/polls", "text/plain", `{"question": "Q", "options": ["A", "B"]}`, 415, "unsupported_media_type", ""},
			{"utf-8 charset is fine", "POST", "/api/v1/polls", "application/json; charset=UTF-8", `{"question": "Q", "options": ["A", "A"]}`, 400, "option_duplicate", "options"},
			{"no content type", "POST", "/api/v1/polls/" + id + "/votes", "", `{"option_ids": [1]}`, 415, "unsupported_media_type", ""},
			{"vote no options", "POST", "/api/v1/polls/" + id + "/votes", "application/json", `{"option_ids": []}`, 400, "option_required", "option_ids"},
			{"vote unknown option", "POST", "/api/v1/polls/" + id + "/votes", "application/json", `{"option_ids": [9]}`, 400, "option_unknown", "option_ids"},
			{"vote two on single", "POST", "/api/v1/polls/" + id + "/votes", "application/json", `{"option_ids": [1, 2]}`, 400, "option_single", "option_ids"},
			{"vote repeated option", "POST", "/api/v1/polls/" + multi + "/votes", "application/json", `{"option_ids": [1, 1]}`, 400, "option_repeated", "option_ids"},
			{"vote wrong type", "POST", "/api/v1/polls/" + id + "/votes", "application/json", `{"option_ids": ["1"]}`, 400, "wrong_type", "option_ids"},
			{"vote unknown poll", "POST", "/api/v1/polls/nope/votes", "application/json", `{"option_ids": [1]}`, 404, "poll_not_found", ""},
			{"unknown poll", "GET", "/api/v1/polls/nope", "", "", 404, "poll_not_found", ""},
			{"unknown route", "GET", "/api/v1/nothing", "", "", 404, "not_found", ""},
			{"wrong method", "PUT", "/api/v1/polls/" + id, "application/json", `{}`, 405, "method_not_allowed", ""},
			{"wrong method on list", "GET", "/api/v1/polls", "", "", 405, "method_not_allowed", ""},
		}
		for _, tt := range tests {
			res := c.do(tt.method, tt.path, tt.contentType, tt.body)
			code, field := res.errorCode(t)
			if res.Status != tt.status || code != tt.code || field != tt.field {
				t.Errorf("%s: %d %s field %q, want %d %s field %q (%s)", tt.name, res.Status, code, field, tt.status, tt.code, tt.field, res.Body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s: Content-Type %q, want JSON", tt.name, ct)
			}
		}
		if res := c.do("PUT", "/api/v1/polls/"+id, "", ""); res.Header.Get("Allow") != "GET, DELETE, PATCH, HEAD" {
			t.Errorf("405 Allow = %q", res.Header.Get("Allow"))
		}
		// Nothing changed: still the one vote, and the multiple poll has none.
		if total, votes := c.results(id); total != 1 || fmt.Sprint(votes) != "[1 0]" {
			t.Errorf("results after bad input = %d %v, want 1 [1 0]", total, votes)
		}
		if total, _ := c.results(multi); total != 0 {
			t.Errorf("multiple poll total = %d after bad votes, want 0", total)
		}
		// The voter whose bad ballots were refused can still vote.
		if res := c.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [2]}`); res.Status != http.StatusCreated {
			t.Errorf("vote after refused ballots: %d %s", res.Status, res.Body)
		}
	})
}

func TestAPIConcurrentVoters(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
		const voters = 200
		statuses := make(chan int, voters)
		var wg sync.WaitGroup
		for i := range voters {
			voter := c.another()
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses <- voter.postJSON("/api/v1/polls/"+id+"/votes", fmt.Sprintf(`{"option_ids": [%d]}`, i%2+1)).Status
			}()
		}
		wg.Wait()
		close(statuses)
		for s := range statuses {
			if s != http.StatusCreated {
				t.Errorf("vote status %d, want 201", s)
			}
		}
		if total, votes := c.results(id); total != voters || fmt.Sprint(votes) != "[100 100]" {
			t.Errorf("results = %d %v, want 200 [100 100]", total, votes)
		}
	})
}

func TestAPIConcurrentRepeatVotes(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
		c.do("GET", "/api/v1/polls/"+id, "", "") // receive the voter cookie once
		const tries = 30
		responses := make(chan response, tries)
		var wg sync.WaitGroup
		for range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				responses <- c.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`)
			}()
		}
		wg.Wait()
		close(responses)
		count := map[string]int{}
		for res := range responses {
			if res.Status == http.StatusCreated {
				count["201"]++
			} else if code, _ := res.errorCode(t); res.Status == http.StatusConflict {
				count[code]++
			} else {
				t.Errorf("status %d: %s", res.Status, res.Body)
			}
		}
		if count["201"] != 1 || count["already_voted"] != tries-1 {
			t.Errorf("outcomes %v, want 1 201 and %d already_voted", count, tries-1)
		}
		if total, _ := c.results(id); total != 1 {
			t.Errorf("total = %d, want 1", total)
		}
	})
}

func TestAPIResultsVisibility(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		afterVote, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"], "results": "after_vote"}`)
		res := c.do("GET", "/api/v1/polls/"+afterVote+"/results", "", "")
		if code, _ := res.errorCode(t); res.Status != 403 || code != "results_hidden" {
			t.Errorf("after_vote before voting: %d %s, want 403 results_hidden", res.Status, res.Body)
		}
		c.postJSON("/api/v1/polls/"+afterVote+"/votes", `{"option_ids": [1]}`)
		if total, _ := c.results(afterVote); total != 1 {
			t.Errorf("after_vote after voting: total %d, want 1", total)
		}

		afterClose, token := c.createPoll(`{"question": "Q", "options": ["A", "B"], "results": "after_close"}`)
		c.postJSON("/api/v1/polls/"+afterClose+"/votes", `{"option_ids": [2]}`)
		if res := c.do("GET", "/api/v1/polls/"+afterClose+"/results", "", ""); res.Status != 403 {
			t.Errorf("after_close while open: %d, want 403", res.Status)
		}
		c.postJSON("/api/v1/polls/"+afterClose+"/close", "", "Authorization", "Bearer "+token)
		if total, votes := c.another().results(afterClose); total != 1 || fmt.Sprint(votes) != "[0 1]" {
			t.Errorf("after_close once closed: %d %v, want 1 [0 1]", total, votes)
		}
	})
}

func TestVoterCookie(t *testing.T) {
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t), TrustProxy: true}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	id, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
	c = c.another() // a client with no cookie yet
	res := c.do("GET", "/api/v1/polls/"+id+"/results", "", "", "X-Forwarded-Proto", "https")
	cookie := res.Header.Get("Set-Cookie")
	for _, attr := range []string{"pollstack_voter=", "HttpOnly", "SameSite=Lax", "Secure", "Path=/"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("voter cookie %q lacks %s", cookie, attr)
		}
	}
	if hsts := res.Header.Get("Strict-Transport-Security"); hsts == "" {
		t.Error("no HSTS behind TLS")
	}
	if res := c.do("GET", "/api/v1/polls/"+id+"/results", "", ""); res.Header.Get("Set-Cookie") != "" {
		t.Errorf("cookie set again for a client that has one: %s", res.Header.Get("Set-Cookie"))
	}
	plain := newClient(t, srv.URL).do("GET", "/api/v1/polls/"+id+"/results", "", "")
	if strings.Contains(plain.Header.Get("Set-Cookie"), "Secure") || plain.Header.Get("Strict-Transport-Security") != "" {
		t.Error("Secure cookie or HSTS on plain HTTP")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	store := stores["sqlite"](t)
	s := web.New(web.Config{Store: store})
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := newClient(t, srv.URL)
	for _, path := range []string{"/healthz", "/readyz"} {
		if res := c.do("GET", path, "", ""); res.Status != 200 {
			t.Errorf("%s = %d, want 200", path, res.Status)
		}
	}
	s.Drain()
	if res := c.do("GET", "/readyz", "", ""); res.Status != 503 || res.json(t)["status"] != "draining" {
		t.Errorf("readyz while draining = %d %s, want 503 draining", res.Status, res.Body)
	}
	if res := c.do("GET", "/healthz", "", ""); res.Status != 200 {
		t.Errorf("healthz while draining = %d, want 200", res.Status)
	}
	store.Close()
	srv2 := httptest.NewServer(web.New(web.Config{Store: store}))
	defer srv2.Close()
	if res := newClient(t, srv2.URL).do("GET", "/readyz", "", ""); res.Status != 503 || res.Header.Get("Retry-After") == "" {
		t.Errorf("readyz with a closed store = %d (Retry-After %q), want 503 with Retry-After", res.Status, res.Header.Get("Retry-After"))
	}
}

func TestSecurityHeaders(t *testing.T) {
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t)}))
	defer srv.Close()
	res := newClient(t, srv.URL).do("GET", "/api/v1/polls/nope", "", "")
	for header, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := res.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q lacks frame-ancestors 'none'", csp)
	}
	if res.Header.Get("Referrer-Policy") == "" || res.Header.Get("X-Request-Id") == "" {
		t.Error("Referrer-Policy or X-Request-Id missing")
	}
}

// The OpenAPI document describes exactly the routes the server has.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := web.New(web.Config{Store: stores["sqlite"](t)})
	srv := httptest.NewServer(s)
	defer srv.Close()
	res := newClient(t, srv.URL).do("GET", "/api/v1/openapi.json", "", "")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(res.Body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi.json: version %q, %v", doc.OpenAPI, err)
	}
	var documented []string
	for path, item := range doc.Paths {
		for method := range item {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	var served []string
	for _, r := range s.Routes() {
		if strings.HasPrefix(r, "GET /api/") || strings.Contains(r, " /api/") || strings.HasSuffix(r, "z") {
			served = append(served, r)
		}
	}
	sort.Strings(documented)
	sort.Strings(served)
	if strings.Join(documented, "\n") != strings.Join(served, "\n") {
		t.Errorf("OpenAPI paths differ from the API routes:\ndocumented:\n%s\nserved:\n%s", strings.Join(documented, "\n"), strings.Join(served, "\n"))
	}
}
