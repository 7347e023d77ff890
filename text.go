package pollstack

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// cleanText checks and normalises text that a person typed for field: it
// must be valid UTF-8 with no control characters (a line break only where
// multiline allows it; CRLF and CR count as one), and it is returned in
// Unicode NFC with surrounding space and invisible characters trimmed.
// visible is false when nothing would show on the page: empty, or only
// invisible characters.
func cleanText(field, s string, multiline bool) (text string, visible bool, err error) {
	if !utf8.ValidString(s) {
		return "", false, InvalidText(field, utf8.RuneError)
	}
	if multiline {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && r == '\n') {
			return "", false, InvalidText(field, r)
		}
	}
	text = strings.TrimFunc(norm.NFC.String(s), func(r rune) bool { return unicode.IsSpace(r) || invisible(r) })
	return text, text != "", nil
}

// InvalidText is the error for text in field that is not valid UTF-8 (r
// is utf8.RuneError) or holds the control character r. Transports that find
// such text before the domain does (in a JSON string) use it, so that
// people read the same words wherever the text came in.
func InvalidText(field string, r rune) error {
	var label any = field // a field with no words of its own goes by its name
	if term, ok := textLabels[field]; ok {
		label = term
	}
	if r == utf8.RuneError {
		return Invalid(field, "text_invalid_utf8", "%s is not valid UTF-8 text.", label)
	}
	return Invalid(field, "text_control_character", "%s contains a control character (%U), which is not allowed.", label, r)
}

// textLabels name the fields of people's text in messages.
var textLabels = map[string]Term{
	"question":    {Key: "the_question", Text: "The question"},
	"description": {Key: "the_description", Text: "The description"},
	"options":     {Key: "an_option", Text: "An option"},
	"other":       {Key: "your_answer", Text: "Your answer"},
	"":            {Key: "the_request", Text: "The request"},
}

// invisible reports whether a character shows nothing by itself: format
// characters (zero-width space and joiners, the byte order mark, bidi
// marks, embeddings, overrides and isolates, soft hyphen, tags) and the
// few letters and marks that render as blank.
func invisible(r rune) bool {
	switch {
	case unicode.Is(unicode.Cf, r):
		return true
	case r == '\u034f', // combining grapheme joiner
		r == '\u115f', r == '\u1160', r == '\u3164', r == '\uffa0', // Hangul fillers
		r == '\u2800',                  // braille blank
		r >= '\ufe00' && r <= '\ufe0f', // variation selectors
		r >= 0xe0100 && r <= 0xe01ef:   // variation selectors supplement
		return true
	}
	return false
}

// sameTextKey is what two options (and a voter's own answer) are compared
// by: the text without invisible characters, with width and compatibility
// forms folded (NFKC) and case folded. "Tea", " tea ", "Te\u200ba" and the
// full-width "Ｔｅａ" are the same option.
func sameTextKey(s string) string {
	return cases.Fold().String(norm.NFKC.String(strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)))
}
