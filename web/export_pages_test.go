package web

// StreamCount is the number of live-results hubs running and of their
// subscribers, for the stream tests.
func (s *Server) StreamCount() (polls, subscribers int) { return s.streams.count() }
