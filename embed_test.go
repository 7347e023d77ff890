package pollstack_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

func TestEmbedOrigins(t *testing.T) {
	draft := func(origins ...string) pollstack.PollDraft {
		return pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, EmbedOrigins: origins}
	}
	for _, tt := range []struct {
		given []string
		want  []string // nil with code: refused
		code  string
	}{
		{nil, nil, ""},
		{[]string{"*"}, []string{"*"}, ""},
		{[]string{" https://Blog.Example.com/ ", "https://blog.example.com"}, []string{"https://blog.example.com"}, ""},
		{[]string{"https://a.example:8443"}, []string{"https://a.example:8443"}, ""},
		{[]string{"http://blog.example.com"}, nil, "embed_origin_invalid"},
		{[]string{"blog.example.com"}, nil, "embed_origin_invalid"},
		{[]string{"https://*.example.com"}, nil, "embed_origin_invalid"},
		{[]string{"https://a.example; script-src *"}, nil, "embed_origin_invalid"},
		{[]string{"https://" + strings.Repeat("a", 300) + ".example"}, nil, "embed_origin_invalid"},
		{[]string{"https://blog.example.com/posts"}, nil, "embed_origin_not_origin"},
		{[]string{"https://blog.example.com?x"}, nil, "embed_origin_not_origin"},
		{[]string{"https://user@blog.example.com"}, nil, "embed_origin_not_origin"},
		{[]string{"*", "https://blog.example.com"}, nil, "embed_origins_any_alone"},
		{[]string{"https://a.example", "https://b.example", "https://c.example", "https://d.example", "https://e.example", "https://f.example"}, nil, "embed_origins_too_many"},
	} {
		p, _, err := draft(tt.given...).NewPoll(time.Now())
		if tt.code != "" {
			e := pollstack.ErrorOf(err)
			if e == nil || e.Code != tt.code || e.Field != "embed_origins" {
				t.Errorf("%q: error %v, want %s on embed_origins", tt.given, err, tt.code)
			}
			continue
		}
		if err != nil || !slices.Equal(p.EmbedOrigins, tt.want) {
			t.Errorf("%q: %q, %v; want %q", tt.given, p.EmbedOrigins, err, tt.want)
		}
	}
}
