package web

// Routes lists "METHOD pattern" of every route, for the OpenAPI test.
func (s *Server) Routes() []string {
	var out []string
	for _, rt := range s.routes() {
		out = append(out, rt.method+" "+rt.pattern)
	}
	return out
}
