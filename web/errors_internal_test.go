package web

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/pollstack/pollstack"
)

// publicError decides every status from the one table, and keeps internal
// causes from the caller.
func TestPublicError(t *testing.T) {
	for _, tt := range []struct {
		err    error
		code   string
		status int
	}{
		{pollstack.ErrPollNotFound, "poll_not_found", http.StatusNotFound},
		{fmt.Errorf("vote: %w", pollstack.ErrAlreadyVoted), "already_voted", http.StatusConflict},
		{pollstack.Invalid("question", "question_required", "x"), "question_required", http.StatusBadRequest},
		{pollstack.ErrTokenMissing, "admin_token_required", http.StatusUnauthorized},
		{pollstack.ErrTokenWrong, "admin_token_invalid", http.StatusForbidden},
		{pollstack.Unavailable(errors.New("dial tcp: refused")), "unavailable", http.StatusServiceUnavailable},
		{errMethodNotAllowed, "method_not_allowed", http.StatusMethodNotAllowed},
		{errTooLarge, "body_too_large", http.StatusRequestEntityTooLarge},
		{errMediaType, "unsupported_media_type", http.StatusUnsupportedMediaType},
		{errors.New("pq: secret detail"), "internal", http.StatusInternalServerError},
		{&pollstack.Error{Kind: "no_such_kind", Code: "odd"}, "internal", http.StatusInternalServerError},
	} {
		e, status := publicError(tt.err)
		if e.Code != tt.code || status != tt.status {
			t.Errorf("publicError(%v) = %s %d, want %s %d", tt.err, e.Code, status, tt.code, tt.status)
		}
	}
}
