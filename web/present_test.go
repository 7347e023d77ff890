package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Present mode reveals hidden results to the poll's owner only (issue 26,
// item 4). The attacks: a public request asking to reveal, a wrong or
// missing token, another poll's creator cookie, and the live stream asked
// the same way; each must see the results hidden.
func TestPresentRevealOwnerOnly(t *testing.T) {
	eachStore(t, func(t *testing.T, api *apiUser) {
		id, token := api.createPoll(`{"question": "Secret?", "options": ["Yes", "No"], "results": "after_close"}`)
		api.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`)
		hidden := func(who string, res response) {
			t.Helper()
			body := string(res.Body)
			if strings.Contains(body, "data-total") || strings.Contains(body, "Show the results on this screen") {
				t.Errorf("%s: status %d, the page reveals the results or offers to", who, res.Status)
			}
		}
		public := pageClient(t, api.base)
		hidden("public ?reveal", public.get("/p/"+id+"/present?reveal"))
		for _, tok := range []string{"", "wrong-token-wrong-token"} {
			res := public.form("/p/"+id+"/present", url.Values{"token": {tok}})
			if res.Status != http.StatusUnauthorized && res.Status != http.StatusForbidden {
				t.Errorf("reveal with token %q: status %d", tok, res.Status)
			}
			hidden("after a refused reveal", public.get("/p/"+id+"/present?reveal"))
		}
		st := openStreamAt(t, public, "/p/"+id+"/events?reveal")
		if e := st.next(t, 5*time.Second); !strings.Contains(e, "event: hidden") {
			t.Errorf("public stream ?reveal: %q", e)
		}
		st.cancel()
		// The owner of another poll.
		other, otherToken := api.createPoll(`{"question": "Other?", "options": ["A", "B"], "results": "after_close"}`)
		stranger := pageClient(t, api.base)
		if res := stranger.form("/p/"+other+"/present", url.Values{"token": {otherToken}}); res.Status != http.StatusSeeOther {
			t.Fatalf("owner of the other poll: status %d", res.Status)
		}
		hidden("another poll's owner", stranger.get("/p/"+id+"/present?reveal"))

		// The owner, on a projector's browser: the admin token once, then
		// the page and its stream show the counts.
		owner := pageClient(t, api.base)
		_, res := owner.follow(owner.form("/p/"+id+"/present", url.Values{"token": {token}}))
		if body := string(res.Body); !strings.Contains(body, `<span data-total>1</span>`) {
			t.Errorf("revealed present page: status %d, no count of 1", res.Status)
		}
		if body := string(owner.get("/p/" + id + "/present").Body); !strings.Contains(body, "Show the results on this screen") || strings.Contains(body, "data-total") {
			t.Errorf("the owner's present page without ?reveal should offer to reveal, not reveal")
		}
		st = openStreamAt(t, owner, "/p/"+id+"/events?reveal")
		if e := st.next(t, 5*time.Second); !strings.Contains(e, `"total":1`) {
			t.Errorf("owner's stream ?reveal: %q", e)
		}
		st.cancel()
	})
}

// The join code shown in present mode takes a room to the poll, typed in
// any case, with a trailing slash or full stop, as a link or in the home
// page's box; an unknown or malformed code says so.
func TestJoinCodeRoute(t *testing.T) {
	eachStore(t, func(t *testing.T, api *apiUser) {
		id, _ := api.createPoll(`{"question": "Join?", "options": ["Yes", "No"]}`)
		code := api.do("GET", "/api/v1/polls/"+id, "", "").json(t)["join_code"].(string)
		if present := string(api.get("/p/" + id + "/present").Body); !strings.Contains(present, "<span>/j/"+code+"</span>") {
			t.Errorf("present mode does not show /j/%s", code)
		}
		if home := string(api.get("/").Body); !strings.Contains(home, `action="/j"`) || !strings.Contains(home, `name="code"`) {
			t.Error("the home page has no box for a join code")
		}
		c := pageClient(t, api.base)
		lower := strings.ToLower(code)
		for _, path := range []string{"/j/" + code, "/j/" + lower, "/j/" + code + "/", "/j/" + lower + ".", "/j?code=" + url.QueryEscape(" "+lower+". ")} {
			res := c.get(path)
			if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/p/"+id {
				t.Errorf("%s: status %d to %q, want 303 to /p/%s", path, res.Status, res.Header.Get("Location"), id)
			}
		}
		for _, path := range []string{"/j/ZZZZZ2", "/j/nope", "/j?code="} {
			if path == "/j/ZZZZZ2" && code == "ZZZZZ2" {
				continue
			}
			res := c.get(path)
			if res.Status != http.StatusNotFound || !strings.Contains(string(res.Body), "No poll has that code") {
				t.Errorf("%s: status %d", path, res.Status)
			}
		}
	})
}
