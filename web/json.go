package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/pollstack/pollstack"
)

// maxBody bounds every request body (see bodies).
const maxBody = 64 << 10

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil { // Encode ends the line
		http.Error(w, `{"error":{"code":"internal","message":"encoding failed"}}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = hdrNoStore
	// net/http sets the length of a body that fits its 2 KB buffer by
	// itself; a longer one it would send chunked though its length is known.
	if buf.Len() > 2048 {
		h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// jsonBuffers holds the buffers responses are encoded into: a vote's
// answer then allocates no buffer of its own.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putJSONBuffer(b *bytes.Buffer) {
	if b.Cap() <= 64<<10 { // a rare large answer is not kept
		b.Reset()
		jsonBuffers.Put(b)
	}
}

// readJSON reads a JSON body into dst: the content type must be JSON in
// UTF-8, the body at most 64 KiB, one object with only known fields of the
// right types (see decodeJSON).
func readJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	defer putJSONBuffer(body)
	return decodeJSON(body.Bytes(), dst)
}

// readBody reads a JSON request's body, of at most 64 KiB (the limit that
// bodies puts on every request), into a pooled buffer that the caller puts
// back (putJSONBuffer): decoding copies what it keeps.
func readBody(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, error) {
	if err := checkMediaType(r, "application/json"); err != nil {
		return nil, err
	}
	body := jsonBuffers.Get().(*bytes.Buffer)
	_, err := body.ReadFrom(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return body, nil
	case errors.As(err, &tooLarge):
		err = errTooLarge
	default:
		err = pollstack.Invalid("", "body_unreadable", "The request body could not be read.")
	}
	putJSONBuffer(body)
	return nil, err
}

// decodeJSON turns the many ways JSON can be wrong into errors that name
// the field, where there is one. Beyond what encoding/json checks, the body
// must be strict (see checkStrict): exact, known field names, each once, and
// strings of valid UTF-8 without NUL or other control characters.
func decodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return pollstack.Invalid("", "body_empty", "The request body is empty; send a JSON object.")
	}
	err := json.Unmarshal(body, dst)
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return checkStrict(body, fieldNames(dst))
	case errors.As(err, &syntax):
		if syntax.Offset > 0 && json.Valid(body[:syntax.Offset-1]) {
			return pollstack.Invalid("", "malformed_json", "The body has data after the JSON object.").Keyed("malformed_json.trailing")
		}
		return errMalformed
	case errors.As(err, &typ):
		if typ.Field == "" {
			return pollstack.Invalid("", "wrong_type", "The body must be a JSON object.").Keyed("wrong_type.body")
		}
		return pollstack.Invalid(typ.Field, "wrong_type", "%s must be %s.", typ.Field, describe(typ.Type.Kind().String()))
	default:
		return pollstack.Invalid("", "malformed_json", "The body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: ")).Keyed("malformed_json.detail")
	}
}

func unknownField(field string) error {
	return pollstack.Invalid(field, "unknown_field", "%s is not a field of this request.", field)
}

// checkStrict walks a body that encoding/json accepted and refuses what it
// lets through: a field name in another case ({"Question": ...} fills
// question), a field given twice (the last one wins), and strings with
// invalid UTF-8 or escaped lone surrogates (both become U+FFFD) or control
// characters other than line breaks and tabs. Errors name the top-level
// field the fault is in. fields are the request's field names.
//
// It scans the bytes once without allocating (a vote passes through it, and
// json.Decoder.Token cost a vote more than the decoding itself); since the
// body is valid JSON up to its end, only strings need reading closely.
func checkStrict(body []byte, fields map[string]bool) error {
	seen := make([]string, 0, 16) // the top-level keys so far, on the stack for any request we have
	depth, field := 0, ""
	expectKey := false // the next string at depth 1 is a key
	ended := false     // the top-level value is complete
	for i := 0; i < len(body); i++ {
		c := body[i]
		if ended && !isSpace(c) {
			return errMalformed // data after the object
		}
		switch c {
		case '{':
			depth++
			expectKey = depth == 1
		case '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return errMalformed // a bracket that closes nothing
			}
			ended = depth == 0
		case ',':
			expectKey = depth == 1
		case '"':
			end := stringEnd(body, i)
			if end < 0 {
				return errMalformed
			}
			raw := body[i : end+1]
			i = end
			ended = depth == 0
			isKey := expectKey && depth == 1
			expectKey = false
			text, err := stringText(raw)
			if err != nil {
				return errMalformed
			}
			if isKey {
				field = text
			}
			if e := checkString(raw, text, field); e != nil {
				return e
			}
			if !isKey {
				continue
			}
			if !fields[text] {
				return unknownField(text)
			}
			if slices.Contains(seen, text) {
				return pollstack.Invalid(text, "duplicate_field", "%s is given twice; give each field once.", text)
			}
			seen = append(seen, text)
		}
	}
	return nil
}

var errMalformed = pollstack.Invalid("", "malformed_json", "The body is not valid JSON.")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// stringEnd is the index of the quote that closes the JSON string opening
// at body[start], or -1.
func stringEnd(body []byte, start int) int {
	for i := start + 1; i < len(body); i++ {
		switch body[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// stringText is the text of a JSON string given with its quotes: the bytes
// between them when nothing is escaped and they are valid UTF-8, as nearly
// every string is; otherwise what encoding/json makes of it.
func stringText(raw []byte) (string, error) {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var text string
	err := json.Unmarshal(raw, &text)
	return text, err
}

// checkString checks one JSON string: its raw bytes for valid UTF-8 and
// escaped lone surrogates, its decoded text for control characters (line
// breaks and tabs are for the domain to judge, field by field).
func checkString(raw []byte, text, field string) error {
	if !utf8.Valid(raw) || loneSurrogate(raw) {
		return pollstack.InvalidText(field, utf8.RuneError)
	}
	for _, r := range text {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return pollstack.InvalidText(field, r)
		}
	}
	return nil
}

// loneSurrogate reports whether a JSON string escapes half of a UTF-16
// surrogate pair (\ud800 without its low half, or a low half alone).
func loneSurrogate(raw []byte) bool {
	high := false // the previous escape was a high surrogate
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			if high {
				return true
			}
			continue
		}
		if raw[i+1] != 'u' || i+5 >= len(raw) {
			if high {
				return true
			}
			i++
			continue
		}
		n, _ := strconv.ParseUint(string(raw[i+2:i+6]), 16, 32)
		switch {
		case n >= 0xd800 && n <= 0xdbff:
			if high {
				return true
			}
			high = true
		case n >= 0xdc00 && n <= 0xdfff:
			if !high {
				return true
			}
			high = false
		default:
			if high {
				return true
			}
		}
		i += 5
	}
	return high
}

// fieldNames are the JSON names of the fields of the struct dst points to,
// worked out once per type.
func fieldNames(dst any) map[string]bool {
	t := reflect.TypeOf(dst)
	if names, ok := fieldNamesByType.Load(t); ok {
		return names.(map[string]bool)
	}
	names := map[string]bool{}
	st := t
	for st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() == reflect.Struct {
		for i := range st.NumField() {
			name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				names[name] = true
			}
		}
	}
	fieldNamesByType.Store(t, names)
	return names
}

// fieldNamesByType holds fieldNames' answers: request types are few.
var fieldNamesByType sync.Map

// checkMediaType refuses a body that is not of media type want, or not in
// UTF-8 (the only charset JSON and our forms are read in).
func checkMediaType(r *http.Request, want string) error {
	ct := r.Header.Get("Content-Type")
	if ct == want || strings.HasPrefix(ct, want) && ct[len(want):] == "; charset=utf-8" {
		return nil // as nearly every client sends it; ParseMediaType allocates
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != want {
		return errMediaType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return errCharset
	}
	return nil
}

// describe names a JSON type in a message: a Term, or the Go kind's name.
func describe(kind string) any {
	switch kind {
	case "string":
		return pollstack.Term{Key: "a_string", Text: "a string"}
	case "bool":
		return pollstack.Term{Key: "true_or_false", Text: "true or false"}
	case "slice", "array":
		return pollstack.Term{Key: "an_array", Text: "an array"}
	case "int", "int64", "float64":
		return pollstack.Term{Key: "a_number", Text: "a number"}
	default:
		return fmt.Sprintf("of type %s", kind)
	}
}
