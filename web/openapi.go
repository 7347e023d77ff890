package web

import (
	_ "embed"
	"net/http"
)

// openAPIDoc describes the API; TestOpenAPIMatchesRoutes keeps it in step
// with the routing table.
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIDoc)
}
