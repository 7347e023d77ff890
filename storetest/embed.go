package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/pollstack/pollstack"
)

// testEmbedOrigins: the sites a creator lets frame a poll come back as
// given (lowercased), "*" stays "*", and a poll without any is never
// embeddable.
func testEmbedOrigins(t *testing.T, s pollstack.Store, clock *Clock) {
	for _, tt := range []struct {
		given, want []string
	}{
		{[]string{"https://Blog.Example.com", "https://slides.example.org:8443/"}, []string{"https://blog.example.com", "https://slides.example.org:8443"}},
		{[]string{pollstack.AnyOrigin}, []string{pollstack.AnyOrigin}},
		{nil, nil},
	} {
		p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, EmbedOrigins: tt.given})
		got, err := s.Poll(context.Background(), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.EmbedOrigins, tt.want) || got.Embeddable() != (len(tt.want) > 0) {
			t.Errorf("embed origins %q: stored %q (embeddable %v), want %q", tt.given, got.EmbedOrigins, got.Embeddable(), tt.want)
		}
	}
}
