//go:build integration

package checks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/repo"
)

// The verifier is mutation-tested: each check it makes (a `// check: NAME`
// comment in cmd/verify-image's Go code, a `# check: NAME` line in
// .github/scripts/verify-image.sh) is deleted in turn, or replaced with
// what follows "else:", and some test of cmd/verify-image must then fail.
// The mutant replaces the file through `go test -overlay` (Go) or the
// script test's POLLSTACK_VERIFY_SCRIPT (shell), so the tree is never
// touched. docs/deploy.md lists which tests catch which mutation; every
// test it names must be among those that failed.

const verifierPackage = "./cmd/verify-image"

var checkMarker = regexp.MustCompile(`^(?://|#)\s*check:\s*([^,]+?)\s*(?:,\s*else:\s*(.+))?$`)

type mutant struct {
	name  string
	file  string // repository-relative
	src   []byte
	shell bool
}

// goMutants deletes (or replaces) the statement, expression or field that
// follows each check comment of a Go file.
func goMutants(t *testing.T, rel string) []mutant {
	t.Helper()
	path := repo.Path(rel)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var out []mutant
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			m := checkMarker.FindStringSubmatch(c.Text)
			if m == nil {
				continue
			}
			target := nodeAfter(f, c.End())
			if target == nil {
				t.Fatalf("%s: %q marks nothing", fset.Position(c.Pos()), c.Text)
			}
			start, end := fset.Position(target.Pos()).Offset, fset.Position(target.End()).Offset
			if m[2] == "" {
				// A deleted list element takes its comma with it.
				if rest := bytes.TrimLeft(src[end:], " \t"); len(rest) > 0 && rest[0] == ',' {
					end = len(src) - len(rest) + 1
				}
			}
			mutated := slices.Concat(src[:start], []byte(m[2]), src[end:])
			out = append(out, mutant{name: m[1], file: rel, src: mutated})
		}
	}
	return out
}

// nodeAfter returns the outermost statement or expression that starts
// first after pos.
func nodeAfter(f *ast.File, pos token.Pos) ast.Node {
	var best ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		switch n.(type) {
		case ast.Stmt, ast.Expr:
		default:
			return true
		}
		if n.Pos() > pos && (best == nil || n.Pos() < best.Pos() || (n.Pos() == best.Pos() && n.End() > best.End())) {
			best = n
		}
		return true
	})
	return best
}

// shellMutants deletes the line that follows each check comment of a script.
func shellMutants(t *testing.T, rel string) []mutant {
	t.Helper()
	data, err := os.ReadFile(repo.Path(rel))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	var out []mutant
	for i, line := range lines {
		m := checkMarker.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || i+1 >= len(lines) {
			continue
		}
		mutated := strings.Join(slices.Concat(lines[:i+1], lines[i+2:]), "")
		out = append(out, mutant{name: m[1], file: rel, src: []byte(mutated), shell: true})
	}
	return out
}

// testEvent is a line of `go test -json`.
type testEvent struct {
	Action, Test, Output string
}

// runVerifierTests runs cmd/verify-image's tests with the mutant in place
// (nil: none) and returns the tests that failed, or an error when the
// tests could not run (a mutant that does not compile).
func runVerifierTests(t *testing.T, m *mutant) ([]string, error) {
	t.Helper()
	args := []string{"test", "-count=1", "-json"}
	env := os.Environ()
	dir := t.TempDir()
	switch {
	case m == nil:
		args = append(args, "-tags", "integration")
	case m.shell:
		// The script is exercised by the script test alone.
		script := filepath.Join(dir, "mutant.sh")
		if err := os.WriteFile(script, m.src, 0o755); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-tags", "integration", "-run", "^TestVerifyScript$")
		env = append(env, "POLLSTACK_VERIFY_SCRIPT="+script)
	default:
		file := filepath.Join(dir, filepath.Base(m.file))
		if err := os.WriteFile(file, m.src, 0o644); err != nil {
			t.Fatal(err)
		}
		overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {repo.Path(m.file): file}})
		if err := os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-overlay", filepath.Join(dir, "overlay.json"))
	}
	cmd := exec.Command("go", append(args, verifierPackage)...)
	cmd.Dir = repo.Root()
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var failed []string
	var output strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e testEvent
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		output.WriteString(e.Output)
		if e.Action == "fail" && e.Test != "" && !strings.Contains(e.Test, "/") {
			failed = append(failed, e.Test)
		}
	}
	if runErr != nil && len(failed) == 0 {
		return nil, fmt.Errorf("go %s: %v\n%s%s", strings.Join(args, " "), runErr, stderr.String(), output.String())
	}
	sort.Strings(failed)
	return failed, nil
}

func TestVerifierMutants(t *testing.T) {
	repo.RequireTools(t, "go", "bash")
	if failed, err := runVerifierTests(t, nil); err != nil || len(failed) > 0 {
		t.Fatalf("before any mutation, cmd/verify-image's tests fail (%q): %v", failed, err)
	}
	var mutants []mutant
	for _, f := range []string{"cmd/verify-image/main.go", "cmd/verify-image/verify.go"} {
		mutants = append(mutants, goMutants(t, f)...)
	}
	mutants = append(mutants, shellMutants(t, ".github/scripts/verify-image.sh")...)
	if len(mutants) < 10 {
		t.Fatalf("found %d check markers; the verifier's checks are marked `check: NAME`", len(mutants))
	}
	documented := documentedMutations(t)
	seen := map[string]bool{}
	for _, m := range mutants {
		if seen[m.name] {
			t.Errorf("two checks are named %q", m.name)
		}
		seen[m.name] = true
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			killers, err := runVerifierTests(t, &m)
			switch {
			case err != nil:
				t.Fatalf("mutant %q (%s) does not run: %v", m.name, m.file, err)
			case len(killers) == 0:
				t.Fatalf("mutant %q (%s) survives: every test passes without that check", m.name, m.file)
			}
			figures.Print(t, "caught by %s", strings.Join(killers, ", "))
			want, ok := documented[m.name]
			if !ok {
				t.Errorf("docs/deploy.md does not list mutation %q (caught by %s)", m.name, strings.Join(killers, ", "))
			}
			for _, w := range want {
				if !slices.Contains(killers, w) {
					t.Errorf("docs/deploy.md says %s catches mutation %q, but only %s fail", w, m.name, strings.Join(killers, ", "))
				}
			}
		})
	}
	for name := range documented {
		if !seen[name] {
			t.Errorf("docs/deploy.md lists mutation %q, which marks no check", name)
		}
	}
}

var mutationRow = regexp.MustCompile(`^\| (.+?) \| (.+?) \|$`)

// documentedMutations reads the table of docs/deploy.md's section on the
// mutation test: mutation name and the tests that catch it.
func documentedMutations(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(repo.Path("docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "### The verifier's mutation test")
	if !ok {
		t.Fatal("docs/deploy.md has no section \"The verifier's mutation test\"")
	}
	if i := strings.Index(section, "\n#"); i >= 0 {
		section = section[:i]
	}
	out := map[string][]string{}
	for _, line := range strings.Split(section, "\n") {
		m := mutationRow.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || strings.HasPrefix(m[1], "-") || m[1] == "check deleted" {
			continue
		}
		var tests []string
		for _, s := range strings.Split(m[2], ",") {
			tests = append(tests, strings.Trim(strings.TrimSpace(s), "`"))
		}
		out[strings.Trim(m[1], "`")] = tests
	}
	return out
}
