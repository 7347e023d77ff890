package checks

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

// The docs name things that the code defines: make targets, the server's
// and tools' flags, environment variables, test functions and paths. Each
// name the Markdown mentions must exist, so that a rename without the docs
// fails here instead of misleading the next reader.
func TestDocsNameWhatExists(t *testing.T) {
	root := repo.Root()
	docs := markdownFiles(t, root)
	code := goSources(t, root)
	makefile := readFile(t, filepath.Join(root, "Makefile"))

	targets := set(regexp.MustCompile(`(?m)^([a-z][a-z-]*):`).FindAllStringSubmatch(makefile, -1))
	// Flags are declared in a settings table (flag: "name") or with the
	// flag package (fs.String("name", ...)).
	flags := set(regexp.MustCompile(`(?:flag: |\.(?:String|Bool|Int|Int64|Uint|Float64|Duration|Var|Func|BoolVar|StringVar|IntVar|DurationVar|Float64Var|BoolFunc)\((?:[^,()]+, )?)"([a-z][a-z0-9-]*)"`).FindAllStringSubmatch(code, -1))
	envs := set(regexp.MustCompile(`"(POLLSTACK_[A-Z0-9_]+)"`).FindAllStringSubmatch(code, -1))
	tests := set(regexp.MustCompile(`(?m)^func ((?:Test|Benchmark|Fuzz)[A-Za-z0-9_]*)\(`).FindAllStringSubmatch(code, -1))

	var (
		makeRef  = regexp.MustCompile("`make ([a-z][a-z-]*)")
		flagRef  = regexp.MustCompile("`--?([a-z][a-z0-9-]*)(?:[ =][^`]*)?`")
		envRef   = regexp.MustCompile(`\bPOLLSTACK_[A-Z0-9_]*[A-Z0-9]\b`)
		testRef  = regexp.MustCompile(`\b((?:Test|Benchmark|Fuzz)[A-Z][A-Za-z0-9_]*)\b`)
		pathRef  = regexp.MustCompile("`\\.?/?((?:cmd|web|internal|e2e|infra|docs|scripts|checks|postgres|sqlite|storetest|secret|\\.github|\\.ci)/[^`\\s:#*{}<>]*)")
		localRef = regexp.MustCompile(`\]\(((?:\.\./)*[A-Za-z0-9_./-]+)(?:#[^)]*)?\)`)
	)
	for path, text := range docs {
		rel, _ := filepath.Rel(root, path)
		for _, m := range makeRef.FindAllStringSubmatch(text, -1) {
			if !targets[m[1]] {
				t.Errorf("%s: `make %s`: no such target in the Makefile", rel, m[1])
			}
		}
		for _, m := range flagRef.FindAllStringSubmatch(text, -1) {
			if !flags[m[1]] && otherToolsFlags[m[1]] == "" {
				t.Errorf("%s: %s: no command of this repository declares the flag --%s", rel, m[0], m[1])
			}
		}
		for _, m := range envRef.FindAllString(text, -1) {
			if !envs[m] {
				t.Errorf("%s: %s: no code reads this environment variable", rel, m)
			}
		}
		for _, m := range testRef.FindAllStringSubmatch(text, -1) {
			if !tests[m[1]] && !prefixOfAny(m[1], tests) { // -run takes a prefix
				t.Errorf("%s: %s: no such test or benchmark", rel, m[1])
			}
		}
		for _, m := range pathRef.FindAllStringSubmatch(text, -1) {
			if !exists(root, m[1]) {
				t.Errorf("%s: %s: no such file or folder", rel, m[1])
			}
		}
		for _, m := range localRef.FindAllStringSubmatch(text, -1) {
			if strings.Contains(m[1], "://") || !strings.ContainsAny(m[1], "./") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), m[1])); err != nil {
				t.Errorf("%s: link to %s: no such file", rel, m[1])
			}
		}
	}
}

// otherToolsFlags are the flags of other tools that the docs quote alone,
// each with its tool.
var otherToolsFlags = map[string]string{
	"h":                 "every command",
	"backend-config":    "terraform init",
	"apply-immediately": "aws rds modify-db-instance",
	"var-file":          "checkov",
	"tf-vars":           "trivy config",
	"bench":             "go test",
	"tags":              "go test",
	"lockfile":          "terraform init",
}

// exists reports whether a path named in the docs is in the tree; a path
// may end in a glob, and "..." stands for a package pattern.
func exists(root, p string) bool {
	p = strings.TrimSuffix(strings.TrimSuffix(p, "..."), "/")
	p = strings.TrimRight(p, ".,;)")
	matches, err := filepath.Glob(filepath.Join(root, p))
	return err == nil && len(matches) > 0
}

func markdownFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "*.md").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	docs := map[string]string{}
	for _, name := range strings.Fields(string(out)) {
		if strings.HasPrefix(name, "cmd/bench/peer/") {
			continue // the Django peer's own notes
		}
		path := filepath.Join(root, name)
		if _, err := os.Stat(path); err == nil {
			docs[path] = readFile(t, path)
		}
	}
	return docs
}

// goFileList lists the repository's Go files, tracked or new, one a line.
func goFileList(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "*.go").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	return string(out)
}

// goSources is every Go file of the repository, concatenated.
func goSources(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	for _, name := range strings.Fields(goFileList(t, root)) {
		if data, err := os.ReadFile(filepath.Join(root, name)); err == nil {
			b.Write(data)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func prefixOfAny(prefix string, names map[string]bool) bool {
	for name := range names {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

func set(matches [][]string) map[string]bool {
	s := map[string]bool{}
	for _, m := range matches {
		s[m[1]] = true
	}
	return s
}
