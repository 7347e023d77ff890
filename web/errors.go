package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/pollstack/pollstack"
)

// Kinds of error that only HTTP has; the domain's kinds cover the rest.
const (
	kindMethodNotAllowed pollstack.Kind = "method_not_allowed"
	kindTooLarge         pollstack.Kind = "too_large"
	kindMediaType        pollstack.Kind = "unsupported_media_type"
	kindInternal         pollstack.Kind = "internal"
)

// statusOf maps every error kind to its HTTP status: the one place that
// decides the status of an error.
var statusOf = map[pollstack.Kind]int{
	pollstack.KindInvalid:      http.StatusBadRequest,
	pollstack.KindNotFound:     http.StatusNotFound,
	pollstack.KindConflict:     http.StatusConflict,
	pollstack.KindUnauthorized: http.StatusUnauthorized,
	pollstack.KindForbidden:    http.StatusForbidden,
	pollstack.KindUnavailable:  http.StatusServiceUnavailable,
	pollstack.KindStale:        http.StatusPreconditionFailed,
	kindMethodNotAllowed:       http.StatusMethodNotAllowed,
	kindTooLarge:               http.StatusRequestEntityTooLarge,
	kindMediaType:              http.StatusUnsupportedMediaType,
	kindRateLimited:            http.StatusTooManyRequests,
	kindInternal:               http.StatusInternalServerError,
}

// Errors of the HTTP layer itself.
var (
	errRouteNotFound    = &pollstack.Error{Kind: pollstack.KindNotFound, Code: "not_found", Message: "There is nothing at this address."}
	errMethodNotAllowed = &pollstack.Error{Kind: kindMethodNotAllowed, Code: "method_not_allowed", Message: "This address does not accept that method."}
	errTooLarge         = &pollstack.Error{Kind: kindTooLarge, Code: "body_too_large", Message: "The request body is larger than 64 KiB."}
	errMediaType        = &pollstack.Error{Kind: kindMediaType, Code: "unsupported_media_type", Message: "Send the request body as application/json."}
	errCharset          = &pollstack.Error{Kind: kindMediaType, Code: "unsupported_charset", Message: "Send the request body in UTF-8 (charset=utf-8, or no charset)."}
	errInternal         = &pollstack.Error{Kind: kindInternal, Code: "internal", Message: "Something went wrong on our side. It has been logged."}
)

// publicError returns what the caller may see of err, and its status.
// Errors that are not a *pollstack.Error are internal: logged in full, shown
// as a generic 500.
func publicError(err error) (*pollstack.Error, int) {
	e := pollstack.ErrorOf(err)
	if errors.Is(err, pollstack.ErrUnavailable) {
		e = pollstack.ErrUnavailable
	}
	if e == nil {
		e = errInternal
	}
	status, ok := statusOf[e.Kind]
	if !ok {
		return errInternal, http.StatusInternalServerError
	}
	return e, status
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
	case setRetryAfter(w, err):
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "2")
	case status == http.StatusUnauthorized && api:
		w.Header().Set("WWW-Authenticate", `Bearer realm="pollstack"`)
	}
	if !api {
		s.renderError(w, r, e, status)
		return
	}
	e = s.locale(r).localizeError(e)
	writeJSON(w, status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Field: e.Field}})
}

// isAPI reports whether the request is for a program (JSON) rather than a page.
func isAPI(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" || p == oembedPath
}

// logError logs what the caller must not see and returns what it may.
func (s *Server) logError(r *http.Request, err error) (*pollstack.Error, int) {
	e, status := publicError(err)
	if status >= 500 {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed", slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
	}
	return e, status
}
