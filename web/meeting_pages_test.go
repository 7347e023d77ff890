package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// meetingForm is the create form with rows of date, start and end.
func meetingForm(title, tz string, rows ...[3]string) url.Values {
	v := url.Values{"question": {title}, "tz": {tz}}
	for _, r := range rows {
		v.Add("date", r[0])
		v.Add("start", r[1])
		v.Add("end", r[2])
	}
	return v
}

// createMeeting creates a meeting poll through the form; it returns its id
// and admin token.
func (c *apiUser) createMeeting(v url.Values) (id, token string) {
	c.t.Helper()
	loc, page := c.follow(c.form("/meeting", v))
	m := regexp.MustCompile(`^/p/([A-Za-z0-9_-]+)/created$`).FindStringSubmatch(loc)
	link := adminLink.FindStringSubmatch(string(page.Body))
	if m == nil || link == nil {
		c.t.Fatalf("create meeting: redirected to %q:\n%s", loc, page.Body)
	}
	return m[1], link[2]
}

// Without JavaScript: create a meeting poll from dates and times in a named
// zone, across a change to summer time; answer as three people, edit one
// answer, see the grid best first in UTC, decide, and find the calendar file.
func TestMeetingPagesWithoutJavaScript(t *testing.T) {
	_, c := pageServer(t)
	mustContain(t, c.get("/meeting"), `name="date"`, `name="tz"`, `type="time"`)

	res := c.form("/meeting", meetingForm("Offsite", "Mars/Olympus", [3]string{"2026-03-08", "", ""}))
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), `id="tz-error"`) {
		t.Fatalf("unknown zone: %d, want 400 with the error at the zone:\n%s", res.Status, res.Body)
	}
	res = c.form("/meeting", meetingForm("Offsite", "UTC", [3]string{"", "", ""}, [3]string{"2026-03-08", "09:00", ""}))
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), `id="slot-error-1"`) {
		t.Fatalf("a start without an end: %d, want 400 with the error at row 2:\n%s", res.Status, res.Body)
	}
	res = c.form("/meeting", meetingForm("Offsite", "UTC", [3]string{"2026-03-08", "10:00", "09:00"}))
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), "the end must be after the start") {
		t.Fatalf("an end before the start: %d, want 400 saying so:\n%s", res.Status, res.Body)
	}

	// 01:00 to 04:00 in New York on 8 March 2026 spans the change to summer
	// time: 06:00 to 08:00 UTC. 31 December is a whole day.
	id, token := c.createMeeting(meetingForm("Offsite", "America/New_York",
		[3]string{"2026-03-08", "01:00", "04:00"}, [3]string{"", "", ""}, [3]string{"2026-12-31", "", ""}))
	poll := c.get("/api/v1/polls/" + id).json(t)
	first := poll["slots"].([]any)[0].(map[string]any)
	if first["start"] != "2026-03-08T01:00:00-05:00" || first["end"] != "2026-03-08T04:00:00-04:00" {
		t.Errorf("first slot %v, want New York's offsets on each side of the change", first)
	}

	page := c.get("/p/" + id)
	mustContain(t, page, `<time datetime="2026-03-08T06:00:00Z" data-local>8 March 2026, 06:00 UTC</time> – <time datetime="2026-03-08T08:00:00Z" data-local>8 March 2026, 08:00 UTC</time>`,
		"Thu 31 Dec 2026 (all day)", `name="slot-1"`, `value="if_need_be"`, `name="name"`)

	answer := func(c *apiUser, path, name string, answers ...string) response {
		v := url.Values{"name": {name}}
		for i, a := range answers {
			v.Set("slot-"+string(rune('1'+i)), a)
		}
		return c.form(path, v)
	}
	res = answer(c, "/p/"+id+"/vote", " ", "yes", "no")
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), `id="name-error"`) || !strings.Contains(string(res.Body), `value="yes" checked`) {
		t.Fatalf("no name: %d, want 400 with the error at the name and the answers kept:\n%s", res.Status, res.Body)
	}
	ada, bob, cy := pageClient(t, c.base), pageClient(t, c.base), pageClient(t, c.base)
	c.follow(answer(ada, "/p/"+id+"/vote", "Ada", "yes", "if_need_be"))
	c.follow(answer(bob, "/p/"+id+"/vote", "Bob", "no", "yes"))
	c.follow(answer(cy, "/p/"+id+"/vote", "Cy <3", "no", "yes"))
	_, page = ada.follow(answer(ada, "/p/"+id+"/change", "Ada", "no", "yes"))
	mustContain(t, page, "Your answers are changed.", "Change my answers", `name="name" type="text" value="Ada"`)

	// Best first: 31 December (3 yes) before 8 March (none).
	grid := string(page.Body)
	dec, mar := strings.Index(grid, "Thu 31 Dec 2026 (all day) <span class=\"badge\">best</span>"), strings.Index(grid, `<th scope="row"><time datetime="2026-03-08T06:00:00Z"`)
	if dec < 0 || mar < 0 || dec > mar {
		t.Errorf("grid rows: 31 December at %d, 8 March at %d; want 31 December first and marked best:\n%s", dec, mar, grid)
	}
	mustContain(t, page, `<th scope="col" dir="auto">Ada</th>`, `<th scope="col" dir="auto">`+html.EscapeString("Cy <3")+`</th>`, `<td data-yes>3</td><td data-if-need-be>0</td>`)

	// The creator decides on the admin page; the poll shows the decision
	// and its calendar file.
	mustContain(t, c.admin(id, token), `action="/p/`+id+`/decide"`, `name="option_id" value="2"`)
	c.follow(c.form("/p/"+id+"/decide", url.Values{"token": {token}, "option_id": {"2"}}))
	page = bob.get("/p/" + id)
	mustContain(t, page, "Decided: Thu 31 Dec 2026 (all day).", `href="/p/`+id+`/event.ics"`)
	if strings.Contains(string(page.Body), `name="slot-1"`) {
		t.Error("the answer form is still offered after the decision")
	}
	if res := c.get("/p/" + id + "/event.ics"); res.Status != http.StatusOK || !strings.Contains(string(res.Body), "DTSTART;VALUE=DATE:20261231\r\n") {
		t.Errorf("event.ics: %d\n%s", res.Status, res.Body)
	}
	res = c.form("/p/"+id+"/decide", url.Values{"token": {"wrong"}, "option_id": {"1"}})
	if res.Status != http.StatusForbidden {
		t.Errorf("a decision with a wrong token: %d, want 403", res.Status)
	}
}

// Hidden names: the page shows the totals and no name.
func TestMeetingPageHiddenNames(t *testing.T) {
	_, c := pageServer(t)
	v := meetingForm("Offsite", "Europe/Berlin", [3]string{"2026-03-29", "01:30", "03:30"})
	v.Set("hide_names", "yes")
	id, _ := c.createMeeting(v)
	c.follow(c.form("/p/"+id+"/vote", url.Values{"name": {"Secret Person"}, "slot-1": {"yes"}}))
	page := pageClient(t, c.base).get("/p/" + id) // anyone but the participant, whose form keeps their name
	// 01:30 CET is 00:30 UTC; 03:30 CEST (after the change at 02:00) is 01:30 UTC.
	mustContain(t, page, `<time datetime="2026-03-29T00:30:00Z" data-local>29 March 2026, 00:30 UTC</time>`, `<time datetime="2026-03-29T01:30:00Z" data-local>`, `<td data-yes>1</td><td data-if-need-be>0</td>`)
	if strings.Contains(string(page.Body), "Secret Person") {
		t.Error("the page shows a name the creator hid")
	}
}
