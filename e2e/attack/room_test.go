//go:build integration

package attack

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// A room of 500 people on one Wi-Fi (one address) votes at once, with the
// default limits: each opens the poll in their own browser (their own
// voter cookie) and sends the form. Every vote counts. On the code before
// the room's bucket, about 20 a second got through and the rest met "Slow
// down". The scripts the limits exist for still meet them: a loop without
// cookies gets the address's 20 a second, and a loop that makes up a cookie
// for every vote gets only what the room's bucket has refilled.
func TestRoomOf500VotesFromOneAddress(t *testing.T) {
	const room = 500
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := servertest.Start(t, store...) // the default limits
			id := createPoll(t, s.URL(), `{"question": "Which talk next?", "options": ["Go", "SQL", "Terraform"]}`)["id"].(string)

			// Each browser opens the poll first: its voter cookie.
			cookies := make([]string, room)
			concurrently(room, 16, func(i int) {
				a := send(t, "GET", s.URL()+"/p/"+id, "", "")
				cookies[i] = voterCookie(t, a)
			})
			var votes tally
			start := time.Now()
			concurrently(room, 32, func(i int) {
				form := url.Values{"option": {[]string{"1", "2", "3"}[i%3]}}.Encode()
				votes.add(send(t, "POST", s.URL()+"/p/"+id+"/vote", "application/x-www-form-urlencoded", form, "Cookie", cookies[i]))
			})
			elapsed := time.Since(start)
			got := total(t, s.URL(), id)
			figures.Print(t, "a room of %d browsers behind one address sent its form votes in %s: %v; the poll counts %d",
				room, elapsed.Round(time.Millisecond), votes.n, got)
			if votes.get("303") != room || got != room {
				t.Errorf("the room: %v, counted %d; want all %d votes counted", votes.n, got, room)
			}
			if elapsed > 10*time.Second {
				t.Logf("the room took %s, longer than a real room's 10 s: the test machine is slow", elapsed)
			}

			// A script that makes up a new cookie for every vote: only what
			// the room's bucket refilled since the room began (50 a second).
			var madeUp tally
			concurrently(300, 8, func(int) {
				madeUp.add(send(t, "POST", s.URL()+"/p/"+id+"/vote", "application/x-www-form-urlencoded", "option=1",
					"Cookie", "pollstack_voter="+pollstack.RandomToken(16)))
			})
			refilled := int(50*time.Since(start).Seconds()) + 1
			// And one without cookies: the address's own 20 at once, 20 a second.
			var cookieless tally
			loop := time.Now()
			concurrently(300, 8, func(int) {
				cookieless.add(send(t, "POST", s.URL()+"/p/"+id+"/vote", "application/x-www-form-urlencoded", "option=1"))
			})
			allowed := 20 + int(20*time.Since(loop).Seconds()) + 1
			figures.Print(t, "then 300 votes with made-up cookies: %v (at most %d refilled); 300 without cookies: %v (at most %d)",
				madeUp.n, refilled, cookieless.n, allowed)
			if n := madeUp.get("303"); n > refilled || madeUp.get("429") != 300-n {
				t.Errorf("made-up cookies: %v, want at most %d counted and the rest 429", madeUp.n, refilled)
			}
			if n := cookieless.get("303"); n > allowed || cookieless.get("429") != 300-n {
				t.Errorf("without cookies: %v, want at most %d counted and the rest 429", cookieless.n, allowed)
			}
			if got, want := total(t, s.URL(), id), room+madeUp.get("303")+cookieless.get("303"); got != want {
				t.Errorf("the poll counts %d, but %d votes were acknowledged", got, want)
			}
		})
	}
}

// voterCookie is the "name=value" of the voter cookie an answer sets.
func voterCookie(t *testing.T, a answer) string {
	t.Helper()
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == "pollstack_voter" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("no voter cookie in %v", a.header.Values("Set-Cookie"))
	return ""
}
