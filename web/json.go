package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/pollstack/pollstack"
)

// maxBody bounds every request body.
const maxBody = 64 << 10

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"encoding failed"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// readJSON reads a JSON body into dst: the content type must be JSON, the
// body at most 64 KiB, one object with only known fields of the right types.
func readJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return errMediaType
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errTooLarge
	}
	if err != nil {
		return pollstack.Invalid("", "body_unreadable", "The request body could not be read.")
	}
	return decodeJSON(body, dst)
}

// decodeJSON turns the many ways JSON can be wrong into errors that name
// the field, where there is one.
func decodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return pollstack.Invalid("", "body_empty", "The request body is empty; send a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		if dec.More() {
			return pollstack.Invalid("", "malformed_json", "The body has data after the JSON object.")
		}
		return nil
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return pollstack.Invalid("", "malformed_json", "The body is not valid JSON.")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return pollstack.Invalid("", "wrong_type", "The body must be a JSON object.")
		}
		return pollstack.Invalid(typ.Field, "wrong_type", "%s must be %s.", typ.Field, describe(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return pollstack.Invalid(field, "unknown_field", "%s is not a field of this request.", field)
	default:
		return pollstack.Invalid("", "malformed_json", "The body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
}

func describe(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "int", "int64", "float64":
		return "a number"
	default:
		return fmt.Sprintf("of type %s", kind)
	}
}
