package web_test

import (
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var codesBox = regexp.MustCompile(`(?s)<textarea id="voter-codes"[^>]*>(.*?)</textarea>`)

// listedCodes are the codes a page lists to copy.
func listedCodes(t *testing.T, page response) []string {
	t.Helper()
	m := codesBox.FindSubmatch(page.Body)
	if m == nil {
		t.Fatalf("the page lists no voter codes:\n%s", page.Body)
	}
	return strings.Split(html.UnescapeString(string(m[1])), "\n")
}

// createCodePoll creates a code poll with n codes through the form.
func (c *apiUser) createCodePoll(n int) (id string, created response) {
	c.t.Helper()
	v := pollForm("Board election", "Ann", "Bo")
	v.Set("duplicate_check", "code")
	v.Set("voter_codes", strconv.Itoa(n))
	return c.createForm(v)
}

// A code poll made with the form: its codes are listed once, to copy and as
// a CSV download with a link each; the poll page names the check, asks for
// the code (filled in by its script from the link's #code=) and says next
// to it what was wrong.
func TestPageVoterCodes(t *testing.T) {
	_, c := pageServer(t)
	id, created := c.createCodePoll(3)
	codes := listedCodes(t, created)
	if len(codes) != 3 {
		t.Fatalf("%d codes listed, want 3: %q", len(codes), codes)
	}
	mustContain(t, created, "Keep these 3 codes now.", `action="/p/`+id+`/codes.csv"`)
	if again := c.get("/p/" + id + "/created"); codesBox.Match(again.Body) || !strings.Contains(string(again.Body), "The voter codes were shown once") {
		t.Error("the created page lists the codes again on reload")
	}

	// The CSV, from the form on the page.
	form := url.Values{}
	for _, name := range []string{"token", "seed", "count"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindSubmatch(created.Body)
		if m == nil {
			t.Fatalf("the CSV form lacks %s", name)
		}
		form.Set(name, html.UnescapeString(string(m[1])))
	}
	res := c.form("/p/"+id+"/codes.csv", form)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(res.Body), "\uFEFF"))).ReadAll()
	if res.Status != http.StatusOK || err != nil || len(rows) != 4 || rows[0][0] != "code" {
		t.Fatalf("CSV: %d %v %q", res.Status, err, res.Body)
	}
	for i, code := range codes {
		if rows[i+1][0] != code || !strings.HasSuffix(rows[i+1][1], "/p/"+id+"#code="+code) {
			t.Errorf("CSV row %d: %q, want %s and its link", i+1, rows[i+1], code)
		}
	}
	form.Set("token", "wrong")
	if res := c.form("/p/"+id+"/codes.csv", form); res.Status != http.StatusForbidden {
		t.Errorf("CSV with a wrong token: %d, want 403", res.Status)
	}

	// The poll page asks for the code, which its script fills in from the
	// link's fragment; a code in the query, where logs would keep it, is
	// never read.
	poll := c.get("/p/" + id + "?code=" + codes[0])
	mustContain(t, poll, "One vote per voter code.", `id="code" name="code" type="text" value=""`)
	voter := pageClient(t, c.base)
	wrong := voter.form("/p/"+id+"/vote", url.Values{"option": {"1"}, "code": {"AAAA-AAAA-AAAA-AAAA"}})
	if wrong.Status != http.StatusForbidden {
		t.Errorf("a wrong code: status %d, want 403", wrong.Status)
	}
	mustContain(t, wrong, `id="code-error" role="alert">This poll needs a valid voter code.`, `value="AAAA-AAAA-AAAA-AAAA"`)
	voter.follow(voter.form("/p/"+id+"/vote", url.Values{"option": {"1"}, "code": {strings.ToLower(codes[0])}}))
	used := pageClient(t, c.base).form("/p/"+id+"/vote", url.Values{"option": {"2"}, "code": {codes[0]}})
	if used.Status != http.StatusConflict {
		t.Errorf("a used code: status %d, want 409", used.Status)
	}
	mustContain(t, used, `id="code-error" role="alert">This voter code has already been used.`, "This code has voted. Only the browser that cast the ballot can see it.")
}

// The admin page adds codes; the next page lists them once.
func TestPageAddVoterCodes(t *testing.T) {
	_, c := pageServer(t)
	id, created := c.createCodePoll(1)
	token := adminLink.FindStringSubmatch(string(created.Body))[2]
	mustContain(t, c.admin(id, token), `action="/p/`+id+`/codes"`, `name="voter_codes"`)
	if res := c.form("/p/"+id+"/codes", url.Values{"token": {"wrong"}, "voter_codes": {"2"}}); res.Status != http.StatusForbidden {
		t.Errorf("adding codes with a wrong token: %d, want 403", res.Status)
	}
	loc, page := c.follow(c.form("/p/"+id+"/codes", url.Values{"token": {token}, "voter_codes": {"2"}}))
	if loc != "/p/"+id+"/codes" {
		t.Errorf("redirected to %q", loc)
	}
	codes := listedCodes(t, page)
	if len(codes) != 2 {
		t.Fatalf("%d new codes listed, want 2", len(codes))
	}
	if again := c.get(loc); codesBox.Match(again.Body) {
		t.Error("the new codes are listed again on reload")
	}
	for _, code := range codes {
		if status, _ := pageClient(t, c.base).vote(id, `{"option_ids": [1], "code": "`+code+`"}`); status != http.StatusCreated {
			t.Errorf("a new code: %d, want 201", status)
		}
	}
}

// The form offers every duplicate check; the number of codes counts only
// with the code check, and a bad one is said next to its box.
func TestPageDuplicateCheckForm(t *testing.T) {
	_, c := pageServer(t)
	mustContain(t, c.get("/"), `name="duplicate_check" value="browser" checked`, `value="ip"`, `value="code"`, `value="none"`, "shares one vote")
	v := pollForm("Q?", "A", "B")
	v.Set("duplicate_check", "ip")
	v.Set("voter_codes", "12") // typed, then another check chosen: ignored
	id, _ := c.createForm(v)
	if got := c.get("/api/v1/polls/" + id).json(t)["duplicate_check"]; got != "ip" {
		t.Errorf("duplicate_check %v, want ip", got)
	}
	mustContain(t, c.get("/p/"+id), "One vote per internet address: people on the same network")
	v.Set("duplicate_check", "code")
	v.Set("voter_codes", "many")
	res := c.form("/", v)
	if res.Status != http.StatusBadRequest {
		t.Errorf("codes: many: status %d, want 400", res.Status)
	}
	mustContain(t, res, `<p class="error" id="voter_codes-error">Ask for 1 to 5000 voter codes.</p>`, `id="check-code" name="duplicate_check" value="code" checked`)
}
