package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/web"
)

// vote posts a ballot, with extra headers, and returns the status and error code.
func (c *apiUser) vote(id, body string, header ...string) (int, string) {
	c.t.Helper()
	res := c.postJSON("/api/v1/polls/"+id+"/votes", body, header...)
	if res.Status == http.StatusCreated {
		return res.Status, ""
	}
	code, _ := res.errorCode(c.t)
	return res.Status, code
}

// An "ip" poll takes one ballot per client address: behind the proxy, the
// right-most X-Forwarded-For entry, whatever the client writes to its left,
// and one per /56 for IPv6; cookies do not matter.
func TestAPIAddressCheck(t *testing.T) {
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t), TrustProxy: true}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	res := c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "duplicate_check": "ip"}`)
	if res.Status != http.StatusCreated || res.json(t)["duplicate_check"] != "ip" {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	id := res.json(t)["id"].(string)
	for i, tt := range []struct {
		xff    string
		status int
		code   string
	}{
		{"198.51.100.1", 201, ""},
		{"198.51.100.1", 409, "already_voted"},
		{"203.0.113.9, 198.51.100.1", 409, "already_voted"}, // a forged entry to the left
		{"198.51.100.2, 198.51.100.1", 409, "already_voted"},
		{"198.51.100.2", 201, ""},
		{"2001:db8:0:1::1", 201, ""},
		{"2001:db8:0:1:ffff::2", 409, "already_voted"}, // the same /64
		{"2001:db8:0:ff::3", 409, "already_voted"},     // another /64 of the same /56
		{"2001:db8:0:100::1", 201, ""},                 // another /56
	} {
		status, code := c.another().vote(id, `{"option_ids": [1]}`, "X-Forwarded-For", tt.xff)
		if status != tt.status || code != tt.code {
			t.Errorf("vote %d from %s with a new cookie: %d %s, want %d %s", i, tt.xff, status, code, tt.status, tt.code)
		}
	}
	if total, _ := c.results(id); total != 4 {
		t.Errorf("total = %d, want 4", total)
	}
	if got := c.do("GET", "/api/v1/polls/"+id, "", "").json(t)["duplicate_check"]; got != "ip" {
		t.Errorf("GET duplicate_check = %v, want ip", got)
	}
}

// A "code" poll returns its codes once, takes one ballot per code, refuses
// a missing or unknown code, and mints more codes for the admin token.
func TestAPICodeCheck(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		res := c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "duplicate_check": "code", "voter_codes": 3}`)
		if res.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		created := res.json(t)
		id, token := created["id"].(string), created["admin_token"].(string)
		var codes []string
		for _, c := range created["voter_codes"].([]any) {
			codes = append(codes, c.(string))
		}
		if len(codes) != 3 || created["duplicate_check"] != "code" {
			t.Fatalf("created %v", created)
		}
		if _, shown := c.do("GET", "/api/v1/polls/"+id, "", "").json(t)["voter_codes"]; shown {
			t.Error("GET shows the voter codes")
		}
		typed := strings.ToLower(strings.ReplaceAll(codes[1], "-", ""))
		for i, tt := range []struct {
			body   string
			status int
			code   string
		}{
			{`{"option_ids": [1]}`, 403, "invalid_code"},
			{`{"option_ids": [1], "code": "NOT-A-CODE"}`, 403, "invalid_code"},
			{`{"option_ids": [1], "code": "` + strings.Repeat("A", 16) + `"}`, 403, "invalid_code"},
			{`{"option_ids": [1], "code": "` + codes[0] + `"}`, 201, ""},
			{`{"option_ids": [2], "code": "` + codes[0] + `"}`, 409, "code_used"},
			{`{"option_ids": [2], "code": "` + typed + `"}`, 201, ""},
			{`{"option_ids": [9], "code": "` + codes[2] + `"}`, 400, "option_unknown"},
		} {
			if status, code := c.another().vote(id, tt.body); status != tt.status || code != tt.code {
				t.Errorf("vote %d %s: %d %s, want %d %s", i, tt.body, status, code, tt.status, tt.code)
			}
		}
		// The refused ballot did not use the code.
		if status, _ := c.vote(id, `{"option_ids": [2], "code": "`+codes[2]+`"}`); status != 201 {
			t.Errorf("third code after a refused ballot: %d, want 201", status)
		}
		if total, votes := c.results(id); total != 3 || fmt.Sprint(votes) != "[1 2]" {
			t.Errorf("results = %d %v, want 3 [1 2]", total, votes)
		}

		mint := func(id, body, auth string) response {
			return c.postJSON("/api/v1/polls/"+id+"/voter-codes", body, "Authorization", auth)
		}
		if res := mint(id, `{"voter_codes": 2}`, ""); res.Status != 401 {
			t.Errorf("mint without the token: %d, want 401", res.Status)
		}
		if res := mint(id, `{"voter_codes": 0}`, "Bearer "+token); res.Status != 400 {
			t.Errorf("mint 0 codes: %d, want 400", res.Status)
		}
		res = mint(id, `{"voter_codes": 2}`, "Bearer "+token)
		more, _ := res.json(t)["voter_codes"].([]any)
		if res.Status != 201 || len(more) != 2 {
			t.Fatalf("mint: %d %s", res.Status, res.Body)
		}
		if status, _ := c.another().vote(id, `{"option_ids": [1], "code": "`+more[0].(string)+`"}`); status != 201 {
			t.Errorf("a minted code: %d, want 201", status)
		}
		browser, browserToken := c.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
		if res := mint(browser, `{"voter_codes": 2}`, "Bearer "+browserToken); res.Status != 409 {
			t.Errorf("mint for a browser poll: %d %s, want 409 not_code_poll", res.Status, res.Body)
		}
	})
}

// A "none" poll counts every ballot, from one cookie too; a "browser" poll
// counts one per cookie, whatever the address.
func TestAPIKioskAndBrowserChecks(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		kiosk, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"], "duplicate_check": "none"}`)
		browser, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"], "duplicate_check": "browser"}`)
		for range 3 {
			if status, code := c.vote(kiosk, `{"option_ids": [2]}`); status != 201 {
				t.Errorf("kiosk vote: %d %s", status, code)
			}
		}
		if total, _ := c.results(kiosk); total != 3 {
			t.Errorf("kiosk total = %d, want 3", total)
		}
		c.vote(browser, `{"option_ids": [2]}`)
		if status, code := c.vote(browser, `{"option_ids": [1]}`, "X-Forwarded-For", "198.51.100.9"); status != 409 || code != "already_voted" {
			t.Errorf("browser poll, same cookie: %d %s, want 409 already_voted", status, code)
		}
	})
}
