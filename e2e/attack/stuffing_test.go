//go:build integration

package attack

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// Attack: a cookie-less loop of 300 votes through the load balancer, each
// with a forged X-Forwarded-For, on a poll that allows one ballot per
// address. On the code before the fix, every vote counted (there was no
// such poll, and any new cookie was a new voter). Now the address is the
// right-most X-Forwarded-For entry, the one the load balancer appended:
// one ballot, 299 refusals.
func TestCookielessForgedVotesCountOnceOnAnIPPoll(t *testing.T) {
	s := servertest.Start(t, "--trust-proxy=true", "--vote-rate-limit", "0") // the rate limit is another test's
	front := servertest.Proxy(t, time.Second, s.URL())
	id := createPoll(t, front, `{"question": "One per address?", "options": ["A", "B"], "duplicate_check": "ip"}`)["id"].(string)
	var statuses tally
	concurrently(300, 8, func(i int) {
		forged := fmt.Sprintf("203.0.%d.%d, 198.51.100.%d", rand.IntN(256), rand.IntN(256), rand.IntN(256))
		statuses.add(send(t, "POST", front+"/api/v1/polls/"+id+"/votes", "application/json", fmt.Sprintf(`{"option_ids": [%d]}`, i%2+1),
			"X-Forwarded-For", forged))
	})
	got := total(t, front, id)
	figures.Print(t, "300 cookie-less votes with forged X-Forwarded-For through the proxy: %v; the poll counts %d", statuses.n, got)
	if got != 1 || statuses.get("201") != 1 || statuses.get("409 already_voted") != 299 {
		t.Errorf("counted %d (%v), want 1 ballot and 299 already_voted", got, statuses.n)
	}
}

// Attack: each voter code tried 20 times at once, from new browsers and
// forged addresses, and made-up codes. Each code counts once; anything else
// is refused, and nothing of a refusal is stored.
func TestEachVoterCodeCountsOnce(t *testing.T) {
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := servertest.Start(t, append(store, "--trust-proxy=true", "--vote-rate-limit", "0")...)
			poll := createPoll(t, s.URL(), `{"question": "Board election", "options": ["Ann", "Bo"], "duplicate_check": "code", "voter_codes": 5}`)
			id := poll["id"].(string)
			var codes []string
			for _, c := range poll["voter_codes"].([]any) {
				codes = append(codes, c.(string))
			}
			if len(codes) != 5 {
				t.Fatalf("created with %d codes, want 5", len(codes))
			}
			const tries = 20
			var statuses tally
			concurrently(len(codes)*tries, len(codes)*tries, func(i int) {
				code := codes[i/tries]
				if i%2 == 1 { // as typed from paper
					code = strings.ToLower(strings.ReplaceAll(code, "-", " "))
				}
				statuses.add(send(t, "POST", s.URL()+"/api/v1/polls/"+id+"/votes", "application/json",
					fmt.Sprintf(`{"option_ids": [1], "code": %q}`, code), "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i)))
			})
			var madeUp tally
			for _, code := range []string{"", "AAAA-AAAA-AAAA-AAAA", "not a code", strings.Repeat("7", 16)} {
				madeUp.add(send(t, "POST", s.URL()+"/api/v1/polls/"+id+"/votes", "application/json", fmt.Sprintf(`{"option_ids": [2], "code": %q}`, code)))
			}
			got := total(t, s.URL(), id)
			figures.Print(t, "%d codes tried %d times each at once: %v; made-up codes: %v; the poll counts %d", len(codes), tries, statuses.n, madeUp.n, got)
			if statuses.get("201") != len(codes) || statuses.get("409 code_used") != len(codes)*(tries-1) {
				t.Errorf("outcomes %v, want %d 201 and %d code_used", statuses.n, len(codes), len(codes)*(tries-1))
			}
			if madeUp.get("403 invalid_code") != 4 {
				t.Errorf("made-up codes: %v, want 4 invalid_code", madeUp.n)
			}
			if got != len(codes) {
				t.Errorf("the poll counts %d, want %d", got, len(codes))
			}
		})
	}
}

// Attack: one client creates polls as fast as it can (5,000 in 11 s on the
// code before the fix, all stored), and votes in a cookie-less loop (300 x
// 201). Now both meet 429 with Retry-After past their burst, and nothing of
// a refused request is stored.
func TestBurstsMeetRateLimits(t *testing.T) {
	s := servertest.Start(t) // the default limits: 10 new polls a minute, 20 votes a second
	var creates tally
	var retryAfter []string
	var created []string
	concurrently(200, 8, func(i int) {
		a := send(t, "POST", s.URL()+"/api/v1/polls", "application/json", fmt.Sprintf(`{"question": "Spam %d", "options": [%s]}`, i, largestOptions()))
		creates.add(a)
		creates.mu.Lock()
		defer creates.mu.Unlock()
		switch a.status {
		case http.StatusCreated:
			created = append(created, a.header.Get("Location"))
		case http.StatusTooManyRequests:
			retryAfter = append(retryAfter, a.header.Get("Retry-After"))
		}
	})
	stored := 0
	for _, loc := range created {
		if send(t, "GET", s.URL()+loc, "", "").status == http.StatusOK {
			stored++
		}
	}
	figures.Print(t, "200 polls of the largest size at once from one address: %v (Retry-After %s ...), %d stored", creates.n, first(retryAfter), stored)
	if n := creates.get("201"); n < 10 || n > 11 || creates.get("429 rate_limited") != 200-n || stored != n {
		t.Errorf("creations: %v, %d stored; want the burst of 10 (11 if a token came back meanwhile) stored and the rest 429", creates.n, stored)
	}
	wantRetryAfter(t, retryAfter, 1, 60)

	id := strings.TrimPrefix(created[0], "/api/v1/polls/")
	var votes tally
	retryAfter = nil
	start := time.Now()
	concurrently(300, 8, func(i int) {
		a := send(t, "POST", s.URL()+"/api/v1/polls/"+id+"/votes", "application/json", `{"option_ids": [1]}`) // no cookie: a new voter each time
		votes.add(a)
		if a.status == http.StatusTooManyRequests {
			votes.mu.Lock()
			retryAfter = append(retryAfter, a.header.Get("Retry-After"))
			votes.mu.Unlock()
		}
	})
	elapsed := time.Since(start)
	got := total(t, s.URL(), id)
	figures.Print(t, "300 cookie-less votes at once from one address in %s: %v (Retry-After %s ...); the poll counts %d", elapsed.Round(time.Millisecond), votes.n, first(retryAfter), got)
	allowed := 20 + int(20*elapsed.Seconds()) + 1 // the burst, and 20 a second after it
	if n := votes.get("201"); n < 20 || n > allowed || votes.get("429 rate_limited") != 300-n {
		t.Errorf("votes: %v, want 20 to %d 201 and the rest 429", votes.n, allowed)
	}
	if got != votes.get("201") {
		t.Errorf("the poll counts %d, but %d votes were acknowledged: a refused vote was stored", got, votes.get("201"))
	}
	wantRetryAfter(t, retryAfter, 1, 1)
}

// largestOptions is 20 options of 120 characters, as JSON strings.
func largestOptions() string {
	options := make([]string, 20)
	for i := range options {
		options[i] = fmt.Sprintf("%q", fmt.Sprintf("%03d", i)+strings.Repeat("x", 117))
	}
	return strings.Join(options, ", ")
}

func wantRetryAfter(t *testing.T, values []string, low, high int) {
	t.Helper()
	if len(values) == 0 {
		t.Error("no 429 at all")
	}
	for _, v := range values {
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil || n < low || n > high {
			t.Errorf("Retry-After %q, want %d to %d seconds", v, low, high)
			return
		}
	}
}

func first(values []string) string {
	if len(values) == 0 {
		return "none"
	}
	return values[0]
}
