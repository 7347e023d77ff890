//go:build integration

package iamjudge_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/doctor"
	"github.com/pollstack/pollstack/internal/testing/iamjudge"
)

const (
	account  = "123456789012"
	role     = "arn:aws:iam::" + account + ":role/judged"
	key      = "arn:aws:kms:us-east-1:" + account + ":key/11111111-2222-3333-4444-555555555555"
	secret   = "arn:aws:secretsmanager:us-east-1:" + account + ":secret:app-AbCdEf"
	provider = "arn:aws:iam::" + account + ":oidc-provider/token.actions.githubusercontent.com"
)

func policy(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

func opinion(t *testing.T, r iamjudge.Request) (doctor.Decision, iamjudge.Verdict) {
	t.Helper()
	v, err := iamjudge.Shared(t).Simulate(r)
	if err != nil {
		t.Fatal(err)
	}
	d, err := v.Opinion()
	if err != nil {
		t.Fatal(err)
	}
	return d, v
}

// The judge decides as IAM does, on cases whose answer AWS documents.
func TestJudgeDecides(t *testing.T) {
	read := `{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"` + secret + `"}`
	deny := `{"Effect":"Deny","Action":"secretsmanager:*","Resource":"*"}`
	decrypt := `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + key + `","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}`
	tests := []struct {
		name string
		r    iamjudge.Request
		want doctor.Decision
	}{
		{"an allow", iamjudge.Request{Identity: []any{policy(read)}, Action: "secretsmanager:GetSecretValue", Resource: secret}, doctor.Allowed},
		{"no statement", iamjudge.Request{Identity: []any{policy(read)}, Action: "secretsmanager:GetSecretValue", Resource: secret + "x"}, doctor.ImplicitDeny},
		{"a deny wins", iamjudge.Request{Identity: []any{policy(read, deny)}, Action: "secretsmanager:GetSecretValue", Resource: secret}, doctor.ExplicitDeny},
		{"a boundary without the action", iamjudge.Request{Identity: []any{policy(read)}, Boundary: []any{policy(decrypt)}, Action: "secretsmanager:GetSecretValue", Resource: secret}, doctor.ImplicitDeny},
		{"a boundary with it", iamjudge.Request{Identity: []any{policy(read)}, Boundary: []any{policy(read)}, Action: "secretsmanager:GetSecretValue", Resource: secret}, doctor.Allowed},
		{"a key through its service", iamjudge.Request{Identity: []any{policy(decrypt)}, Action: "kms:Decrypt", Resource: key, Context: map[string][]string{"kms:ViaService": {"secretsmanager.us-east-1.amazonaws.com"}}}, doctor.Allowed},
		{"a key directly", iamjudge.Request{Identity: []any{policy(decrypt)}, Action: "kms:Decrypt", Resource: key}, doctor.ImplicitDeny},
		{"a * inside a name is a character", iamjudge.Request{Identity: []any{policy(`{"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:us-east-1:` + account + `:dbuser:db-1/app"}`)}, Action: "rds-db:connect", Resource: "arn:aws:rds-db:us-east-1:" + account + ":dbuser:db-1/*"}, doctor.ImplicitDeny},
		{"which a wildcard matches", iamjudge.Request{Identity: []any{policy(`{"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:us-east-1:` + account + `:dbuser:db-1/*"}`)}, Action: "rds-db:connect", Resource: "arn:aws:rds-db:us-east-1:" + account + ":dbuser:db-1/*"}, doctor.Allowed},
		{"a parsed document", iamjudge.Request{Identity: []any{parse(t, policy(read))}, Action: "secretsmanager:GetSecretValue", Resource: secret}, doctor.Allowed},
	}
	for _, tt := range tests {
		tt.r.Principal, tt.r.Account = role, account
		if got, v := opinion(t, tt.r); got != tt.want {
			t.Errorf("%s: got %v (%+v), want %v", tt.name, got, v, tt.want)
		}
	}
}

func parse(t *testing.T, text string) doctor.PolicyDocument {
	t.Helper()
	d, err := doctor.ParsePolicy(text)
	if err != nil {
		t.Fatal(err)
	}
	d.Version = "" // as the evaluator's own literals leave it
	return d
}

// gapCases play each known gap: a condition on the key that the request
// meets, and one that it does not.
var gapCases = map[string]func(value string) iamjudge.Request{
	"kms:EncryptionContext:": func(value string) iamjudge.Request {
		return iamjudge.Request{
			Identity: []any{policy(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:SecretARN":"` + secret + `"}}}`)},
			Action:   "kms:Decrypt", Resource: key,
			Context: map[string][]string{"kms:EncryptionContext:SecretARN": {value}},
		}
	},
	"token.actions.githubusercontent.com:sub": func(value string) iamjudge.Request {
		return trust("token.actions.githubusercontent.com:sub", value)
	},
	"token.actions.githubusercontent.com:aud": func(value string) iamjudge.Request {
		return trust("token.actions.githubusercontent.com:aud", value)
	},
	"secretsmanager:ResourceTag/": func(value string) iamjudge.Request {
		return iamjudge.Request{
			Identity: []any{policy(`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn":"` + secret + `"}}}`)},
			Action:   "secretsmanager:GetSecretValue", Resource: secret,
			Context: map[string][]string{"secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn": {value}},
		}
	},
}

func trust(claim, value string) iamjudge.Request {
	return iamjudge.Request{
		ResourcePolicy: policy(`{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + claim + `":"` + secret + `"}}}`),
		Principal:      provider, Action: "sts:AssumeRoleWithWebIdentity", Resource: "arn:aws:iam::" + account + ":role/deploy",
		Context: map[string][]string{claim: {value}},
	}
}

// Each known gap is still open in the pinned release (when a release reads
// the key, this fails: remove the entry from KnownGaps), and the
// unfiltered decision that stands in for it reads the key.
func TestKnownGapsStillOpen(t *testing.T) {
	for _, g := range iamjudge.KnownGaps {
		play, ok := gapCases[g.Key]
		if !ok {
			t.Errorf("known gap %s has no case in gapCases", g.Key)
			continue
		}
		for value, want := range map[string]doctor.Decision{secret: doctor.Allowed, secret + "-other": doctor.ImplicitDeny} {
			r := play(value)
			if r.Principal == "" {
				r.Principal = role
			}
			r.Account = account
			got, v := opinion(t, r)
			if len(v.Ignored) == 0 {
				t.Errorf("the simulator now reads %s (%s): remove it from iamjudge.KnownGaps", g.Key, g.Why)
			}
			if got != want {
				t.Errorf("%s = %s: the unfiltered decision is %v, want %v (%+v)", g.Key, value, got, want, v)
			}
		}
	}
}

// Each action the simulator cannot answer for some resources still cannot
// (when a release can, this fails: remove the entry from KnownUnanswered).
func TestKnownUnansweredStillOpen(t *testing.T) {
	for _, u := range iamjudge.KnownUnanswered {
		_, err := iamjudge.Shared(t).Simulate(iamjudge.Request{
			Identity:  []any{policy(`{"Effect":"Allow","Action":"` + u.Action + `","Resource":"*"}`)},
			Principal: role, Account: account, Action: u.Action, Resource: u.Resource,
		})
		if !iamjudge.IsUnanswered(u.Action, err) {
			t.Errorf("the simulator now answers %s on %s (%v): remove it from iamjudge.KnownUnanswered (%s)", u.Action, u.Resource, err, u.Why)
		}
	}
}

// A key that does not apply to the action is dropped, and the decision is
// the one AWS makes without it; a dropped key that is no gap beside a gap
// leaves no opinion.
func TestKeysThatDoNotApply(t *testing.T) {
	r := iamjudge.Request{
		Identity:  []any{policy(`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"x"}}}`)},
		Principal: role, Account: account, Action: "secretsmanager:GetSecretValue", Resource: secret,
		Context: map[string][]string{"kms:ViaService": {"x"}},
	}
	got, v := opinion(t, r)
	if got != doctor.ImplicitDeny || fmt.Sprint(v.Ignored) != "[kms:ViaService]" {
		t.Errorf("got %v, ignored %v; want implicitly denied with kms:ViaService dropped", got, v.Ignored)
	}
	mixed := iamjudge.Verdict{Decision: "Allowed", Unfiltered: "Allowed", Ignored: []string{"kms:EncryptionContext:SecretARN", "kms:ViaService"}}
	if _, err := mixed.Opinion(); err == nil {
		t.Error("a verdict that dropped a gap and a key that does not apply gave an opinion")
	}
}

// Planted problems in a policy: each is reported, and a clean policy has
// no finding.
func TestValidateRejectsPlantedProblems(t *testing.T) {
	j := iamjudge.Shared(t)
	vpc := "arn:aws:ec2:us-east-1:" + account + ":vpc/*"
	tests := []struct {
		name, kind, statement, want string
	}{
		{"a misspelt action", "identity", `{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}`, "action s3:GetObjekt is no action AWS knows"},
		{"an unknown service", "identity", `{"Effect":"Allow","Action":"nosuch:Get*","Resource":"*"}`, "action nosuch:Get* is no action AWS knows"},
		{"a read that takes no resource", "identity", `{"Effect":"Allow","Action":"ec2:DescribeVpcs","Resource":"` + vpc + `"}`, "action ec2:DescribeVpcs applies to none of the resources"},
		{"a resource of another service", "identity", `{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":["` + secret + `","` + key + `"]}`, "resource " + key + " is no resource of the actions"},
		{"a condition key of another service", "identity", `{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"x"}}}`, "condition StringEquals on kms:ViaService applies to none of the actions"},
		{"a condition key that does not exist", "identity", `{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"ec2:Bogus":"x"}}}`, "condition StringEquals on ec2:Bogus: no such condition key"},
		{"a trust policy's misspelt action", "trust", `{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRoel"}`, "action sts:AssumeRoel is no action AWS knows"},
	}
	for _, tt := range tests {
		findings, err := j.Validate(tt.kind, policy(tt.statement))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(findings, "\n"), tt.want) {
			t.Errorf("%s: findings %q, want one with %q", tt.name, findings, tt.want)
		}
	}
	clean := []struct{ kind, statement string }{
		{"identity", `{"Effect":"Allow","Action":["ec2:CreateTags","ec2:DeleteTags"],"Resource":"` + vpc + `","Condition":{"StringEquals":{"aws:RequestTag/pollstack:stack":"x","ec2:CreateAction":"CreateVpc"}}}`},
		{"identity", `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + key + `","Condition":{"StringEquals":{"kms:EncryptionContext:SecretARN":"` + secret + `","kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}`},
		{"identity", `{"Effect":"Allow","Action":["ec2:Describe*","secretsmanager:ListSecrets"],"Resource":"*"}`},
		{"trust", `{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:o/r:ref:refs/heads/main"}}}`},
		{"resource", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"}`},
	}
	for _, c := range clean {
		findings, err := j.Validate(c.kind, policy(c.statement))
		if err != nil {
			t.Fatal(err)
		}
		if len(findings) > 0 {
			t.Errorf("a clean %s statement %s: findings %q", c.kind, c.statement, findings)
		}
	}
}

// BenchmarkSimulate prints what one new question costs, round trip (the
// judge answers a question it was asked before from memory: each one
// here names another secret).
func BenchmarkSimulate(b *testing.B) {
	j := iamjudge.Shared(b)
	r := iamjudge.Request{
		Identity:  []any{policy(`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"` + secret + `"}`)},
		Principal: role, Account: account, Action: "secretsmanager:GetSecretValue",
	}
	n := 0
	for b.Loop() {
		n++
		r.Resource = fmt.Sprintf("%s-%d", secret, n)
		if _, err := j.Simulate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// A call on a resource that AWS never authorizes the action on, or with a
// resource where the action takes none, is refused with what to change.
func TestRefusesCallsAWSNeverMakes(t *testing.T) {
	j := iamjudge.Shared(t)
	for _, tt := range []struct{ action, resource, want string }{
		{"wafv2:DisassociateWebACL", "arn:aws:wafv2:us-east-1:" + account + ":regional/webacl/acl/1", "no resource type of wafv2:DisassociateWebACL matches"},
		{"elasticloadbalancing:SetWebAcl", "arn:aws:elasticloadbalancing:us-east-1:" + account + ":loadbalancer/app/lb/1", "IAM authorizes it on *"},
		{"s3:GetObjekt", "*", "AWS has no action s3:GetObjekt"},
	} {
		_, err := j.Simulate(iamjudge.Request{Principal: role, Account: account, Action: tt.action, Resource: tt.resource})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s on %s: %v, want an error with %q", tt.action, tt.resource, err, tt.want)
		}
	}
}
