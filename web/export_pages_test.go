package web

import "time"

// SetStreamTimes shortens the heartbeat and the safety refresh of
// live-results streams, for the tests. Call it before any stream opens.
func (s *Server) SetStreamTimes(heartbeat, safety time.Duration) {
	s.streams.heartbeat, s.streams.safety = heartbeat, safety
}
