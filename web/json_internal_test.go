package web

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"github.com/pollstack/pollstack"
)

// FuzzCheckStrict plays checkStrict's one-pass scan against the reference
// it replaced, a walk over json.Decoder's tokens: on every body that
// encoding/json accepts for a create request, both must refuse the same
// field with the same error, or both accept. The seeds run in every go test.
func FuzzCheckStrict(f *testing.F) {
	for _, seed := range []string{
		`{"question": "Q", "options": ["A", "B"]}`,
		`{"question": "Q", "Options": ["A", "B"]}`,
		`{"question": "Q", "options": ["A"], "question": "R"}`,
		`{"question": "Q\u0000", "options": []}`,
		`{"question": "Q\u0085", "options": ["\ud800x"]}`,
		`{"question": "\ud83d\ude00", "options": ["\udc00"]}`,
		`{"question": "Q\r\n\t", "options": ["a\"b\\", "\u007f"]}`,
		`{"ques\u0074ion": "Q", "question": "R"}`,
		"{\"question\": \"Caf\xe9\"}",
		"{\"question\": \"a\xc2\x85b\"}",
		`{"question": "Q"}}`,
		`{"question": "Q"}]`,
		`{"question": "Q"}  `,
		`{"options": [[{"question": 1, "question": 2}]], "multiple": true}`,
		`null`, `{}`, ` {"x": 1} `,
	} {
		f.Add([]byte(seed))
	}
	fields := fieldNames(&createPollRequest{})
	f.Fuzz(func(t *testing.T, body []byte) {
		var v map[string]any // like a request, the body is an object
		dec := json.NewDecoder(bytes.NewReader(body))
		if dec.Decode(&v) != nil || dec.More() {
			return // checkStrict only sees objects that encoding/json accepted
		}
		got, want := checkStrict(body, fields), checkStrictByTokens(body, fields)
		if (got == nil) != (want == nil) {
			t.Fatalf("%q: checkStrict says %v, the token walk %v", body, got, want)
		}
		if got != nil && !reflect.DeepEqual(pollstack.ErrorOf(got), pollstack.ErrorOf(want)) {
			t.Fatalf("%q: checkStrict says %+v, the token walk %+v", body, pollstack.ErrorOf(got), pollstack.ErrorOf(want))
		}
	})
}

// checkStrictByTokens is checkStrict as it was first written, over
// json.Decoder.Token: slow, but plainly right.
func checkStrictByTokens(body []byte, fields map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	seen := map[string]bool{}
	depth, field := 0, ""
	expectKey := false
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return pollstack.Invalid("", "malformed_json", "The body is not valid JSON.")
		}
		raw := body[start:dec.InputOffset()]
		isKey := expectKey && depth == 1
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		expectKey = false
		if str, ok := tok.(string); ok {
			if isKey {
				field = str
			}
			if e := checkString(raw, str, field); e != nil {
				return e
			}
			if isKey {
				switch {
				case seen[str]:
					return pollstack.Invalid(str, "duplicate_field", "%s is given twice; give each field once.", str)
				case !fields[str]:
					return unknownField(str)
				}
				seen[str] = true
			}
		}
		// After an opening brace or a value at the top level, a key comes next.
		expectKey = depth == 1 && (tok == json.Delim('{') || !isKey)
	}
}

// FuzzParseVote plays the vote's own parser against the general decoder:
// whatever parseVote accepts, decodeJSON must accept with the same value.
// What it declines goes to decodeJSON anyway, so only acceptance is judged.
func FuzzParseVote(f *testing.F) {
	for _, seed := range []string{
		`{"option_ids":[1]}`,
		` { "option_ids" : [ 1 , 20 ] , "code" : "ABCD-1234" } `,
		`{"code":"x","option_ids":[]}`,
		`{"option_ids":[-0]}`, `{"option_ids":[007]}`, `{"option_ids":[1.0]}`,
		`{"option_ids":[1e2]}`, `{"option_ids":[9999999999999999999]}`,
		`{"option_ids":[1],"option_ids":[2]}`,
		`{"Option_ids":[1]}`,
		`{"option_ids":[1]}x`,
		`{"option_ids":[1],}`,
		`{"code":"\u0041","option_ids":[1]}`, "{\"code\":\"a\tb\",\"option_ids\":[1]}",
		"{\"code\":\"a\x7f\",\"option_ids\":[1]}", "{\"code\":\"a\xff\",\"option_ids\":[1]}",
		`{"code":"a","option_ids":[1],"code":"b"}`,
		"{\"code\":\"caf\xc3\xa9\",\"option_ids\":[1]}",
		`{"option_ids":null}`, `{}`, `[]`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := parseVote(body)
		if !ok {
			return
		}
		var want voteRequest
		if err := decodeJSON(body, &want); err != nil {
			t.Fatalf("%q: parseVote accepts %+v, decodeJSON refuses: %v", body, got, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: parseVote reads %#v, decodeJSON %#v", body, got, want)
		}
	})
}

// TestParseVoteTakesTheUsualForms keeps the fast path in use: a vote as
// clients send it must not fall through to the general decoder.
func TestParseVoteTakesTheUsualForms(t *testing.T) {
	for body, want := range map[string]voteRequest{
		`{"option_ids":[1]}`:                              {OptionIDs: []int{1}},
		`{"option_ids": [2, 3], "code": "K7QM-2XPD"}`:     {OptionIDs: []int{2, 3}, Code: "K7QM-2XPD"},
		"{\n  \"code\": \"\",\n  \"option_ids\": []\n}\n": {OptionIDs: []int{}},
	} {
		got, ok := parseVote([]byte(body))
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("parseVote(%q) = %#v, %v; want %#v, true", body, got, ok, want)
		}
	}
}
