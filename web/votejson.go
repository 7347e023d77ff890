package web

import (
	"net/http"
	"strconv"
)

// readVote reads a vote's body. Nearly every vote is {"option_ids":[...]},
// perhaps with a "code": parseVote reads those in one pass, without
// reflection, and declines anything else, which decodeJSON then judges, so
// that every error is the one the general decoder gives.
func readVote(w http.ResponseWriter, r *http.Request) (voteRequest, error) {
	body, err := readBody(w, r)
	if err != nil {
		return voteRequest{}, err
	}
	defer putJSONBuffer(body)
	if v, ok := parseVote(body.Bytes()); ok {
		return v, nil
	}
	var v voteRequest
	err = decodeJSON(body.Bytes(), &v)
	return v, err
}

// parseVote reads the plain form of a vote: an object with option_ids, an
// array of integers, and code, a string of printable ASCII without escapes,
// each at most once. ok is false for anything else; what it accepts,
// decodeJSON accepts with the same value (FuzzParseVote holds this).
func parseVote(body []byte) (v voteRequest, ok bool) {
	p := voteParser{b: body}
	if !p.eat('{') {
		return v, false
	}
	seenIDs, seenCode := false, false
	for {
		key, ok := p.plainString()
		if !ok || !p.eat(':') {
			return v, false
		}
		var code []byte
		switch {
		case string(key) == "option_ids" && !seenIDs:
			v.OptionIDs, ok = p.ints()
			seenIDs = true
		case string(key) == "code" && !seenCode:
			code, ok = p.plainString()
			v.Code = string(code)
			seenCode = true
		default:
			return v, false
		}
		if !ok {
			return v, false
		}
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return v, false
		}
	}
	p.space()
	return v, p.i == len(p.b)
}

// voteParser reads JSON tokens from b, starting at i.
type voteParser struct {
	b []byte
	i int
}

func (p *voteParser) space() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

// eat consumes c, after any white space, if it comes next.
func (p *voteParser) eat(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// plainString reads a string of printable ASCII with nothing escaped, and
// returns its bytes within the body.
func (p *voteParser) plainString() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	start := p.i
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// ints reads an array of integers written plainly: digits, perhaps after a
// minus, no leading zero, at most maxDigits of them so that no int
// overflows. A fraction or an exponent is refused by what must follow a
// number: a comma or ].
func (p *voteParser) ints() ([]int, bool) {
	if !p.eat('[') {
		return nil, false
	}
	ids := make([]int, 0, 4)
	if p.eat(']') {
		return ids, true
	}
	for {
		n, ok := p.integer()
		if !ok {
			return nil, false
		}
		ids = append(ids, n)
		if p.eat(']') {
			return ids, true
		}
		if !p.eat(',') {
			return nil, false
		}
	}
}

// maxDigits is the most digits that always fit an int: 18 for 64 bits, 8
// for 32. Longer numbers go to the general decoder, which judges them.
const maxDigits = strconv.IntSize*3/10 - 1

func (p *voteParser) integer() (int, bool) {
	p.space()
	negative := p.i < len(p.b) && p.b[p.i] == '-'
	if negative {
		p.i++
	}
	start, n := p.i, 0
	for ; p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9'; p.i++ {
		n = n*10 + int(p.b[p.i]-'0')
	}
	digits := p.i - start
	if digits == 0 || digits > maxDigits || digits > 1 && p.b[start] == '0' {
		return 0, false
	}
	if negative {
		n = -n
	}
	return n, true
}
