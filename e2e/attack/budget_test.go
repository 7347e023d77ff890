//go:build integration

package attack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// Attack (issue 25, finding 2): one address creates code polls of 5,000
// codes and adds batches of 5,000 to them, as fast as the creation limit
// lets it. On the code before the fix each request within that limit stored
// its codes: the burst of 10 alone stored 50,000 (the issue: 190,000 a
// minute, obeying Retry-After). Now the codes are charged to the address's
// budget (the default, 10,000 an hour): two batches are stored, the rest is
// 429 with a Retry-After of about half an hour, and nothing of a refused
// request is stored.
func TestVoterCodesAreChargedToABudget(t *testing.T) {
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := servertest.Start(t, store...)
			const batch = 5_000
			var statuses tally
			var retryAfter []string
			record := func(a answer) {
				statuses.add(a)
				if a.status == http.StatusTooManyRequests {
					retryAfter = append(retryAfter, a.header.Get("Retry-After"))
				}
			}
			var id, token string
			for i := range 5 {
				a := send(t, "POST", s.URL()+"/api/v1/polls", "application/json",
					fmt.Sprintf(`{"question": "Board election %d", "options": ["Ann", "Bo"], "duplicate_check": "code", "voter_codes": %d}`, i, batch))
				record(a)
				if a.status == http.StatusCreated && id == "" {
					var poll struct {
						ID         string
						AdminToken string `json:"admin_token"`
					}
					json.Unmarshal(a.body, &poll)
					id, token = poll.ID, poll.AdminToken
				}
			}
			if id == "" {
				t.Fatalf("no code poll created: %v", statuses.n)
			}
			for range 5 {
				record(send(t, "POST", s.URL()+"/api/v1/polls/"+id+"/voter-codes", "application/json",
					fmt.Sprintf(`{"voter_codes": %d}`, batch), "Authorization", "Bearer "+token))
			}
			stored := countRows(t, name, store, "voter_codes")
			figures.Print(t, "5 code polls and 5 added batches of %d codes from one address: %v (Retry-After %s s ...); %d codes stored",
				batch, statuses.n, first(retryAfter), stored)
			if statuses.get("201") != 2 || statuses.get("429 rate_limited") != 8 {
				t.Errorf("outcomes %v, want 2 x 201 (the hour's budget of 10,000 codes) and 8 x 429", statuses.n)
			}
			if stored != 2*batch {
				t.Errorf("%d codes stored, want %d", stored, 2*batch)
			}
			wantRetryAfter(t, retryAfter, 1700, 1800)
		})
	}
}

// Attack (issue 25, finding 5): the creator of a code poll asks for its
// codes CSV over and over, each time 5,000 codes derived again from a seed
// of its choosing (milliseconds of CPU and 440 KB each). On the code before
// the fix every request was served; now the downloads meet the creation
// rate (10 a minute, a burst of 10) in a bucket of their own, with
// Retry-After.
func TestCodesCSVIsRateLimited(t *testing.T) {
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := servertest.Start(t, store...)
			poll := createPoll(t, s.URL(), `{"question": "Board election", "options": ["Ann", "Bo"], "duplicate_check": "code", "voter_codes": 2}`)
			form := url.Values{"token": {poll["admin_token"].(string)}, "count": {"5000"}, "seed": {"c2VlZHNlZWRzZWVkc2VlZA"}}.Encode()
			var statuses tally
			var retryAfter []string
			var served int64
			for range 30 {
				a := send(t, "POST", s.URL()+"/p/"+poll["id"].(string)+"/codes.csv", "application/x-www-form-urlencoded", form)
				statuses.add(a)
				switch a.status {
				case http.StatusOK:
					served += int64(len(a.body))
				case http.StatusTooManyRequests:
					retryAfter = append(retryAfter, a.header.Get("Retry-After"))
				}
			}
			figures.Print(t, "30 codes CSVs of 5,000 codes from one address: %v (Retry-After %s s ...); %d KB served", statuses.n, first(retryAfter), served>>10)
			if n := statuses.get("200"); n < 10 || n > 11 || statuses.get("429") != 30-n {
				t.Errorf("outcomes %v, want the burst of 10 (11 if a token came back meanwhile) and the rest 429", statuses.n)
			}
			wantRetryAfter(t, retryAfter, 1, 6)
		})
	}
}
