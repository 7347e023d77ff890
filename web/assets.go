package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// asset is one embedded static file, served under a name that carries a
// hash of its content (app.3f2a1c9d0b.css), so that it can be cached for a
// year: a new build with a changed file gets a new URL.
type asset struct {
	body        []byte
	contentType string
}

// assets are the static files: url maps a logical name ("app.css") to its
// fingerprinted URL, files a fingerprinted file name to the file.
type assets struct {
	url   map[string]string
	files map[string]asset
}

func loadAssets() *assets {
	a := &assets{url: map[string]string{}, files: map[string]asset{}}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		name := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.url[e.Name()] = "/static/" + name
		a.files[name] = asset{body: body, contentType: contentTypes[ext]}
	}
	return a
}

var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// serveStatic serves a fingerprinted file, immutable for a year.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.assets.files[r.PathValue("file")]
	if !ok {
		s.writeError(w, r, errRouteNotFound)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(f.body)
}

// parseTemplates builds one template set per page: the shared layout plus
// the page's own file, with l's words. With inline, every {{t "id"}} of a
// message that takes no values is written into the template as its text
// when it is parsed, so that a page in any language costs no more to
// render than one without a catalogue; without, the templates stay as
// written (for the tests that read their calls).
func parseTemplates(a *assets, l *locale, inline bool) map[string]*template.Template {
	funcs := l.funcs()
	maps.Copy(funcs, template.FuncMap{
		"asset": func(name string) string {
			u, ok := a.url[name]
			if !ok {
				panic("web: no static file " + name)
			}
			return u
		},
		"add": func(a, b int) int { return a + b },
	})
	parse := func(t *template.Template, file string) *template.Template {
		src, err := fs.ReadFile(templateFS, file)
		if err != nil {
			panic(err)
		}
		if inline {
			src = l.inlineMessages(src)
		}
		return template.Must(t.New(path.Base(file)).Parse(string(src)))
	}
	base := template.New("").Funcs(funcs)
	for _, f := range []string{"layout", "parts", "ranked-parts", "meeting-parts"} {
		parse(base, "templates/"+f+".html")
	}
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" || name == "parts" || name == "ranked-parts" || name == "meeting-parts" || name == "embed" {
			continue
		}
		out[name] = parse(template.Must(base.Clone()), p)
	}
	// The embed page on top of the poll page's, whose ballot it shares: a
	// ballot of any kind looks the same in a frame.
	out["embed"] = parse(template.Must(out["poll"].Clone()), "templates/embed.html")
	return out
}

// localizedPages are the pages in each language, parsed once at start.
func localizedPages(a *assets, ls *locales) map[string]map[string]*template.Template {
	out := map[string]map[string]*template.Template{}
	for _, l := range ls.list {
		out[l.Code] = parseTemplates(a, l, true)
	}
	return out
}
