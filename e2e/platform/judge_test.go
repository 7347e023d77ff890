//go:build integration

package platform

// Every IAM verdict of this package is given twice: by doctor's evaluator
// and by a second, independent judge (internal/testing/iamjudge: AWS's
// own action, resource-type and condition-key data and the simulator
// built on it). A disagreement fails the test, naming the call and both
// verdicts. And every IAM document that Terraform renders is validated
// against AWS's data: an action, resource or condition key that does not
// apply fails (`make scan` runs TestRenderedPoliciesValidate).

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/doctor"
	"github.com/pollstack/pollstack/internal/testing/iamjudge"
)

// judgedPrincipal makes the identity-side calls: the judge's decision for
// identity policies does not depend on which role of the account holds them.
const judgedPrincipal = "arn:aws:iam::" + account + ":role/judged"

// decide is doctor's decision for a role with identity policies d and a
// permissions boundary (nil: none), which the judge must share.
func decide(t *testing.T, d []doctor.PolicyDocument, boundary []doctor.PolicyDocument, c call) doctor.Decision {
	t.Helper()
	got := doctor.EvaluateBounded(d, boundary, c.request())
	r := iamjudge.Request{Identity: anys(d), Principal: judgedPrincipal, Action: c.action, Resource: c.resource, Account: accountOf(c.resource), Context: c.ctx}
	if boundary != nil {
		r.Boundary = anys(boundary)
	}
	judged(t, c.String(), got, r)
	return got
}

// trusts is doctor's decision of a role's trust policy for a caller, which
// the judge must share. The judge weighs the whole request, so a caller
// from another account is given an identity policy that allows the call:
// what is asked is the trust policy's answer.
func trusts(t *testing.T, trust doctor.PolicyDocument, principalType, principal string, req doctor.Request) doctor.Decision {
	t.Helper()
	got := doctor.EvaluateTrust(trust, principalType, principal, req)
	r := iamjudge.Request{ResourcePolicy: trust, Principal: principal, Action: req.Action, Resource: req.Resource, Account: accountOf(req.Resource), Context: req.Context}
	if principalType == "AWS" {
		r.Identity = []any{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + req.Action + `","Resource":"*"}]}`}
	}
	judged(t, fmt.Sprintf("%s by %s %s on %s %v", req.Action, principalType, principal, req.Resource, req.Context), got, r)
	return got
}

// judgedWithResource has the judge weigh a role's call that a resource
// policy decides too (a secret's, a key's) with that policy: doctor's
// whole verdict got, identity and resource combined, must be its.
func judgedWithResource(t *testing.T, ro *role, policy doctor.PolicyDocument, req doctor.Request, got doctor.Decision) {
	t.Helper()
	r := iamjudge.Request{Identity: anys(ro.policies), ResourcePolicy: policy, Principal: ro.arn, Action: req.Action, Resource: req.Resource, Account: accountOf(req.Resource), Context: req.Context}
	if ro.boundary != nil {
		r.Boundary = anys(ro.boundary)
	}
	judged(t, fmt.Sprintf("%s by %s with the resource's policy", asCall(req), ro.name), got, r)
}

// judged fails the test when the judge's opinion differs from doctor's.
func judged(t *testing.T, call string, got doctor.Decision, r iamjudge.Request) {
	t.Helper()
	if err := disagreement(iamjudge.Shared(t), got, r); err != nil {
		t.Errorf("%s: %v", call, err)
	}
}

// The judge's share of this package's run, printed at its end.
var judgeCalls, judgeGapCalls, judgeUnanswered, judgeNanos atomic.Int64

// disagreement asks the judge about r and says how its opinion differs
// from doctor's decision got, or why it has none. A call the simulator
// cannot answer for a known gap in its resource types (KnownUnanswered)
// has no second opinion and is counted.
func disagreement(j *iamjudge.Judge, got doctor.Decision, r iamjudge.Request) error {
	start := time.Now()
	v, err := j.Simulate(r)
	judgeNanos.Add(int64(time.Since(start)))
	judgeCalls.Add(1)
	if iamjudge.IsUnanswered(r.Action, err) {
		judgeUnanswered.Add(1)
		return nil
	}
	if err != nil {
		return err
	}
	opinion, err := v.Opinion()
	if err != nil {
		return err
	}
	var note string
	if v.Unfiltered != "" && len(v.Ignored) > 0 {
		if _, gap := iamjudge.GapOf(v.Ignored[0]); gap {
			judgeGapCalls.Add(1)
			note = fmt.Sprintf(" (read with the simulator's known gaps %v)", v.Ignored)
		} else {
			note = fmt.Sprintf(" (it dropped %v: AWS does not send them for this action)", v.Ignored)
		}
	}
	if opinion != got {
		return fmt.Errorf("doctor's evaluator: %v; the IAM judge: %v%s", got, opinion, note)
	}
	return nil
}

func printJudgeShare() {
	if n := judgeCalls.Load(); n > 0 {
		fmt.Fprintf(os.Stderr, "iam judge: %d verdicts asked (%d read through its known key gaps, %d unanswered: iamjudge.KnownUnanswered) in %v\n",
			n, judgeGapCalls.Load(), judgeUnanswered.Load(), time.Duration(judgeNanos.Load()).Round(time.Millisecond))
	}
}

func anys(docs []doctor.PolicyDocument) []any {
	out := make([]any, len(docs))
	for i, d := range docs {
		out[i] = d
	}
	return out
}

// accountOf is the account of an ARN, or this package's account where the
// ARN names none (S3) or the resource is "*".
func accountOf(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 && parts[4] != "" {
		return parts[4]
	}
	return account
}

// The judge fails a verdict it does not share: a policy with a condition
// operator doctor's evaluator does not implement (so that a proof never
// rests on it, parse refuses such documents) is one where the two differ.
func TestJudgeFailsADisagreement(t *testing.T) {
	planted, err := doctor.ParsePolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	c := plain("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:app-AbCdEf"), "aws:MultiFactorAuthAge", "60")
	got := doctor.EvaluateBounded([]doctor.PolicyDocument{planted}, nil, c.request())
	r := iamjudge.Request{Identity: anys([]doctor.PolicyDocument{planted}), Principal: judgedPrincipal, Action: c.action, Resource: c.resource, Account: account, Context: c.ctx}
	err = disagreement(iamjudge.Shared(t), got, r)
	if err == nil || !strings.Contains(err.Error(), "doctor's evaluator: implicitly denied; the IAM judge: allowed") {
		t.Errorf("doctor %v on the planted policy, judged: %v; want a disagreement naming both verdicts", got, err)
	}
	// And the same policy with doctor's verdict as the judge's passes.
	if err := disagreement(iamjudge.Shared(t), doctor.Allowed, r); err != nil {
		t.Errorf("an agreement failed: %v", err)
	}
}

// rendered policies: every IAM document in an environment's state, found
// by what it is (a JSON string attribute with a Statement), not from a
// list: a role's trust policy, an identity policy (of a role, a user or a
// managed policy) or a resource policy (a key's, a bucket's, a topic's...).
type renderedPolicy struct {
	where, kind, text string
}

func (s *stack) policies() []renderedPolicy {
	var out []renderedPolicy
	for _, r := range s.resources {
		keys := make([]string, 0, len(r.Values))
		for k := range r.Values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			text, ok := r.Values[k].(string)
			if !ok || !isPolicy(text) {
				continue
			}
			kind := "resource"
			switch {
			case k == "assume_role_policy":
				kind = "trust"
			case strings.HasPrefix(r.Type, "aws_iam_"):
				kind = "identity"
			}
			out = append(out, renderedPolicy{r.Address + "." + k, kind, text})
		}
	}
	return out
}

func isPolicy(text string) bool {
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	return strings.HasPrefix(strings.TrimSpace(text), "{") && json.Unmarshal([]byte(text), &doc) == nil && len(doc.Statement) > 0
}

// Every rendered IAM document names only actions, resources and condition
// keys that AWS's data says exist and apply to each other.
func TestRenderedPoliciesValidate(t *testing.T) {
	j := iamjudge.Shared(t)
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			s := render(t, env)
			docs := s.policies()
			kinds := map[string]int{}
			for _, p := range docs {
				kinds[p.kind]++
				findings, err := j.Validate(p.kind, p.text)
				if err != nil {
					t.Fatalf("%s: %v", p.where, err)
				}
				for _, f := range findings {
					t.Errorf("%s (%s policy): %s", p.where, p.kind, f)
				}
			}
			// The invariant must have something to hold: the stack has
			// roles, their policies and a key policy at least.
			if kinds["trust"] == 0 || kinds["identity"] == 0 || kinds["resource"] == 0 {
				t.Fatalf("%s: found policies %v; want trust, identity and resource policies", env, kinds)
			}
			t.Logf("%s: %d policies validated %v", env, len(docs), kinds)
		})
	}
}
