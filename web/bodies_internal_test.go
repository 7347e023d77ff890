package web

import (
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pollstack/pollstack"
)

// Every route, from the routing table: a body on a method whose handlers
// read none is refused unread (400 body_not_allowed), and a multipart body
// is refused on every route (415 multipart_refused), before any handler
// looks a poll up.
func TestBodiesOnlyWhereAHandlerReadsOne(t *testing.T) {
	srv, store := countingServer(t)
	multipart := "--x\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nAAAA\r\n--x--\r\n"
	for _, rt := range srv.routes() {
		path := strings.NewReplacer("{id}", "AAAAAAAAAAAAAAAA", "{file}", "app.js", "{$}", "").Replace(rt.pattern)
		methods := []string{rt.method}
		if rt.method == "GET" {
			methods = append(methods, "HEAD")
		}
		for _, method := range methods {
			if !readsBody(method) {
				for _, chunked := range []bool{false, true} {
					r := httptest.NewRequest(method, path, strings.NewReader("code=AAAA"))
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					if chunked {
						r.ContentLength = -1
					}
					wantRefusal(t, srv, r, http.StatusBadRequest, errBodyNotAllowed)
				}
			}
			r := httptest.NewRequest(method, path, strings.NewReader(multipart))
			r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
			wantRefusal(t, srv, r, http.StatusUnsupportedMediaType, errMultipart)
		}
	}
	if n := store.polls.Load(); n != 0 {
		t.Errorf("%d poll lookups reached the store, want none: a refused body is refused first", n)
	}
}

// wantRefusal checks the status and that the answer names the error: its
// code in JSON, its message on a page.
func wantRefusal(t *testing.T, srv *Server, r *http.Request, status int, e *pollstack.Error) {
	t.Helper()
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	body, want := w.Body.String(), html.EscapeString(e.Message)
	if isAPI(r) {
		want = `"code":"` + e.Code + `"`
	}
	if w.Code != status || r.Method != "HEAD" && !strings.Contains(body, want) {
		t.Errorf("%s %s (%s, length %d): %d, want %d %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.ContentLength, w.Code, status, e.Code)
	}
}

// Bodies that a handler reads keep working, and the one size limit holds
// for a form as for JSON.
func TestBodyLimitCoversForms(t *testing.T) {
	srv, _ := countingServer(t)
	r := httptest.NewRequest("POST", "/", strings.NewReader("question="+strings.Repeat("x", maxBody)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	wantRefusal(t, srv, r, http.StatusRequestEntityTooLarge, errTooLarge)
}
