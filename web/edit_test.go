package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// patch sends an edit with the admin token, and If-Match when given.
func (c *apiUser) patch(id, token, body string, ifMatch string) response {
	c.t.Helper()
	header := []string{"Authorization", "Bearer " + token}
	if ifMatch != "" {
		header = append(header, "If-Match", ifMatch)
	}
	return c.do("PATCH", "/api/v1/polls/"+id, "application/json", body, header...)
}

// The API's edit rules, on each store: the token, If-Match, what freezes
// with the first ballot, the confirmed relabel in the public change log,
// and reopening.
func TestAPIEditPoll(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		id, token := c.createPoll(`{"question": "Lunch?", "options": ["Pizza", "Sushi", "Salad"]}`)
		got := c.do("GET", "/api/v1/polls/"+id, "", "")
		if tag := got.Header.Get("ETag"); tag != `"1"` {
			t.Fatalf("ETag of a new poll %q, want \"1\"", tag)
		}
		edit := `{"question": "Lunch on Friday?", "options": [{"id": 1, "label": "Pizza place"}, {"id": 2, "label": "Sushi"}, {"label": "Tacos"}], "closes_at": "2999-01-01T12:00:00Z"}`
		wantError(t, c.do("PATCH", "/api/v1/polls/"+id, "application/json", edit), http.StatusUnauthorized, "admin_token_required", "")
		other, otherToken := c.createPoll(`{"question": "Other?", "options": ["A", "B"]}`)
		wantError(t, c.patch(id, otherToken, edit, ""), http.StatusForbidden, "admin_token_invalid", "")
		res := c.patch(id, token, edit, `"1"`)
		if res.Status != http.StatusOK || res.Header.Get("ETag") != `"2"` {
			t.Fatalf("edit: status %d, ETag %q: %s", res.Status, res.Header.Get("ETag"), res.Body)
		}
		p := res.json(t)
		if p["question"] != "Lunch on Friday?" || fmt.Sprint(p["options"]) != "[map[id:1 label:Pizza place] map[id:2 label:Sushi] map[id:4 label:Tacos]]" || p["closes_at"] != "2999-01-01T12:00:00Z" {
			t.Errorf("edited poll: %s", res.Body)
		}
		wantError(t, c.patch(id, token, `{"question": "Late"}`, `"1"`), http.StatusPreconditionFailed, "version_stale", "If-Match")
		wantError(t, c.patch(id, token, `{"closes_at": "Friday"}`, ""), http.StatusBadRequest, "closes_at_invalid", "closes_at")
		wantError(t, c.patch(id, token, `{"closes_at": "2001-01-01T00:00:00Z"}`, ""), http.StatusBadRequest, "closes_at_past", "closes_at")
		wantError(t, c.patch(id, token, `{"colour": "red"}`, ""), http.StatusBadRequest, "unknown_field", "colour")

		if res := c.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [4]}`); res.Status != http.StatusCreated {
			t.Fatalf("vote: %d %s", res.Status, res.Body)
		}
		wantError(t, c.patch(id, token, `{"kind": "multiple"}`, ""), http.StatusConflict, "frozen_after_votes", "kind")
		wantError(t, c.patch(id, token, `{"duplicate_check": "ip"}`, ""), http.StatusConflict, "frozen_after_votes", "duplicate_check")
		wantError(t, c.patch(id, token, `{"options": [{"id": 1, "label": "Pizza place"}, {"id": 2, "label": "Sushi"}]}`, ""), http.StatusConflict, "option_has_votes", "options")
		relabel := `{"options": [{"id": 1, "label": "Pizza place"}, {"id": 4, "label": "Tacos al pastor"}]`
		wantError(t, c.patch(id, token, relabel+`}`, ""), http.StatusConflict, "relabel_unconfirmed", "confirm_relabel")
		if res := c.patch(id, token, relabel+`, "confirm_relabel": true}`, ""); res.Status != http.StatusOK {
			t.Fatalf("confirmed relabel (Sushi, without votes, deleted): %d %s", res.Status, res.Body)
		}
		changes := fmt.Sprint(c.do("GET", "/api/v1/polls/"+id, "", "").json(t)["changes"])
		if !strings.Contains(changes, "from:Tacos") || !strings.Contains(changes, "to:Tacos al pastor") || !strings.Contains(changes, "option_id:4") {
			t.Errorf("change log %s", changes)
		}
		for _, page := range []string{"/p/" + id, "/p/" + id + "/results"} {
			if body := string(c.get(page).Body); !strings.Contains(body, "Changed after voting began") || !strings.Contains(body, "“<span dir=\"auto\">Tacos</span>” was renamed “<span dir=\"auto\">Tacos al pastor</span>”") {
				t.Errorf("%s does not show the change log", page)
			}
		}
		if body := string(c.get("/p/" + other).Body); strings.Contains(body, "Changed after voting began") {
			t.Errorf("a poll without relabels shows a change log")
		}

		// Close, then reopen with no closing time: a new voter may vote.
		if res := c.do("POST", "/api/v1/polls/"+id+"/close", "", "", "Authorization", "Bearer "+token); res.Status != http.StatusOK {
			t.Fatalf("close: %d %s", res.Status, res.Body)
		}
		res = c.patch(id, token, `{"reopen": true, "closes_at": null}`, "")
		if p := res.json(t); res.Status != http.StatusOK || p["closed"] != false || p["closes_at"] != nil || p["closed_at"] != nil {
			t.Fatalf("reopen: %d %s", res.Status, res.Body)
		}
		if res := c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`); res.Status != http.StatusCreated {
			t.Errorf("vote after reopening: %d %s", res.Status, res.Body)
		}
	})
}

// The admin page's edit form, without JavaScript: it saves, keeps what was
// typed with the error, and refuses a form older than the poll.
func TestEditPageForm(t *testing.T) {
	eachStore(t, func(t *testing.T, api *apiUser) {
		id, token := api.createPoll(`{"question": "Lunch?", "options": ["Pizza", "Sushi"]}`)
		c := pageClient(t, api.base)
		form := url.Values{"token": {token}, "version": {"1"}, "question": {"Lunch on Friday?"}, "description": {""},
			"option-1": {"Pizza"}, "option-2": {"Sushi"}, "new_options": {"Tacos\n\n"}, "results": {"always"}, "closes_at": {""}}
		res := c.form("/p/"+id+"/edit", form)
		if res.Status != http.StatusOK || !strings.Contains(string(res.Body), "Your changes are saved.") || !strings.Contains(string(res.Body), `value="Tacos"`) {
			t.Fatalf("save: status %d: %s", res.Status, res.Body)
		}
		if p := api.do("GET", "/api/v1/polls/"+id, "", "").json(t); p["question"] != "Lunch on Friday?" || len(p["options"].([]any)) != 3 {
			t.Errorf("after the form: %v", p)
		}
		stale := c.form("/p/"+id+"/edit", form) // version 1 again
		if stale.Status != http.StatusPreconditionFailed || !strings.Contains(string(stale.Body), "Someone saved other changes") {
			t.Errorf("stale form: status %d", stale.Status)
		}
		form.Set("version", "2")
		form.Set("question", " ")
		form.Set("description", "Typed and kept")
		bad := c.form("/p/"+id+"/edit", form)
		if bad.Status != http.StatusBadRequest || !strings.Contains(string(bad.Body), "Write a question.") || !strings.Contains(string(bad.Body), "Typed and kept") {
			t.Errorf("bad form: status %d: %s", bad.Status, bad.Body)
		}
		form.Set("token", "not-the-token")
		if res := c.form("/p/"+id+"/edit", form); res.Status != http.StatusForbidden {
			t.Errorf("form with a wrong token: status %d", res.Status)
		}
	})
}

// Open pages hear of an edit on the live stream, viewers who may not see
// the counts too.
func TestEditedEventLive(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		for _, results := range []string{"always", "after_close"} {
			id, token := c.createPoll(`{"question": "Live?", "options": ["Yes", "No"], "results": "` + results + `"}`)
			st := openStream(t, c.another(), id)
			st.next(t, 5*time.Second) // the counts, or "hidden"
			if res := c.patch(id, token, `{"question": "Live now?"}`, ""); res.Status != http.StatusOK {
				t.Fatalf("edit: %d %s", res.Status, res.Body)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				e := st.next(t, time.Until(deadline))
				if strings.HasPrefix(e, "event: edited") {
					if !strings.Contains(e, `"version":2`) {
						t.Errorf("results %s: edited event %q", results, e)
					}
					break
				}
			}
			st.cancel()
			// A page loaded at version 1 opens its stream after the edit.
			late := openStreamAt(t, c.another(), "/p/"+id+"/events?v=1")
			if e := late.next(t, 5*time.Second) + late.next(t, 5*time.Second); !strings.Contains(e, "event: edited") {
				t.Errorf("results %s: a page of version 1 got %q, want edited", results, e)
			}
			late.cancel()
		}
	})
}
