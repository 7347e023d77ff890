package web

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"

	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"github.com/pollstack/pollstack/sqlite"
)

// The catalogues against English and against the code: every catalogue
// has exactly English's keys, each message's values are English's, and
// each counting message has every plural form its language needs; every
// message the code or the templates ask for is in English.

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// forms are a message's texts by plural form.
func forms(m *i18n.Message) map[string]string {
	out := map[string]string{}
	for form, text := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other} {
		if text != "" {
			out[form] = text
		}
	}
	return out
}

func names(text string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// pluralForms are the CLDR plural categories a language tells apart for
// whole numbers, found by asking x/text's rules about 0 to 1000.
func pluralForms(t *testing.T, code string) []string {
	t.Helper()
	tag := language.MustParse(code)
	seen := map[string]bool{}
	for n := range 1001 {
		var form string
		switch plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0) {
		case plural.Zero:
			form = "zero"
		case plural.One:
			form = "one"
		case plural.Two:
			form = "two"
		case plural.Few:
			form = "few"
		case plural.Many:
			form = "many"
		default:
			form = "other"
		}
		seen[form] = true
	}
	var out []string
	for f := range seen {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

func TestCataloguesMatchEnglish(t *testing.T) {
	ls := allLocales()
	if len(ls.list) < 5 {
		t.Fatalf("%d languages, want at least English, German, Spanish, French and Arabic", len(ls.list))
	}
	en := ls.list[0]
	for _, l := range ls.list[1:] {
		need := pluralForms(t, l.Code)
		for _, id := range ls.ids {
			m, ok := l.messages[id], l.own[id]
			if !ok {
				t.Errorf("%s: no message %q, which English has", l.Code, id)
				continue
			}
			english := forms(en.messages[id])
			var want []string
			for _, text := range english {
				want = append(want, names(text)...)
			}
			slices.Sort(want)
			want = slices.Compact(want)
			got := forms(m)
			for form, text := range got {
				for _, n := range names(text) {
					if !slices.Contains(want, n) && !(n == "Count" && len(english) > 1) {
						t.Errorf("%s %q (%s): {{.%s}} is not one of English's values %v", l.Code, id, form, n, want)
					}
				}
			}
			if len(english) > 1 { // English counts: so must the translation, in every form it needs
				for _, f := range need {
					if _, ok := got[f]; !ok {
						t.Errorf("%s %q: no %q plural form (the language needs %v)", l.Code, id, f, need)
					}
				}
			}
		}
		for id := range l.own {
			if !slices.Contains(ls.ids, id) {
				t.Errorf("%s: message %q is not in English (renamed or removed?)", l.Code, id)
			}
		}
		if l.Name == "" {
			t.Errorf("%s: no lang.name for the menu", l.Code)
		}
	}
	if ar := ls.byCode["ar"]; ar == nil || ar.Dir != "rtl" {
		t.Errorf("Arabic missing or not right to left: %+v", ar)
	}
	if de := ls.byCode["de"]; de == nil || de.Dir != "ltr" {
		t.Errorf("German missing or not left to right: %+v", de)
	}
}

// TestCodeAsksOnlyForEnglishMessages reads the templates' calls of t, tn,
// th and pluralAttrs with a literal ID, and the Go code's errors (Invalid,
// NewError, Error literals, Keyed, Terms), and fails on any message English
// lacks. An error's English text in the catalogue must be the code's.
func TestCodeAsksOnlyForEnglishMessages(t *testing.T) {
	ls := allLocales()
	en := ls.list[0]
	has := func(id string) bool { return en.own[id] }
	for name, tmpl := range parseTemplates(loadAssets(), en, false) {
		for _, tt := range tmpl.Templates() {
			if tt.Tree == nil {
				continue
			}
			for _, id := range templateMessageIDs(tt.Tree.Root) {
				if !has(id) {
					t.Errorf("template %s (%s) asks for %q, which English lacks", tt.Name(), name, id)
				}
			}
		}
	}
	for _, e := range codeErrors(t) {
		id := "error." + e.key
		if !has(id) {
			t.Errorf("%s: error %q has no English message %q", e.pos, e.key, id)
			continue
		}
		m := en.messages[id]
		if e.format == "" || len(forms(m)) > 1 {
			continue
		}
		i := 0
		want := verb.ReplaceAllStringFunc(e.format, func(string) string { i++; return "{{.P" + strconv.Itoa(i) + "}}" })
		if m.Other != want {
			t.Errorf("%s: error %q: the catalogue says %q, the code %q", e.pos, e.key, m.Other, want)
		}
	}
	for _, term := range codeTerms(t) {
		if !has("term." + term) {
			t.Errorf("Term %q has no English message term.%s", term, term)
		}
	}
	s := New(Config{Store: sqliteStore(t)})
	for _, l := range []*rateLimiter{s.creates, s.votes, s.codes, s.downloads, s.voters, s.room} {
		if l == nil {
			continue // a limit that is off
		}
		if _, ok := limitTerms[l.name]; !ok {
			t.Errorf("rate limit %q has no Term in limitTerms", l.name)
		}
	}
	for _, status := range errorHeadings {
		if !has("heading." + strconv.Itoa(status)) {
			t.Errorf("no heading.%d", status)
		}
	}
	for code := range pageWords {
		if !has("error.page." + code) {
			t.Errorf("no error.page.%s", code)
		}
	}
	for kind := range confirmations {
		if !has("confirm." + kind) {
			t.Errorf("no confirm.%s", kind)
		}
	}
	for name := range parseTemplates(loadAssets(), en, false) {
		if !has("title." + name) {
			t.Errorf("page %s has no title.%s", name, name)
		}
	}
}

// sqliteStore is a store in a temporary file.
func sqliteStore(t *testing.T) *sqlite.Store {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "i18n.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)

// walkTemplate calls visit on every node of a template's tree, in order.
func walkTemplate(n parse.Node, visit func(parse.Node)) {
	if n == nil {
		return
	}
	visit(n)
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkTemplate(c, visit)
		}
	case *parse.ActionNode:
		walkTemplate(n.Pipe, visit)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkTemplate(c, visit)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkTemplate(a, visit)
		}
	case *parse.BranchNode:
		walkTemplate(n.Pipe, visit)
		walkTemplate(n.List, visit)
		walkTemplate(n.ElseList, visit)
	case *parse.IfNode:
		walkTemplate(&n.BranchNode, visit)
	case *parse.RangeNode:
		walkTemplate(&n.BranchNode, visit)
	case *parse.WithNode:
		walkTemplate(&n.BranchNode, visit)
	case *parse.TemplateNode:
		walkTemplate(n.Pipe, visit)
	}
}

// templateMessageIDs are the literal message IDs a template asks for.
func templateMessageIDs(root parse.Node) []string {
	var out []string
	walkTemplate(root, func(n parse.Node) {
		c, ok := n.(*parse.CommandNode)
		if !ok || len(c.Args) < 2 {
			return
		}
		if fn, ok := c.Args[0].(*parse.IdentifierNode); ok && slices.Contains([]string{"t", "tn", "th", "pluralAttrs"}, fn.Ident) {
			if s, ok := c.Args[1].(*parse.StringNode); ok {
				out = append(out, s.Text)
			}
		}
	})
	return out
}

// codeError is an error the Go code can return: its translation key and
// its English format ("" when built at run time).
type codeError struct {
	key, format, pos string
}

// goFiles are the non-test Go files of the domain and of web.
func goFiles(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for _, pattern := range []string{"../*.go", "*.go"} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	return fset, files
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func funcName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// codeErrors finds every error the code builds: Invalid and NewError calls
// (their code, or the key of a .Keyed on them), rateLimited calls, and
// Error literals with a Code.
func codeErrors(t *testing.T) []codeError {
	fset, files := goFiles(t)
	var out []codeError
	keyed := map[ast.Expr]string{} // calls with .Keyed("...") on them
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Keyed" && len(call.Args) == 1 {
				if k, ok := stringLit(call.Args[0]); ok {
					keyed[sel.X] = k
				}
			}
			return true
		})
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			pos := func() string { return fset.Position(n.Pos()).String() }
			switch n := n.(type) {
			case *ast.CallExpr:
				name := funcName(n.Fun)
				var codeArg, formatArg int
				switch name {
				case "Invalid":
					codeArg, formatArg = 1, 2
				case "NewError":
					codeArg, formatArg = 1, 2
				case "rateLimited":
					k, _ := stringLit(n.Args[0])
					out = append(out, codeError{key: k, pos: pos()}, codeError{key: k + "_minutes", pos: pos()})
					return true
				default:
					return true
				}
				if len(n.Args) <= formatArg {
					return true
				}
				if id, ok := n.Args[formatArg].(*ast.Ident); ok && id.Name == "format" {
					return true // Invalid passing its own format on to NewError
				}
				format, ok := stringLit(n.Args[formatArg])
				if !ok {
					t.Errorf("%s: %s with a format that is not a literal: no catalogue can translate it", pos(), name)
					return true
				}
				key, keyedOK := keyed[n]
				if !keyedOK {
					code, ok := stringLit(n.Args[codeArg])
					if !ok {
						t.Errorf("%s: %s with a code that is not a literal and no Keyed", pos(), name)
						return true
					}
					key = code
				}
				out = append(out, codeError{key: key, format: format, pos: pos()})
			case *ast.CompositeLit:
				if funcName(n.Type) != "Error" {
					return true
				}
				var code, key, message string
				for _, el := range n.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					v, _ := stringLit(kv.Value)
					if b, ok := kv.Value.(*ast.BinaryExpr); ok && funcName(kv.Key) == "Message" && b.Op == token.ADD {
						t.Errorf("%s: a message put together with +: make it with NewError or Invalid, so that a catalogue can translate it with its values", pos())
					}
					switch funcName(kv.Key) {
					case "Code":
						code = v
					case "Key":
						key = v
					case "Message":
						message = v
					}
				}
				if code == "" && key == "" {
					return true
				}
				if key == "" {
					key = code
				}
				if message == "" {
					return true // built at run time (rateLimited): its keys are counted there
				}
				out = append(out, codeError{key: key, format: message, pos: pos()})
			}
			return true
		})
	}
	// Two wordings under one key would share one translation.
	byKey := map[string]codeError{}
	for _, e := range out {
		if prev, ok := byKey[e.key]; ok && e.format != "" && prev.format != "" && prev.format != e.format {
			t.Errorf("error key %q has two wordings (%s, %s): give one a Keyed key", e.key, prev.pos, e.pos)
		}
		byKey[e.key] = e
	}
	return out
}

// codeTerms are the keys of every Term literal in the code.
func codeTerms(t *testing.T) []string {
	_, files := goFiles(t)
	var out []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			var elts []ast.Expr
			if funcName(lit.Type) == "Term" {
				elts = lit.Elts
			} else if m, ok := lit.Type.(*ast.MapType); ok && funcName(m.Value) == "Term" {
				for _, el := range lit.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if inner, ok := kv.Value.(*ast.CompositeLit); ok {
							elts = append(elts, inner.Elts...)
						}
					}
				}
			}
			for _, el := range elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok && funcName(kv.Key) == "Key" {
					if k, ok := stringLit(kv.Value); ok {
						out = append(out, k)
					}
				}
			}
			return true
		})
	}
	return out
}

// TestTemplatesHaveNoWordsOfTheirOwn: every word a template shows comes
// from the catalogue, so no text between its tags (or in an aria-label,
// title, alt or placeholder) may hold a letter.
func TestTemplatesHaveNoWordsOfTheirOwn(t *testing.T) {
	tags := regexp.MustCompile(`<[^>]*>`)
	attrs := regexp.MustCompile(`\b(?:aria-label|title|alt|placeholder)="([^"{]*)"`)
	letter := regexp.MustCompile(`\pL`)
	seen := map[string]bool{}
	for name, tmpl := range parseTemplates(loadAssets(), allLocales().list[0], false) {
		for _, tt := range tmpl.Templates() {
			if tt.Tree == nil || seen[name+"/"+tt.Name()] {
				continue
			}
			seen[name+"/"+tt.Name()] = true
			// Actions split a tag into several text nodes: join them, an
			// action standing as \x00, and look between the tags.
			text := strings.Join(templateTexts(tt.Tree.Root), "\x00")
			shown := tags.ReplaceAllString(text, " ")
			for _, a := range attrs.FindAllStringSubmatch(text, -1) {
				shown += " " + a[1]
			}
			shown = strings.NewReplacer("pollstack", "", "/p/", "", "/j/", "").Replace(shown) // the brand, links' paths
			if letter.MatchString(shown) {
				t.Errorf("template %s (%s) has words of its own: %q", tt.Name(), name, strings.Join(strings.Fields(strings.ReplaceAll(shown, "\x00", " ")), " "))
			}
		}
	}
}

// templateTexts are a template's text nodes.
func templateTexts(root parse.Node) []string {
	var out []string
	walkTemplate(root, func(n parse.Node) {
		if t, ok := n.(*parse.TextNode); ok {
			out = append(out, string(t.Text))
		}
	})
	return out
}

// TestNumbers: counts as each language's readers (and browsers' Intl)
// write them.
func TestNumbers(t *testing.T) {
	ls := allLocales()
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 7, "7"}, {"en", 1234567, "1,234,567"}, {"en", -1000, "-1,000"},
		{"de", 1234, "1.234"}, {"es", 1234, "1234"}, {"es", 12345, "12.345"},
		{"fr", 1234, "1\u202f234"}, {"ar", 1234, "1,234"}, {"ar", 42, "42"},
	} {
		if got := ls.byCode[tc.lang].num(tc.n); got != tc.want {
			t.Errorf("%s: %d is %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}
