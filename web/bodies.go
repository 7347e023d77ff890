package web

import (
	"mime"
	"net/http"
	"strings"

	"github.com/pollstack/pollstack"
)

// Request bodies: the handlers that read one are the POST, PUT and PATCH routes,
// which read at most maxBody bytes of JSON or of a URL-encoded form. So every
// body passes one size limit here, a GET, HEAD or DELETE with a body is
// refused unread, and a multipart body is refused on every route: nothing
// ever parses one, so nothing is buffered in memory or spilled to the temp
// directory for it.

var (
	errBodyNotAllowed = pollstack.Invalid("", "body_not_allowed", "This request carries no body; send it without one.")
	errMultipart      = &pollstack.Error{Kind: kindMediaType, Code: "multipart_refused",
		Message: "Multipart bodies are not accepted: send a form as application/x-www-form-urlencoded, or JSON to the API."}
)

// bodies applies the rules above before any handler runs.
func (s *Server) bodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case isMultipart(r.Header.Get("Content-Type")):
			s.writeError(w, r, errMultipart)
			return
		case !readsBody(r.Method) && r.ContentLength != 0: // -1: chunked, of unknown length
			s.writeError(w, r, errBodyNotAllowed)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r)
	})
}

// readsBody reports whether some route of this method reads a body.
func readsBody(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

func isMultipart(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil { // unparsable: judge by its start, as a lenient parser would
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	return strings.HasPrefix(mt, "multipart/")
}
