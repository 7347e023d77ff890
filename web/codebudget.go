package web

import (
	"net/http"

	"github.com/pollstack/pollstack"
)

// Voter codes are stored rows, so their cost is counted in codes rather than
// in requests: each client address has a budget of codes an hour
// (Config.VoterCodesPerHour), charged by every poll created with codes and
// every batch added. Without it, the creation limit alone let one address
// store 10 batches of 10,000 codes a minute.
func (s *Server) chargeVoterCodes(r *http.Request, n int) error {
	if s.codes == nil || n == 0 {
		return nil
	}
	if n > s.codes.burst { // a bucket never holds more than its burst: say so rather than ask to wait forever
		return pollstack.Invalid("voter_codes", "voter_codes_budget",
			"This server makes at most %d voter codes an hour for one address: ask for at most that many.", s.codes.burst)
	}
	return s.limitN(r, s.codes, n)
}
