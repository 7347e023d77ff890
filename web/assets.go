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
// the page's own file, with the words of en (localizedPages makes the others).
func parseTemplates(a *assets, en *locale) map[string]*template.Template {
	funcs := en.funcs()
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
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/ranked-parts.html", "templates/meeting-parts.html"))
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" || name == "parts" || name == "ranked-parts" || name == "meeting-parts" {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, p))
	}
	out["embed"] = embedTemplate(out["poll"])
	return out
}

// localizedPages are the pages in each language: clones of the parsed
// pages with that language's words, made once at start.
func localizedPages(pages map[string]*template.Template, ls *locales) map[string]map[string]*template.Template {
	out := map[string]map[string]*template.Template{}
	for _, l := range ls.list {
		out[l.Code] = map[string]*template.Template{}
		for name, t := range pages {
			out[l.Code][name] = template.Must(t.Clone()).Funcs(l.funcs())
		}
	}
	return out
}
