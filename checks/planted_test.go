//go:build integration

package checks

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

// These tests prove that `make scan` fails when it should: each plants one
// problem in a scratch copy of the repository and checks that scripts/scan.sh
// fails, and that the gate that ought to catch it is the one that names it.
// Before planting, the same gates must pass on the copy, so that the failure
// comes from the plant.

// The files `make scan` needs, copied from the repository root.
var scanInputs = []string{
	"scripts/scan.sh", "scripts/image.sh", ".gitleaks.toml", ".gitleaks-tree.toml", ".checkov.yaml", ".trivyignore.yaml",
	"go.mod", "go.sum", "checks", "cmd/image", "internal", ".github", "infra/platform.json",
}

// requireTools fails the test, naming the cure, when a pinned tool is missing.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	repo.RequireTools(t, tools...)
}

// scratchRepo copies what the scan needs into a new git repository with one
// commit and returns its root.
func scratchRepo(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	for _, p := range scanInputs {
		copyTree(t, repo.Path(p), filepath.Join(dst, p))
	}
	git(t, dst, "init", "-q", "-b", "main")
	git(t, dst, "add", "-A")
	git(t, dst, "commit", "-q", "-m", "scratch copy of the scanned files")
	return dst
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := repo.CopyTree(src, dst); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=policy test", "-c", "user.email=policy@test.invalid", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

var failedGates = regexp.MustCompile(`(?m)^scan: FAILED gates: (.*)$`)

// scan runs scripts/scan.sh with the gates in dir and returns its output and
// the gates it reports as failed.
func scan(t *testing.T, dir string, gates ...string) (string, []string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "scripts", "scan.sh"), gates...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var failed []string
	if m := failedGates.FindSubmatch(out); m != nil {
		failed = strings.Fields(string(m[1]))
	}
	if (err != nil) != (len(failed) > 0) {
		t.Fatalf("scan.sh %s: exit %v but failed gates %q:\n%s", strings.Join(gates, " "), err, failed, out)
	}
	return string(out), failed
}

// cleanBaseline checks that the gates pass on the unplanted copy.
func cleanBaseline(t *testing.T, dir string, gates ...string) {
	t.Helper()
	if out, failed := scan(t, dir, gates...); len(failed) > 0 {
		t.Fatalf("before planting anything, gates %q failed on the scratch copy:\n%s", failed, out)
	}
}

// section returns what the gate printed: the lines between its start and
// its verdict.
func section(out, gate string) string {
	start := strings.Index(out, "== scan: "+gate+"\n")
	if start < 0 {
		return ""
	}
	rest := out[start:]
	if end := strings.Index(rest, "== scan: "+gate+" "); end >= 0 {
		return rest[:end]
	}
	return rest
}

// wantFailed checks that exactly the want gates failed and that each gate in
// mentions named the planted problem in its own output.
func wantFailed(t *testing.T, out string, failed, want []string, mentions map[string][]string) {
	t.Helper()
	if !slices.Equal(failed, want) {
		t.Errorf("failed gates = %q, want %q\n%s", failed, want, out)
	}
	for gate, ms := range mentions {
		sec := section(out, gate)
		for _, m := range ms {
			if !strings.Contains(sec, m) {
				t.Errorf("gate %s does not name %q; its output:\n%s", gate, m, sec)
			}
		}
	}
}

// fakeAWSKey returns a made-up access key id of the real shape, random so
// that no allow-list knows it (and built at run time so that this file holds
// none).
func fakeAWSKey(t *testing.T) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "AK" + "IA" + string(b)
}

// A key committed and then deleted is gone from the tree but not from the
// history: the history gate must name it, the working-tree gate must not.
func TestScanCatchesSecretInHistory(t *testing.T) {
	requireTools(t, "gitleaks", "git")
	dir := scratchRepo(t)
	gates := []string{"gitleaks-history", "gitleaks-tree"}
	cleanBaseline(t, dir, gates...)

	leak := filepath.Join(dir, "deploy", "aws.env")
	writeFile(t, leak, "AWS_ACCESS_KEY_ID="+fakeAWSKey(t)+"\nAWS_REGION=us-east-1\n")
	git(t, dir, "add", "deploy/aws.env")
	git(t, dir, "commit", "-q", "-m", "temporary commit with a key")
	git(t, dir, "rm", "-q", "deploy/aws.env")
	git(t, dir, "commit", "-q", "-m", "remove the key (it stays in the history)")

	out, failed := scan(t, dir, gates...)
	wantFailed(t, out, failed, []string{"gitleaks-history"}, map[string][]string{
		"gitleaks-history": {"RuleID:      aws-access-token", "File:        deploy/aws.env"},
	})

	// The same key in the working tree, not committed: the tree gate names it.
	writeFile(t, leak, "AWS_ACCESS_KEY_ID="+fakeAWSKey(t)+"\n")
	out, failed = scan(t, dir, "gitleaks-tree")
	wantFailed(t, out, failed, []string{"gitleaks-tree"}, map[string][]string{
		"gitleaks-tree": {"RuleID:      aws-access-token", "deploy/aws.env"},
	})
}

// A key committed with `git add -f` under a folder .gitignore names
// (web/dist/, as infra/*/.tools/ once was): both gitleaks gates name it.
// The same key in the root's git-ignored build output, never committed,
// is the one thing the working-tree gate lets pass.
func TestScanCatchesSecretUnderIgnoredFolder(t *testing.T) {
	requireTools(t, "gitleaks", "git")
	dir := scratchRepo(t)
	gates := []string{"gitleaks-history", "gitleaks-tree"}
	cleanBaseline(t, dir, gates...)

	writeFile(t, filepath.Join(dir, ".gitignore"), "dist/\n")
	writeFile(t, filepath.Join(dir, "dist", "aws.env"), "AWS_ACCESS_KEY_ID="+fakeAWSKey(t)+"\n")
	out, failed := scan(t, dir, "gitleaks-tree")
	wantFailed(t, out, failed, nil, nil)

	writeFile(t, filepath.Join(dir, "web", "dist", "aws.env"), "AWS_ACCESS_KEY_ID="+fakeAWSKey(t)+"\n")
	git(t, dir, "add", "-f", "web/dist/aws.env")
	git(t, dir, "commit", "-q", "-m", "a build output folder committed by force")
	out, failed = scan(t, dir, gates...)
	wantFailed(t, out, failed, gates, map[string][]string{
		"gitleaks-history": {"RuleID:      aws-access-token", "File:        web/dist/aws.env"},
		"gitleaks-tree":    {"RuleID:      aws-access-token", "web/dist/aws.env"},
	})
	if regexp.MustCompile(`File:\s+(\./)?dist/`).MatchString(section(out, "gitleaks-tree")) {
		t.Errorf("the tree gate names the root's git-ignored dist/, which it should let pass:\n%s", section(out, "gitleaks-tree"))
	}
}

const unencryptedDB = `resource "aws_db_instance" "planted" {
  identifier                  = "planted"
  engine                      = "postgres"
  engine_version              = "17"
  instance_class              = "db.t3.micro"
  allocated_storage           = 20
  username                    = "pollstack"
  manage_master_user_password = true
  storage_encrypted           = false
  skip_final_snapshot         = true
}
`

// An RDS instance without storage encryption: Checkov and Trivy both name it.
func TestScanCatchesUnencryptedDatabase(t *testing.T) {
	requireTools(t, "checkov", "trivy", "go", "git")
	dir := scratchRepo(t)
	gates := []string{"checkov", "trivy-config"}
	cleanBaseline(t, dir, gates...)

	writeFile(t, filepath.Join(dir, "infra", "planted", "main.tf"), unencryptedDB)
	out, failed := scan(t, dir, gates...)
	wantFailed(t, out, failed, gates, map[string][]string{
		// Checkov: "Ensure all data stored in the RDS is securely encrypted at rest"
		"checkov": {"CKV_AWS_16:", "aws_db_instance.planted"},
		// Trivy: "Instance does not have storage encryption enabled."
		"trivy-config": {"AWS-0080", "planted/main.tf"},
	})
}

// An environment's variable file that turns the database's backups off:
// Trivy scans the environments' root once per variable file, so the value
// reaches the database module as that environment deploys it.
func TestScanReadsEachEnvironmentsVariables(t *testing.T) {
	requireTools(t, "trivy", "go", "git")
	dir := scratchRepo(t)
	copyTree(t, repo.Path("infra"), filepath.Join(dir, "infra"))
	gates := []string{"trivy-config"}
	cleanBaseline(t, dir, gates...)

	vars := filepath.Join(dir, "infra", "envs", "enterprise.tfvars")
	data, err := os.ReadFile(vars)
	if err != nil {
		t.Fatal(err)
	}
	planted := regexp.MustCompile(`(?m)^db_backup_retention_days\s*=.*$`).ReplaceAll(data, []byte("db_backup_retention_days = 0"))
	if string(planted) == string(data) {
		t.Fatal("enterprise.tfvars sets no db_backup_retention_days to plant")
	}
	writeFile(t, vars, string(planted))
	out, failed := scan(t, dir, gates...)
	wantFailed(t, out, failed, gates, map[string][]string{
		// Trivy: "Instance has very low backup retention period."
		"trivy-config": {"-- trivy config infra with enterprise.tfvars", "AWS-0077", "modules/database/main.tf"},
	})
	if sec := section(out, "trivy-config"); strings.Count(sec, "AWS-0077 (") != 1 {
		t.Errorf("the planted value is enterprise's alone, but AWS-0077 appears %d times:\n%s", strings.Count(sec, "AWS-0077 ("), sec)
	}
}

// A workflow step that uses an action by tag: the workflow rules name it.
func TestScanCatchesUnpinnedAction(t *testing.T) {
	requireTools(t, "actionlint", "shellcheck", "go", "git")
	dir := scratchRepo(t)
	gates := []string{"actionlint", "workflow-rules"}
	cleanBaseline(t, dir, gates...)

	ci := filepath.Join(dir, ".github", "workflows", "ci.yml")
	data, err := os.ReadFile(ci)
	if err != nil {
		t.Fatal(err)
	}
	pinned := regexp.MustCompile(`actions/checkout@[0-9a-f]{40} # v[0-9.]+`)
	if !pinned.Match(data) {
		t.Fatalf("ci.yml has no pinned actions/checkout to unpin")
	}
	writeFile(t, ci, string(pinned.ReplaceAll(data, []byte("actions/checkout@v4"))))
	out, failed := scan(t, dir, gates...)
	wantFailed(t, out, failed, []string{"workflow-rules"}, map[string][]string{
		"workflow-rules": {".github/workflows/ci.yml:", "actions/checkout@v4 is not pinned to a full 40-hex commit SHA"},
	})
}

// ShellCheck reads every shell script, not only the pipeline's: the CI
// entry point (no .sh name), the tool installer and the migration script
// that runs with the deploy role. Each gets an unquoted expansion (SC2086).
func TestScanShellChecksEveryScript(t *testing.T) {
	requireTools(t, "actionlint", "shellcheck", "git")
	dir := scratchRepo(t)
	scripts := []string{".ci/run", "scripts/install-tools.sh", "infra/modules/compute/run-migration.sh"}
	for _, p := range scripts {
		copyTree(t, repo.Path(p), filepath.Join(dir, p))
	}
	cleanBaseline(t, dir, "actionlint")

	mentions := []string{"SC2086"}
	for _, p := range scripts {
		data, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfterN(string(data), "\n", 2)
		writeFile(t, filepath.Join(dir, p), lines[0]+"planted=$1\nrm -rf $planted/cache\n"+lines[1])
		mentions = append(mentions, "In "+p+" line 3:")
	}
	out, failed := scan(t, dir, "actionlint")
	wantFailed(t, out, failed, []string{"actionlint"}, map[string][]string{"actionlint": mentions})
}

// plantInCI rewrites the scratch copy's ci.yml with edit, which must change it.
func plantInCI(t *testing.T, dir string, edit func(string) string) {
	t.Helper()
	ci := filepath.Join(dir, ".github", "workflows", "ci.yml")
	data, err := os.ReadFile(ci)
	if err != nil {
		t.Fatal(err)
	}
	planted := edit(string(data))
	if planted == string(data) {
		t.Fatal("the plant changed nothing in ci.yml")
	}
	writeFile(t, ci, planted)
}

// A workflow that runs on pull_request_target, hands every secret to a step
// and to a called workflow, and runs its PostgreSQL service by tag: the
// workflow rules name each, zizmor the trigger and the image.
func TestScanCatchesPrivilegedWorkflow(t *testing.T) {
	requireTools(t, "zizmor", "go", "git")
	dir := scratchRepo(t)
	gates := []string{"zizmor", "workflow-rules"}
	cleanBaseline(t, dir, gates...)

	plantInCI(t, dir, func(ci string) string {
		ci = strings.Replace(ci, "on:\n  push:\n", "on:\n  pull_request_target:\n  push:\n", 1)
		ci = regexp.MustCompile(`image: postgres:[^\s]+`).ReplaceAllString(ci, "image: postgres:17")
		ci = strings.Replace(ci, "      - name: go build\n", "      - name: go build\n        env:\n          ALL_SECRETS: ${{ toJSON(secrets) }}\n", 1)
		return ci + "\n  reuse:\n    uses: ./.github/workflows/ci.yml\n    secrets: inherit\n"
	})
	out, failed := scan(t, dir, gates...)
	wantFailed(t, out, failed, gates, map[string][]string{
		"zizmor": {"dangerous-triggers", "unpinned-images"},
		"workflow-rules": {
			"trigger pull_request_target runs with the base repository's write token",
			"toJSON(secrets) hands every secret",
			"job reuse passes secrets: inherit",
			"service postgres image postgres:17 is not pinned by sha256 digest",
		},
	})
}

// An expression that reads a step that does not exist: actionlint names it.
func TestScanCatchesBrokenWorkflowExpression(t *testing.T) {
	requireTools(t, "actionlint", "shellcheck", "git")
	dir := scratchRepo(t)
	cleanBaseline(t, dir, "actionlint")

	plantInCI(t, dir, func(ci string) string {
		return strings.Replace(ci, "      - name: go build\n        run: go build ./...\n",
			"      - name: go build\n        run: go build ./...\n      - name: planted\n        run: echo \"${{ steps.missing.outputs.digest }}\"\n", 1)
	})
	out, failed := scan(t, dir, "actionlint")
	wantFailed(t, out, failed, []string{"actionlint"}, map[string][]string{
		"actionlint": {`property "missing" is not defined`, ".github/workflows/ci.yml:"},
	})
}

// A script injection: a pull request's title expanded into a run: block
// runs whatever the title says. zizmor names it (high).
func TestScanCatchesTemplateInjection(t *testing.T) {
	requireTools(t, "zizmor", "git")
	dir := scratchRepo(t)
	cleanBaseline(t, dir, "zizmor")

	plantInCI(t, dir, func(ci string) string {
		return strings.Replace(ci, "      - name: go build\n        run: go build ./...\n",
			"      - name: go build\n        run: go build ./...\n      - name: planted\n        run: echo \"${{ github.event.pull_request.title }}\"\n", 1)
	})
	out, failed := scan(t, dir, "zizmor")
	wantFailed(t, out, failed, []string{"zizmor"}, map[string][]string{
		"zizmor": {"template-injection", "github.event.pull_request.title"},
	})
}

// vulnerableModule is a module that needs golang.org/x/text v0.3.5, whose
// language.Parse has an out-of-bounds read (GO-2021-0113, fixed in 0.3.7).
const vulnerableModule = `module example.com/planted

go 1.26

require golang.org/x/text v0.3.5
`

// govulncheck reports what the code reaches, not what go.mod names: the
// module with the vulnerable dependency passes until a function calls the
// vulnerable symbol, and then the gate names the advisory. The database is
// the pinned snapshot (.tools/vulndb), read offline.
func TestScanCatchesReachableVulnerability(t *testing.T) {
	requireTools(t, "govulncheck", "go", "git")
	db := repo.Path(".tools", "vulndb")
	if _, err := os.Stat(filepath.Join(db, "GO-2021-0113.json")); err != nil {
		t.Fatalf("the vulnerability database snapshot is missing (%v): run `make tools`", err)
	}
	dir := t.TempDir()
	copyTree(t, repo.Path("scripts", "scan.sh"), filepath.Join(dir, "scripts", "scan.sh"))
	writeFile(t, filepath.Join(dir, "go.mod"), vulnerableModule)
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nimport _ \"golang.org/x/text/language\"\n\nfunc main() {}\n")
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir = dir
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy (golang.org/x/text v0.3.5 from the module proxy): %v\n%s", err, out)
	}
	t.Setenv("GOVULNDB", "file://"+db)
	cleanBaseline(t, dir, "govulncheck")

	writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nimport \"golang.org/x/text/language\"\n\nfunc main() { _, _ = language.Parse(\"en-US\") }\n")
	out, failed := scan(t, dir, "govulncheck")
	wantFailed(t, out, failed, []string{"govulncheck"}, map[string][]string{
		"govulncheck": {"GO-2021-0113", "golang.org/x/text", "language.Parse"},
	})
}
