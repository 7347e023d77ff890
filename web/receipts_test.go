package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/web"
)

// checked is the API's answer to a receipt.
type checked struct {
	OptionIDs     []int  `json:"option_ids"`
	ReceiptSHA256 string `json:"receipt_sha256"`
}

func (c *apiUser) checkReceipt(id, receipt string) response {
	c.t.Helper()
	body, _ := json.Marshal(map[string]string{"receipt": receipt})
	return c.postJSON("/api/v1/polls/"+id+"/receipt", string(body))
}

// Receipts of a verifiable poll: each voter gets one, once; it finds the
// voter's ballot as counted (after a change too), and the ballot file
// lists its SHA-256. Attacks: the public ballot file gives nobody a
// receipt (no receipt in it, and a digest presented as a receipt, in any
// encoding, finds nothing); made-up receipts and another poll's find
// nothing.
func TestReceipts(t *testing.T) {
	eachStore(t, func(t *testing.T, c *apiUser) {
		wantError(t, c.postJSON("/api/v1/polls", `{"question": "Q", "kind": "meeting", "slots": [{"date": "2030-01-02"}, {"date": "2030-01-03"}], "verifiable": true}`), 400, "verifiable_meeting", "verifiable")
		id, token := c.createPoll(`{"question": "Chair?", "options": ["Ann", "Bo", "Cy"], "kind": "ranked", "allow_changes": true, "verifiable": true, "ballots_public": true}`)
		if got := c.get("/api/v1/polls/" + id).json(t)["verifiable"]; got != true {
			t.Errorf("verifiable %v, want true", got)
		}
		rankings := [][]int{{1, 2}, {2}, {3, 1, 2}, {1}}
		voters := make([]*apiUser, len(rankings))
		receipts := make([]string, len(rankings))
		for i, ranking := range rankings {
			voters[i] = c.another()
			body, _ := json.Marshal(map[string][]int{"option_ids": ranking})
			res := voters[i].postJSON("/api/v1/polls/"+id+"/votes", string(body))
			receipts[i], _ = res.json(t)["receipt"].(string)
			if res.Status != http.StatusCreated || pollstack.CheckReceipt(receipts[i]) != nil || slices.Contains(receipts[:i], receipts[i]) {
				t.Fatalf("vote %d: %d, receipt %q; want a new receipt of 22 characters", i, res.Status, receipts[i])
			}
		}
		voters[0].do("PUT", "/api/v1/polls/"+id+"/votes/mine", "application/json", `{"option_ids": [3]}`)
		rankings[0] = []int{3}
		digests := map[string]bool{}
		for i, receipt := range receipts {
			res := c.another().checkReceipt(id, receipt)
			var got checked
			json.Unmarshal(res.Body, &got)
			sum := sha256.Sum256([]byte(receipt))
			if res.Status != http.StatusOK || !slices.Equal(got.OptionIDs, rankings[i]) || got.ReceiptSHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("check receipt %d: %d %s; want %v", i, res.Status, res.Body, rankings[i])
			}
			digests[hex.EncodeToString(sum[:])] = true
		}

		c.postJSON("/api/v1/polls/"+id+"/close", "", "Authorization", "Bearer "+token)
		file := c.another().get("/api/v1/polls/" + id + "/ballots.csv")
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(file.Body, []byte("\uFEFF")))).ReadAll()
		if file.Status != http.StatusOK || err != nil || rows[0][3] != "receipt_sha256" {
			t.Fatalf("ballot file: %d %v %q", file.Status, err, file.Body)
		}
		listed := map[string]bool{}
		for _, row := range rows[1:] {
			listed[row[3]] = true
		}
		if !sameKeys(listed, digests) {
			t.Errorf("the file lists digests %v, want %v", listed, digests)
		}
		for _, receipt := range receipts {
			if bytes.Contains(file.Body, []byte(receipt)) {
				t.Errorf("the ballot file holds the receipt %s", receipt)
			}
		}
		for digest := range listed {
			raw, _ := hex.DecodeString(digest)
			for _, try := range []string{digest, base64.RawURLEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw[:16])} {
				if res := c.another().checkReceipt(id, try); res.Status == http.StatusOK {
					t.Errorf("the digest %s, as %q, finds a ballot", digest, try)
				}
			}
			wantError(t, c.another().checkReceipt(id, base64.RawURLEncoding.EncodeToString(raw[:16])), 404, "receipt_unknown", "receipt")
		}

		for range 50 { // made up: 2^128 receipts, none of them guessed
			wantError(t, c.checkReceipt(id, pollstack.RandomToken(16)), 404, "receipt_unknown", "receipt")
		}
		other, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"], "verifiable": true}`)
		wantError(t, c.checkReceipt(other, receipts[1]), 404, "receipt_unknown", "receipt")
		plain, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
		if res := c.postJSON("/api/v1/polls/"+plain+"/votes", `{"option_ids": [1]}`); bytes.Contains(res.Body, []byte("receipt")) {
			t.Errorf("a poll that is not verifiable gave a receipt: %s", res.Body)
		}
		wantError(t, c.checkReceipt(plain, receipts[1]), 409, "receipts_off", "receipt")
		wantError(t, c.checkReceipt(id, "not a receipt"), 400, "receipt_invalid", "receipt")
	})
}

func sameKeys(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// Attack: trying receipts in bulk. Each check takes one of the client's
// download tokens; past them, 429, so receipts cannot be enumerated (and
// there are 2^128 of them).
func TestReceiptChecksAreRateLimited(t *testing.T) {
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t), CreatesPerMinute: 5}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	id, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"], "verifiable": true}`)
	statuses := map[int]int{}
	for range 10 {
		statuses[c.checkReceipt(id, pollstack.RandomToken(16)).Status]++
	}
	if statuses[http.StatusNotFound] > 5 || statuses[http.StatusTooManyRequests] < 5 {
		t.Errorf("10 guesses with 5 tokens: %v, want at most 5 answered and the rest 429", statuses)
	}
}

// Without JavaScript: the page after a vote shows the receipt once (not
// on a reload), and the "check my vote" page finds the ballot with it, its
// options in rank order; the create form states the trade-off.
func TestReceiptPages(t *testing.T) {
	_, c := pageServer(t)
	mustContain(t, c.get("/"), `name="verifiable"`, "a receipt proves how someone voted")
	form := pollForm("Chair?", "Ann", "Bo", "Cy")
	form.Set("choice", "ranked")
	form.Set("verifiable", "yes")
	id, _ := c.createForm(form)
	voter := pageClient(t, c.base)
	voter.get("/p/" + id)
	_, page := voter.follow(voter.form("/p/"+id+"/vote", url.Values{"rank-1": {"2"}, "rank-3": {"1"}}))
	m := strings.SplitN(string(page.Body), `<code class="receipt-code">`, 2)
	if len(m) != 2 {
		t.Fatalf("no receipt on the page after the vote:\n%s", page.Body)
	}
	receipt, _, _ := strings.Cut(m[1], "<")
	if pollstack.CheckReceipt(receipt) != nil {
		t.Fatalf("receipt %q", receipt)
	}
	if again := voter.get("/p/" + id + "/results"); bytes.Contains(again.Body, []byte(receipt)) {
		t.Errorf("the receipt is shown again")
	}
	found := c.form("/p/"+id+"/check", url.Values{"receipt": {receipt}})
	mustContain(t, found, `<ol class="ranking"><li dir="auto">Cy</li><li dir="auto">Ann</li></ol>`)
	wrong := c.form("/p/"+id+"/check", url.Values{"receipt": {pollstack.RandomToken(16)}})
	if wrong.Status != http.StatusNotFound {
		t.Errorf("a made-up receipt: status %d, want 404", wrong.Status)
	}
	mustContain(t, wrong, `id="receipt-error"`, "No ballot of this poll has this receipt")
}
