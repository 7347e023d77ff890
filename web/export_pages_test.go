package web

import "time"

// StreamCount is the number of live-results hubs running and of their
// subscribers, for the stream tests.
func (s *Server) StreamCount() (polls, subscribers int) { return s.streams.count() }

// SetStreamHeartbeat shortens the heartbeat period of live-results streams,
// for the heartbeat test. Call it before any stream opens.
func (s *Server) SetStreamHeartbeat(d time.Duration) { s.streams.heartbeat = d }
