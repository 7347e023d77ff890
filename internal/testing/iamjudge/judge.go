// Package iamjudge is a second, independent IAM evaluator for tests: AWS's
// own action, resource-type and condition-key data and the simulator built
// on it (@cloud-copilot/iam-simulate, installed by `make tools` into
// .tools/iam-simulate), run as one Node process per test binary that
// answers one JSON line per question (judge.mjs).
//
// The simulator is AGPL-3.0: it runs in tests and scans only, and nothing
// that ships may import this package (docs/decisions.md).
package iamjudge

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pollstack/pollstack/internal/doctor"
	"github.com/pollstack/pollstack/internal/testing/repo"
)

//go:embed judge.mjs
var script []byte

// Judge is one running judge process. Its methods may be called from
// several goroutines: questions are asked one at a time.
type Judge struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	dir string
}

// InstallDir is where scripts/install-tools.sh puts the pinned simulator.
func InstallDir() string { return repo.Path(".tools", "iam-simulate") }

// Start starts a judge process on the simulator installed in dir.
func Start(dir string) (*Judge, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("the IAM judge needs Node.js: install node from the system's packages")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate")); err != nil {
		return nil, fmt.Errorf("the IAM judge is not installed in %s: run `make tools` (scripts/install-tools.sh iam-simulate)", dir)
	}
	tmp, err := os.MkdirTemp("", "iamjudge-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(tmp, "judge.mjs")
	if err := os.WriteFile(path, script, 0o644); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	cmd := exec.Command(node, path, dir)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("start the IAM judge: %w", err)
	}
	return &Judge{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20), dir: tmp}, nil
}

// Close ends the process: its standard input closes and it exits.
func (j *Judge) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.in.Close()
	err := j.cmd.Wait()
	os.RemoveAll(j.dir)
	return err
}

var shared struct {
	once  sync.Once
	judge *Judge
	err   error
}

// Shared returns the test binary's one judge, started on first use, and
// fails tb when it cannot start. The process ends with the test binary.
func Shared(tb testing.TB) *Judge {
	tb.Helper()
	shared.once.Do(func() { shared.judge, shared.err = Start(InstallDir()) })
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.judge
}

// ask sends one question and decodes its answer into v.
func (j *Judge) ask(question any, v any) error {
	b, err := json.Marshal(question)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.in.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("ask the IAM judge: %w", err)
	}
	line, err := j.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read the IAM judge's answer: %w", err)
	}
	var answer struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(line, &answer); err != nil {
		return fmt.Errorf("the IAM judge's answer %q: %w", line, err)
	}
	if answer.Error != "" {
		return fmt.Errorf("the IAM judge: %s", answer.Error)
	}
	return json.Unmarshal(line, v)
}

// Request is one call to AWS with the policies that decide it. Policies
// are any value that marshals to a policy document (a string holding one
// is taken as the document itself).
type Request struct {
	Identity []any `json:"identity"`
	// Boundary nil: the principal has no permissions boundary.
	Boundary []any `json:"boundary"`
	// ResourcePolicy nil: the resource has none. (A KMS key is then taken
	// to delegate to IAM, as the stack's key policy does.)
	ResourcePolicy any                 `json:"resourcePolicy"`
	Principal      string              `json:"principal"`
	Action         string              `json:"action"`
	Resource       string              `json:"resource"`
	Account        string              `json:"account"`
	Context        map[string][]string `json:"context"`
}

// Verdict is the judge's answer.
type Verdict struct {
	// Decision: Allowed, ImplicitlyDenied or ExplicitlyDenied.
	Decision string `json:"decision"`
	// Ignored are the context keys of the request that the simulator
	// dropped as not applying to the action and resource.
	Ignored []string `json:"ignored"`
	// Unfiltered is the simulator's decision with every key kept (set
	// only when some were dropped).
	Unfiltered string `json:"unfiltered"`
}

// Simulate asks the judge for a decision.
func (j *Judge) Simulate(r Request) (Verdict, error) {
	q := struct {
		Op string `json:"op"`
		Request
	}{"simulate", r}
	q.Identity = documents(r.Identity)
	if r.Boundary != nil {
		q.Boundary = documents(r.Boundary)
	}
	if r.ResourcePolicy != nil {
		q.ResourcePolicy = document(r.ResourcePolicy)
	}
	if q.Context == nil {
		q.Context = map[string][]string{}
	}
	var v Verdict
	err := j.ask(q, &v)
	return v, err
}

// Validate lists what AWS's data says does not apply in a policy: actions
// that do not exist, resources that none of a statement's actions take,
// actions that take none of its resources, condition keys that do not
// exist or apply to none of its actions, and the document's syntax
// errors. kind is identity, resource or trust.
func (j *Judge) Validate(kind string, policy any) ([]string, error) {
	var v struct {
		Findings []string `json:"findings"`
	}
	err := j.ask(map[string]any{"op": "validate", "kind": kind, "policy": document(policy)}, &v)
	return v.Findings, err
}

func documents(l []any) []any {
	out := make([]any, 0, len(l))
	for _, p := range l {
		out = append(out, document(p))
	}
	return out
}

// document returns a policy's JSON text, which the judge parses once per
// text: a string is the text itself; a doctor.PolicyDocument, which the
// evaluator parsed, gets the Version its literals may leave out.
func document(p any) any {
	switch d := p.(type) {
	case string:
		return d
	case doctor.PolicyDocument:
		if d.Version == "" {
			d.Version = "2012-10-17"
		}
		p = d
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Sprintf("unmarshalable policy %T: %v", p, err) // the judge reports it as not JSON
	}
	return string(b)
}

// Decision maps the judge's verdict onto doctor's decisions.
func Decision(verdict string) (doctor.Decision, error) {
	switch verdict {
	case "Allowed":
		return doctor.Allowed, nil
	case "ImplicitlyDenied":
		return doctor.ImplicitDeny, nil
	case "ExplicitlyDenied":
		return doctor.ExplicitDeny, nil
	}
	return doctor.ImplicitDeny, fmt.Errorf("the IAM judge answered %q", verdict)
}

// Gap is a context key that AWS sends but that this release of the
// simulator drops as "ignored", so that its conditions never see it.
type Gap struct {
	// Key is the key, or its prefix where the key's last part varies.
	Key string
	// Why says where the simulator loses it.
	Why string
}

// KnownGaps are the simulator's known gaps. Where only these keys were
// dropped, its unfiltered decision (the same evaluator with the keys kept)
// is the second opinion; TestKnownGapsStillOpen fails once a release reads
// a key, so that the entry is removed.
var KnownGaps = []Gap{
	{"kms:EncryptionContext:", "the variable part of the key follows a colon; the simulator matches variable keys only in the form prefix/${Var}"},
	{"token.actions.githubusercontent.com:sub", "AWS's data lists GitHub's other token claims for sts:AssumeRoleWithWebIdentity but not sub, and the simulator's context filter does not consult its own list of OpenID Connect claims"},
	{"token.actions.githubusercontent.com:aud", "as for sub: the audience claim is not in AWS's data for the action"},
	{"secretsmanager:ResourceTag/", "AWS's data spells the key's variable part tag-key, not ${TagKey}: the simulator admits the key, finds no type for it and fails (judge.mjs drops it)"},
}

// Unanswered is an action that the simulator cannot evaluate on some of
// the resources AWS takes for it: its data lacks their resource type.
type Unanswered struct {
	// Action, and a resource of the kind the simulator refuses.
	Action, Resource string
	Why              string
}

// KnownUnanswered are the simulator's known gaps in resource types. A call
// of such an action that it refuses has no second opinion;
// TestKnownGapsStillOpen fails once a release accepts the resource.
var KnownUnanswered = []Unanswered{
	{"elasticloadbalancing:AddTags", "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/0123456789abcdef/fedcba9876543210",
		"ELB and ELB v2 share the action's name, and AWS's data as the simulator has it keeps the Classic Load Balancer's definition: loadbalancer/NAME is its only resource type, so a v2 listener, load balancer or target group is refused"},
}

// IsUnanswered reports whether err is the simulator refusing a resource of
// an action in KnownUnanswered.
func IsUnanswered(action string, err error) bool {
	if err == nil || !strings.Contains(err.Error(), "no.resource.types") {
		return false
	}
	for _, u := range KnownUnanswered {
		if strings.EqualFold(u.Action, action) {
			return true
		}
	}
	return false
}

// GapOf returns the known gap that covers a dropped key, if any.
func GapOf(key string) (Gap, bool) {
	for _, g := range KnownGaps {
		if strings.HasPrefix(strings.ToLower(key), strings.ToLower(g.Key)) {
			return g, true
		}
	}
	return Gap{}, false
}

// Opinion is the judge's decision for a request, as doctor's type: its
// verdict where every key it dropped is one AWS would not send for the
// action (the evaluation AWS makes), or its unfiltered verdict where the
// only keys it dropped are known gaps. A request that drops both kinds
// has no opinion: the error says why.
func (v Verdict) Opinion() (doctor.Decision, error) {
	var gaps, other []string
	for _, k := range v.Ignored {
		if _, ok := GapOf(k); ok {
			gaps = append(gaps, k)
		} else {
			other = append(other, k)
		}
	}
	switch {
	case len(gaps) == 0:
		return Decision(v.Decision)
	case len(other) == 0:
		return Decision(v.Unfiltered)
	}
	return doctor.ImplicitDeny, fmt.Errorf("the judge dropped known-gap keys %v and keys that do not apply %v: remove the latter from the request", gaps, other)
}
