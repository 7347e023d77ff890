//go:build integration

// Package platform checks what each environment really deploys, from the
// environments' root applied with its variable file on mocked AWS
// (terraform test -json -verbose prints the whole state): the choices of
// each environment, and its IAM documents, evaluated as IAM would.
package platform

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/template"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

const (
	account = "123456789012"
	region  = "us-east-1"
	vpcID   = "vpc-0123456789abcdef0"
	keyARN  = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
	zoneID  = "Z0123456789ABCDEFGHIJ"
)

// resource is one managed resource of the applied state.
type resource struct {
	Address string         `json:"address"`
	Mode    string         `json:"mode"`
	Type    string         `json:"type"`
	Values  map[string]any `json:"values"`
}

func (r resource) str(key string) string {
	s, _ := r.Values[key].(string)
	return s
}

// stack is an environment as its variable file makes it.
type stack struct {
	env, name string
	resources []resource
	outputs   map[string]any // the root's outputs, by name
}

// all returns the resources of a type.
func (s *stack) all(typ string) []resource {
	var out []resource
	for _, r := range s.resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// one returns the resource at an address (without instance keys), failing
// the test when there is not exactly one.
func (s *stack) one(t *testing.T, address string) resource {
	t.Helper()
	var found []resource
	for _, r := range s.resources {
		if r.Address == address || strings.HasPrefix(r.Address, address+"[") {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: want one %s, found %d", s.env, address, len(found))
	}
	return found[0]
}

// rendered holds one render per environment, made once per test binary;
// the two environments render at the same time.
var rendered = map[string]*rendering{"lean": {}, "enterprise": {}}

type rendering struct {
	once  sync.Once
	stack *stack
	err   error
}

// render applies the environments' root with env's variable file on
// mocked AWS, once per test binary, and returns its state.
func render(t *testing.T, env string) *stack {
	t.Helper()
	repo.RequireTools(t, "terraform")
	r, ok := rendered[env]
	if !ok {
		t.Fatalf("no environment %s", env)
	}
	r.once.Do(func() { r.stack, r.err = renderEnv(env) })
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.stack
}

// TestMain renders both environments side by side before the tests (each
// render is mostly Terraform waiting on its provider).
func TestMain(m *testing.M) {
	var wg sync.WaitGroup
	for env, r := range rendered {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.once.Do(func() { r.stack, r.err = renderEnv(env) })
		}()
	}
	wg.Wait()
	code := m.Run()
	printJudgeShare()
	os.Exit(code)
}

func renderEnv(env string) (*stack, error) {
	dir, err := os.MkdirTemp("", "pollstack-render-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	src := repo.Path("infra")
	if d := os.Getenv("POLLSTACK_PLATFORM_INFRA"); d != "" {
		src = d // another infra tree: to show a test failing on the code before a fix
	}
	if err := repo.CopyTree(src, filepath.Join(dir, "infra")); err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "infra", "envs")
	name := "pollstack-" + env
	if err := nameMocks(filepath.Join(dir, "infra", mockFile), name); err != nil {
		return nil, err
	}
	var test bytes.Buffer
	if err := mocks.Execute(&test, map[string]string{"Name": name, "Account": account}); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(root, "tests", "render.tftest.hcl"), test.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if out, err := terraform(root, "init", "-backend=false", "-input=false", "-no-color"); err != nil {
		return nil, fmt.Errorf("terraform init: %v\n%s", err, out)
	}
	out, err := terraform(root, "test", "-json", "-verbose", "-no-color", "-var-file="+env+".tfvars", "-filter=tests/render.tftest.hcl")
	if err != nil {
		return nil, fmt.Errorf("terraform test with %s.tfvars: %v\n%s", env, err, tail(out))
	}
	return parseState(env, name, out)
}

// TestSharedMocksMatch: the constants the IAM tests build ARNs from are the
// values the shared mock file gives, so that a policy that names the VPC or
// the key names the one the tests expect.
func TestSharedMocksMatch(t *testing.T) {
	b, err := os.ReadFile(repo.Path("infra", mockFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`account_id = "` + account + `"`,
		`name = "` + region + `"`,
		`id = "` + vpcID + `"`,
		`arn    = "` + keyARN + `"`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the shared mock file lacks %s", want)
		}
	}
}

// mockFile is the mock AWS every Terraform test shares, under infra.
var mockFile = filepath.Join("mocks", "aws.tfmock.hcl")

// nameMocks writes this tree's shared mock file to dst with the
// environment's name in place of the stack tests' pollstack-test. It is
// always this tree's, even when POLLSTACK_PLATFORM_INFRA renders another
// tree, so that an older tree's policies meet the mocks the tests expect.
// Its account, region, VPC and key are this package's constants, which
// TestSharedMocksMatch holds.
func nameMocks(dst, name string) error {
	b, err := os.ReadFile(repo.Path("infra", mockFile))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, bytes.ReplaceAll(b, []byte("pollstack-test"), []byte(name)), 0o644)
}

func parseState(env, name string, out []byte) (*stack, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var msg struct {
			Type  string `json:"type"`
			State *struct {
				RootModule module `json:"root_module"`
				Outputs    map[string]struct {
					Value any `json:"value"`
				} `json:"outputs"`
			} `json:"test_state"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil || msg.Type != "test_state" || msg.State == nil {
			continue
		}
		s := &stack{env: env, name: name, outputs: map[string]any{}}
		for k, o := range msg.State.Outputs {
			s.outputs[k] = o.Value
		}
		var walk func(m module)
		walk = func(m module) {
			for _, r := range m.Resources {
				if r.Mode == "managed" {
					s.resources = append(s.resources, r)
				}
			}
			for _, c := range m.ChildModules {
				walk(c)
			}
		}
		walk(msg.State.RootModule)
		return s, nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("terraform test printed no state for %s", env)
}

type module struct {
	Resources    []resource `json:"resources"`
	ChildModules []module   `json:"child_modules"`
}

func terraform(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("terraform", args...)
	cmd.Dir = dir
	rc := os.Getenv("TF_CLI_CONFIG_FILE")
	if rc == "" {
		rc = repo.Path(".tools", "terraform.rc")
	}
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "TF_INPUT=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func tail(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// mocks is the test file of the render. The computed attributes come from
// the shared mock file (infra/mocks), named for
// the environment by renderEnv, so that the ARNs in the policies are those
// of the real resources; the overrides give each role its own ARN.
var mocks = template.Must(template.New("render").Parse(`
mock_provider "aws" {
  source = "../mocks"
}

override_resource {
  target = module.stack.module.security.aws_iam_role.execution
  values = { arn = "arn:aws:iam::{{.Account}}:role/{{.Name}}-ecs-execution" }
}
override_resource {
  target = module.stack.module.security.aws_iam_role.task
  values = { arn = "arn:aws:iam::{{.Account}}:role/{{.Name}}-ecs-task" }
}
override_resource {
  target = module.stack.module.security.aws_iam_role.migrate
  values = { arn = "arn:aws:iam::{{.Account}}:role/{{.Name}}-ecs-migrate" }
}
override_resource {
  target = module.stack.module.cicd.aws_iam_role.db_init
  values = { arn = "arn:aws:iam::{{.Account}}:role/{{.Name}}-db-init" }
}
override_resource {
  target = module.stack.module.cicd.aws_iam_role.deploy
  values = { arn = "arn:aws:iam::{{.Account}}:role/{{.Name}}-github-deploy" }
}
override_resource {
  target = module.stack.module.cicd.aws_iam_role.plan
  values = { arn = "arn:aws:iam::{{.Account}}:role/{{.Name}}-github-plan" }
}
override_resource {
  target = module.stack.module.database.aws_iam_role.monitoring
  values = { arn = "arn:aws:iam::{{.Account}}:role/{{.Name}}-rds-monitoring" }
}
override_resource {
  target = module.stack.module.network.aws_iam_role.flow_logs
  values = { arn = "arn:aws:iam::{{.Account}}:role/{{.Name}}-flow-logs" }
}
override_resource {
  target = module.stack.module.cicd.aws_iam_policy.boundary
  values = { arn = "arn:aws:iam::{{.Account}}:policy/{{.Name}}-workload-boundary" }
}
override_resource {
  target = module.stack.module.cicd.aws_iam_policy.service_boundary
  values = { arn = "arn:aws:iam::{{.Account}}:policy/{{.Name}}-service-boundary" }
}

variables {
  github_repository    = "pollstack/pollstack"
  github_owner_id      = "1001"
  github_repository_id = "2002"
  run_migrations       = false
  domain_name          = var.environment == "enterprise" ? "polls.example.com" : null
  hosted_zone_id       = var.environment == "enterprise" ? "Z0123456789ABCDEFGHIJ" : null
  alarm_email          = "oncall@example.com"
}

run "render" {
  command = apply
}
`))
