//go:build integration

package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/motoserver"
	"github.com/pollstack/pollstack/internal/testing/repo"
)

// endpointServices are the provider's endpoint names pointed at the emulator.
var endpointServices = []string{
	"acm", "applicationautoscaling", "cloudwatch", "logs", "ec2", "ecr", "ecs", "elbv2", "iam", "kms",
	"rds", "route53", "s3", "secretsmanager", "sts", "ssm", "sns", "wafv2", "events", "budgets",
}

// terraformBin returns terraform's path or fails with what to install.
func terraformBin(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("terraform")
	if err != nil {
		tb.Fatal("terraform is not on PATH: install Terraform 1.11+ (https://developer.hashicorp.com/terraform/install), then run `make tools`")
	}
	return bin
}

// terraformEnv is the environment for terraform: the CLI configuration
// that installs hashicorp/aws from the local mirror (generated as the
// Makefile does when TF_CLI_CONFIG_FILE is unset) and fake credentials.
func terraformEnv(tb testing.TB) []string {
	tb.Helper()
	rc := os.Getenv("TF_CLI_CONFIG_FILE")
	if _, err := os.Stat(rc); rc == "" || err != nil {
		rc = filepath.Join(repoRoot(tb), ".tools", "terraform.rc")
		if _, err := os.Stat(rc); err != nil {
			out, err := exec.Command(filepath.Join(repoRoot(tb), "scripts", "terraform-rc.sh"), rc).CombinedOutput()
			if err != nil {
				tb.Fatalf("scripts/terraform-rc.sh: %v\n%s", err, out)
			}
		}
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "TF_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "TF_INPUT=0",
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION="+awsRegion,
		"AWS_EC2_METADATA_DISABLED=true",
	)
}

// copyInfra copies infra/ (configuration only: repo.CopyTree) into a
// temporary directory and returns the copy's root.
func copyInfra(tb testing.TB) string {
	tb.Helper()
	src := filepath.Join(repoRoot(tb), "infra")
	if d := os.Getenv("POLLSTACK_E2E_INFRA"); d != "" {
		src = d // another infra tree, for trying a change before it lands
	}
	dst := filepath.Join(tb.TempDir(), "infra")
	err := repo.CopyTree(src, dst)
	if err != nil {
		tb.Fatalf("copy infra: %v", err)
	}
	return dst
}

var providerAlias = regexp.MustCompile(`(?s)provider\s+"aws"\s*\{(.*?)\n\}`)
var aliasAttr = regexp.MustCompile(`alias\s*=\s*"([^"]+)"`)

// writeOverride adds aws_e2e_override.tf to the env directory: a local
// backend instead of the env's S3 one, and for every aws provider block of
// the env (the default one and each alias) the emulator's endpoints and
// fake credentials. The env's own files are not
// touched; Terraform merges *_override.tf files into them.
func writeOverride(tb testing.TB, envDir, endpoint string) {
	tb.Helper()
	aliases := map[string]bool{"": true}
	files, _ := filepath.Glob(filepath.Join(envDir, "*.tf"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range providerAlias.FindAllStringSubmatch(string(b), -1) {
			if a := aliasAttr.FindStringSubmatch(m[1]); a != nil {
				aliases[a[1]] = true
			}
		}
	}
	var buf bytes.Buffer
	buf.WriteString("# written by e2e/aws_terraform_test.go: points the provider at the AWS emulator\n")
	// The env's S3 backend would need the real state bucket; the state of
	// an emulated apply lives in the temporary copy instead.
	buf.WriteString("terraform {\n  backend \"local\" {}\n}\n")
	for alias := range aliases {
		buf.WriteString("provider \"aws\" {\n")
		if alias != "" {
			fmt.Fprintf(&buf, "  alias = %q\n", alias)
		}
		buf.WriteString(`  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  endpoints {
`)
		for _, s := range endpointServices {
			fmt.Fprintf(&buf, "    %s = %q\n", s, endpoint)
		}
		buf.WriteString("  }\n}\n")
	}
	if err := os.WriteFile(filepath.Join(envDir, "aws_e2e_override.tf"), buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// terraform runs one terraform command in dir and returns its output.
func terraform(ctx context.Context, tb testing.TB, dir string, args ...string) (string, error) {
	tb.Helper()
	cmd := exec.CommandContext(ctx, terraformBin(tb), args...)
	cmd.Dir = dir
	cmd.Env = terraformEnv(tb)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustTerraform is terraform that fails the test with the output's tail.
func mustTerraform(ctx context.Context, tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	out, err := terraform(ctx, tb, dir, args...)
	if err != nil {
		tb.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, tail(out, 60))
	}
	return out
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// appliedEnv is an environment applied against the emulator.
type appliedEnv struct {
	dir     string
	vars    []string // -var-file of the environment and the test's -var arguments
	moto    *motoserver.Server
	gw      *gateway
	applied time.Duration
}

// applyEnv copies infra/, points the environments' root at the emulator
// through the gateway, and applies it with env's variable file (e.g.
// lean.tfvars) and extra -var arguments.
func applyEnv(ctx context.Context, t *testing.T, moto *motoserver.Server, env string, vars ...string) *appliedEnv {
	t.Helper()
	gw := newGateway(t, moto.URL)
	terraformBin(t)
	root := copyInfra(t)
	dir := filepath.Join(root, "envs")
	if _, err := os.Stat(filepath.Join(dir, env+".tfvars")); err != nil {
		t.Fatalf("infra/envs/%s.tfvars: %v: no such environment", env, err)
	}
	// The repository's owner and repository IDs, which the pipeline takes
	// from GitHub (github.repository_owner_id, github.repository_id).
	vars = append([]string{"-var-file=" + env + ".tfvars", "-var", "github_owner_id=1001", "-var", "github_repository_id=2002"}, vars...)
	writeOverride(t, dir, gw.URL())
	// Not -backend=false: apply needs an initialised backend, and the
	// override replaces the env's S3 backend with a local file.
	mustTerraform(ctx, t, dir, "init", "-input=false", "-no-color")
	args := append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, vars...)
	start := time.Now()
	out, err := terraform(ctx, t, dir, args...)
	took := time.Since(start)
	if err != nil {
		unimpl := motoNotImplemented(moto)
		t.Fatalf("terraform apply of infra/envs with %s.tfvars failed after %s: %v\nmoto raised NotImplementedError for: %v\n%s", env, took.Round(time.Second), err, unimpl, tail(out, 80))
	}
	t.Logf("terraform apply of infra/envs with %s.tfvars against moto took %s", env, took.Round(100*time.Millisecond))
	return &appliedEnv{dir: dir, vars: vars, moto: moto, gw: gw, applied: took}
}

// destroy destroys the environment and returns how long it took.
func (a *appliedEnv) destroy(ctx context.Context, t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	mustTerraform(ctx, t, a.dir, append([]string{"destroy", "-auto-approve", "-input=false", "-no-color"}, a.vars...)...)
	took := time.Since(start)
	t.Logf("terraform destroy against moto took %s", took.Round(100*time.Millisecond))
	return took
}

var notImplemented = regexp.MustCompile(`NotImplementedError: The (\w+) action has not been implemented`)

// motoNotImplemented lists the actions moto refused since it started.
func motoNotImplemented(moto *motoserver.Server) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range notImplemented.FindAllStringSubmatch(moto.Log(), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// stateResources returns the attribute values of every resource of a type
// in the applied state (`terraform show -json`), modules included.
func (a *appliedEnv) stateResources(ctx context.Context, tb testing.TB, typ string) []map[string]any {
	tb.Helper()
	out := mustTerraform(ctx, tb, a.dir, "show", "-json", "-no-color")
	var state struct {
		Values struct {
			RootModule stateModule `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(out), &state); err != nil {
		tb.Fatalf("parse terraform show -json: %v", err)
	}
	var res []map[string]any
	var walk func(m stateModule)
	walk = func(m stateModule) {
		for _, r := range m.Resources {
			if r.Type == typ && r.Mode == "managed" {
				res = append(res, r.Values)
			}
		}
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	walk(state.Values.RootModule)
	return res
}

type stateModule struct {
	Resources []struct {
		Type   string         `json:"type"`
		Mode   string         `json:"mode"`
		Values map[string]any `json:"values"`
	} `json:"resources"`
	ChildModules []stateModule `json:"child_modules"`
}
