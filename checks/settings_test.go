package checks

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

// The repository settings the pipeline's trust relies on (docs/deploy.md,
// "Set up the repository") are checked here where the repository's files
// can say them: CODEOWNERS covers every file that builds, signs, verifies
// or deploys the image, derived from the workflows; the docs name the
// environment and the branch the workflows use, the code-owner review, and
// the OIDC subjects the cicd module trusts.

// codeOwnersRule is one line of CODEOWNERS.
type codeOwnersRule struct {
	pattern string
	owners  []string
}

func readCodeOwners(t *testing.T) []codeOwnersRule {
	t.Helper()
	data, err := os.ReadFile(repo.Path(".github", "CODEOWNERS"))
	if err != nil {
		t.Fatalf("no CODEOWNERS: %v", err)
	}
	var rules []codeOwnersRule
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if !strings.HasPrefix(f[0], "/") || strings.ContainsAny(f[0], "*?[") {
			t.Fatalf("CODEOWNERS pattern %q: this test reads only anchored paths (/dir/ or /file)", f[0])
		}
		rules = append(rules, codeOwnersRule{pattern: f[0], owners: f[1:]})
	}
	return rules
}

// owners returns the owners of a repository-relative path: GitHub takes
// the last matching rule.
func owners(rules []codeOwnersRule, path string) []string {
	var got []string
	for _, r := range rules {
		p := strings.TrimPrefix(r.pattern, "/")
		if path == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			got = r.owners
		}
	}
	return got
}

var (
	repoScript = regexp.MustCompile(`(?:^|[\s"'(./])((?:scripts|\.github/scripts|\.ci)/[A-Za-z0-9_./-]+)`)
	goRunPkg   = regexp.MustCompile(`go run (\./cmd/[A-Za-z0-9_-]+)`)
	tfCommand  = regexp.MustCompile(`command\s*=\s*"\$\{path\.module\}/([A-Za-z0-9_.-]+)"`)
)

// sensitiveFiles derives what a change to would change what is built,
// signed, verified or deployed: the workflows and everything under
// .github, each script and Makefile they (or their scripts) run, every
// file of the Go packages they `go run` and of the module's packages
// those import, the scripts Terraform runs during the deploy's apply, the
// roles' trust (infra/modules/cicd), the scanners' configuration and the
// module's dependencies.
func sensitiveFiles(t *testing.T) []string {
	t.Helper()
	tracked := gitFiles(t)
	set := map[string]bool{}
	addDir := func(dir string) {
		for _, f := range tracked {
			if strings.HasPrefix(f, dir+"/") {
				set[f] = true
			}
		}
	}
	addDir(".github")
	addDir("infra/modules/cicd")
	for _, f := range []string{".ci/run", ".gitleaks.toml", ".gitleaks-tree.toml", "go.mod", "go.sum", "Makefile"} {
		set[f] = true
	}
	var pkgs []string
	for _, f := range tracked {
		if !strings.HasPrefix(f, ".github/") {
			continue
		}
		data, err := os.ReadFile(repo.Path(f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range repoScript.FindAllStringSubmatch(string(data), -1) {
			if p := strings.TrimRight(m[1], ".,)"); slices.Contains(tracked, p) {
				set[p] = true
			}
		}
		for _, m := range goRunPkg.FindAllStringSubmatch(string(data), -1) {
			pkgs = append(pkgs, m[1])
		}
	}
	modules, _ := filepath.Glob(repo.Path("infra", "modules", "*", "main.tf"))
	for _, mainTF := range modules {
		data, err := os.ReadFile(mainTF)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repo.Root(), filepath.Dir(mainTF))
		for _, m := range tfCommand.FindAllStringSubmatch(string(data), -1) {
			set[filepath.ToSlash(filepath.Join(rel, m[1]))] = true
		}
	}
	if len(pkgs) == 0 {
		t.Fatal("the workflows `go run` no package; the derivation is broken")
	}
	cmd := exec.Command("go", append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}"}, pkgs...)...)
	cmd.Dir = repo.Root()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", strings.Join(pkgs, " "), err)
	}
	for _, dir := range strings.Fields(string(out)) {
		if rel, err := filepath.Rel(repo.Root(), dir); err == nil && !strings.HasPrefix(rel, "..") {
			for _, f := range tracked {
				if filepath.Dir(f) == filepath.ToSlash(rel) && !strings.HasSuffix(f, "_test.go") {
					set[f] = true
				}
			}
		}
	}
	var files []string
	for f := range set {
		files = append(files, f)
	}
	sort.Strings(files)
	return files
}

func gitFiles(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files")
	cmd.Dir = repo.Root()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	return strings.Fields(string(out))
}

// Every file that decides what is deployed has a code owner.
func TestCodeOwnersCoverThePipeline(t *testing.T) {
	rules := readCodeOwners(t)
	files := sensitiveFiles(t)
	for _, want := range []string{".github/workflows/deploy.yml", ".github/scripts/verify-image.sh", "cmd/verify-image/verify.go", "internal/imagesig/imagesig.go", "infra/modules/cicd/main.tf", "scripts/image.sh", "infra/modules/compute/run-migration.sh"} {
		if !slices.Contains(files, want) {
			t.Errorf("the derivation of the pipeline's files misses %s", want)
		}
	}
	for _, f := range files {
		if len(owners(rules, f)) == 0 {
			t.Errorf("%s decides what is deployed but has no code owner in .github/CODEOWNERS", f)
		}
	}
}

// docs/deploy.md's settings name what the workflows use.
func TestDeploySettingsDocumented(t *testing.T) {
	data, err := os.ReadFile(repo.Path("docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	_, section, _ := strings.Cut(doc, "### 3. Set up the repository")
	section, _, _ = strings.Cut(section, "\n### ")
	r := loadRepo(t, repo.Root())
	var deploy, ci *yamlFile
	for _, f := range r.workflows {
		switch f.path {
		case ".github/workflows/deploy.yml":
			deploy = f
		case ".github/workflows/ci.yml":
			ci = f
		}
	}
	if deploy == nil || ci == nil {
		t.Fatal("no deploy.yml or ci.yml")
	}
	var wants []string
	jobs(deploy, func(_ string, job *yaml.Node) {
		if env := environmentName(get(job, "environment")); env != "" {
			wants = append(wants, "`"+env+"`")
		}
	})
	for _, b := range get(get(get(deploy.doc, "on"), "push"), "branches").Content {
		wants = append(wants, "**`"+b.Value+"`**")
	}
	// The jobs a pull request runs are the checks to require; the one job
	// that runs only in a deploy is named as the exception.
	var deployOnly []string
	jobs(ci, func(id string, job *yaml.Node) {
		if c := get(job, "if"); c != nil && strings.Contains(c.Value, "deploy.yml@refs/heads/main") {
			deployOnly = append(deployOnly, id)
		}
	})
	if len(deployOnly) != 1 {
		t.Fatalf("ci.yml jobs that run only in a deploy: %q, want exactly the attest job", deployOnly)
	}
	wants = append(wants, "except `"+deployOnly[0]+"`", "require review from\n  Code Owners", "prevent self-review",
		"**no bypass**", "`.github/CODEOWNERS`", "required reviewers")
	for _, w := range wants {
		if !strings.Contains(section, w) {
			t.Errorf("docs/deploy.md, \"Set up the repository\", does not say %q", w)
		}
	}
}

var oidcSubject = regexp.MustCompile("`repo:([^`]+)`")

// The OIDC subjects the docs show are the immutable ones the cicd module
// trusts (repo:OWNER@OWNER_ID/REPO@REPO_ID:...); the legacy form appears
// only where the docs explain accept_legacy_subject.
func TestDocsShowTheImmutableSubject(t *testing.T) {
	data, err := os.ReadFile(repo.Path("docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	paragraphs := strings.Split(string(data), "\n\n")
	seen := 0
	for _, p := range paragraphs {
		for _, m := range oidcSubject.FindAllStringSubmatch(strings.ReplaceAll(p, "\n", " "), -1) {
			seen++
			owner, rest, _ := strings.Cut(m[1], "/")
			if (!strings.Contains(owner, "@") || !strings.Contains(rest, "@")) && !strings.Contains(p, "accept_legacy_subject") {
				t.Errorf("docs/deploy.md shows the legacy OIDC subject `repo:%s`; the roles trust repo:<owner>@<owner id>/<repo>@<repository id>:…", m[1])
			}
		}
	}
	if seen == 0 {
		t.Error("docs/deploy.md shows no OIDC subject")
	}
}
