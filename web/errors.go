package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/pollstack/pollstack"
)

// statusOf maps error kinds to HTTP status codes, in one place.
var statusOf = map[pollstack.Kind]int{
	pollstack.KindInvalid:      http.StatusBadRequest,
	pollstack.KindNotFound:     http.StatusNotFound,
	pollstack.KindConflict:     http.StatusConflict,
	pollstack.KindUnauthorized: http.StatusUnauthorized,
	pollstack.KindForbidden:    http.StatusForbidden,
	pollstack.KindUnavailable:  http.StatusServiceUnavailable,
}

// Errors of the HTTP layer itself.
var (
	errRouteNotFound    = &pollstack.Error{Kind: pollstack.KindNotFound, Code: "not_found", Message: "There is nothing at this address."}
	errMethodNotAllowed = &pollstack.Error{Code: "method_not_allowed", Message: "This address does not accept that method."}
	errTooLarge         = &pollstack.Error{Code: "body_too_large", Message: "The request body is larger than 64 KiB."}
	errMediaType        = &pollstack.Error{Code: "unsupported_media_type", Message: "Send the request body as application/json."}
	errInternal         = &pollstack.Error{Code: "internal", Message: "Something went wrong on our side. It has been logged."}
)

// extraStatus covers the errors whose status is not implied by a kind.
var extraStatus = map[*pollstack.Error]int{
	errMethodNotAllowed: http.StatusMethodNotAllowed,
	errTooLarge:         http.StatusRequestEntityTooLarge,
	errMediaType:        http.StatusUnsupportedMediaType,
}

// classify returns the public error and status for err. Errors that are not
// a *pollstack.Error are internal: logged in full, shown as a generic 500.
func classify(err error) (*pollstack.Error, int) {
	if errors.Is(err, pollstack.ErrUnavailable) {
		return pollstack.ErrUnavailable, http.StatusServiceUnavailable
	}
	e := pollstack.ErrorOf(err)
	if e == nil {
		return errInternal, http.StatusInternalServerError
	}
	if status, ok := extraStatus[e]; ok {
		return e, status
	}
	if status, ok := statusOf[e.Kind]; ok {
		return e, status
	}
	return errInternal, http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// writeError answers err with its status: as JSON {"error": {...}} under
// /api/ (and for health checks), as a page everywhere else.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, status := s.logError(r, err)
	api := isAPI(r)
	switch {
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "2")
	case status == http.StatusUnauthorized && api:
		w.Header().Set("WWW-Authenticate", `Bearer realm="pollstack"`)
	}
	if !api {
		s.renderError(w, r, e, status)
		return
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Field: e.Field}})
}

// isAPI reports whether the request is for a program (JSON) rather than a page.
func isAPI(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz"
}

// logError logs what the caller must not see and returns what it may.
func (s *Server) logError(r *http.Request, err error) (*pollstack.Error, int) {
	e, status := classify(err)
	if status >= 500 {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed", slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
	}
	return e, status
}
