package web

import (
	"encoding/base64"
	"net/http"
)

// A room votes at once: hundreds of people on one Wi-Fi share one address,
// each in their own browser, with their own voter cookie. The vote limits
// tell that room from a script by the cookie:
//
//   - A vote that comes with a voter cookie meets two buckets: one for that
//     browser (VotesPerSecond, as one person needs) and a generous one for
//     its address, all browsers together (RoomVotes at once, refilled over
//     ten seconds): a room of RoomVotes people voting within seconds is
//     counted in full.
//   - A vote without a voter cookie (a script that drops cookies to be a new
//     voter each time, as the stuffing attacks do) meets the address's own
//     bucket, VotesPerSecond, as before.
//
// A script that makes up a new cookie for every vote is bounded by the
// room's bucket: RoomVotes at once, then RoomVotes every ten seconds. A poll
// that must not be stuffed at all uses the address or code check.
const roomRefill = 10 // seconds to refill the room's bucket

func newRoomLimiter(votes int) *rateLimiter {
	return newRateLimiter("votes", float64(votes)/roomRefill, votes)
}

// limitVote takes a vote's tokens, as above; nil when the vote limit is off.
func (s *Server) limitVote(r *http.Request) error {
	if s.votes == nil {
		return nil
	}
	voter, ok := voterKey(voterCookieValue(r))
	if s.room == nil || !ok {
		return s.limit(r, s.votes)
	}
	if allowed, retry := s.voters.allowKey(voter, s.now()); !allowed {
		return s.refuse(r, "votes per browser", rateLimited("rate_limited.browser", "Too many votes from this browser. Try again in %s.", nil, retry), retry)
	}
	return s.limit(r, s.room)
}

// voterKey is the 16 random bytes of a voter cookie, as a limiter key.
func voterKey(cookie string) ([16]byte, bool) {
	var key [16]byte
	if !validVoterID(cookie) {
		return key, false
	}
	n, err := base64.RawURLEncoding.Decode(key[:], []byte(cookie))
	return key, err == nil && n == len(key)
}
