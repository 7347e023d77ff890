package pollstack

import (
	"net/url"
	"slices"
	"strings"
)

// MaxEmbedOrigins is how many sites a poll may be embedded in: a handful of
// the creator's own pages, not a directory.
const MaxEmbedOrigins = 5

// maxOriginLen bounds one origin: a host name is at most 253 characters.
const maxOriginLen = 300

// AnyOrigin, alone in a poll's EmbedOrigins, lets any site frame the poll.
const AnyOrigin = "*"

// Embeddable reports whether any site may frame the poll's embed page.
func (p *Poll) Embeddable() bool { return len(p.EmbedOrigins) > 0 }

// validateEmbedOrigins checks the sites a creator lets frame the poll:
// https origins (scheme and host, as --public-url is checked, but never
// plain http: a frame on an http page could be rewritten in transit), at
// most MaxEmbedOrigins, each once; or "*" alone for any site. They come back
// lowercased, in the order given.
func validateEmbedOrigins(origins []string) ([]string, error) {
	if len(origins) == 1 && strings.TrimSpace(origins[0]) == AnyOrigin {
		return []string{AnyOrigin}, nil
	}
	if len(origins) > MaxEmbedOrigins {
		return nil, Invalid("embed_origins", "embed_origins_too_many", "A poll can be embedded in at most %d sites; list fewer, or allow any site with *.", MaxEmbedOrigins)
	}
	var out []string
	for _, o := range origins {
		origin, err := embedOrigin(strings.TrimSpace(o))
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, origin) {
			out = append(out, origin)
		}
	}
	return out, nil
}

func embedOrigin(v string) (string, error) {
	u, err := url.Parse(v)
	switch {
	case v == AnyOrigin:
		return "", Invalid("embed_origins", "embed_origins_any_alone", "Allow any site with * alone, or list the sites; not both.")
	case len(v) > maxOriginLen, err != nil, u.Scheme != "https", u.Host == "", u.Opaque != "", strings.ContainsAny(u.Host, "*;, "):
		return "", Invalid("embed_origins", "embed_origin_invalid", "Each site must be an https origin, such as https://blog.example.com.")
	case u.User != nil, u.RawQuery != "", u.ForceQuery, u.Fragment != "", u.Path != "" && u.Path != "/":
		return "", Invalid("embed_origins", "embed_origin_not_origin", "Give only the site's origin (https:// and the host, with no path, query or fragment), such as https://blog.example.com.")
	}
	return "https://" + strings.ToLower(u.Host), nil
}
