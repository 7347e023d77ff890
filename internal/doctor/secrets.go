package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// secretRefs returns the distinct Secrets Manager secret ARNs that the
// containers of the task definition and of the migration task reference by
// valueFrom, without the JSON key, version stage and version id suffixes.
func (d *deployment) secretRefs() []string {
	seen := map[string]bool{}
	var out []string
	containers := d.taskDef.ContainerDefinitions
	if d.migrateDef != nil {
		containers = append(containers[:len(containers):len(containers)], d.migrateDef.ContainerDefinitions...)
	}
	for _, c := range containers {
		for _, s := range c.Secrets {
			arn := SecretARN(aws.ToString(s.ValueFrom))
			if arn != "" && !seen[arn] {
				seen[arn] = true
				out = append(out, arn)
			}
		}
	}
	sort.Strings(out)
	return out
}

// SecretARN returns the secret's ARN from a valueFrom such as
// arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::
// or "" when valueFrom is not a Secrets Manager ARN (an SSM parameter).
func SecretARN(valueFrom string) string {
	parts := strings.Split(valueFrom, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "secretsmanager" || parts[5] != "secret" {
		return ""
	}
	return strings.Join(parts[:7], ":")
}

// arnField returns the n-th colon-separated field of an ARN (4 is the account).
func arnField(arn string, n int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) <= n {
		return ""
	}
	return parts[n]
}

// roleName returns the name of a role from its ARN (the part after the path).
func roleName(arn string) string {
	res := arnField(arn, 5) // role/path/name
	if i := strings.LastIndex(res, "/"); i >= 0 {
		return res[i+1:]
	}
	return res
}

// rolePolicies loads every identity policy of a role: inline, attached
// managed, and its permissions boundary (returned separately).
func (d *deployment) rolePolicies(ctx context.Context, roleARN string) (policies, boundary []PolicyDocument, err error) {
	name := roleName(roleARN)
	role, err := d.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return nil, nil, fmt.Errorf("get role %s: %w", name, err)
	}
	inline := iam.NewListRolePoliciesPaginator(d.iam, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("list inline policies of %s: %w", name, err)
		}
		for _, pn := range page.PolicyNames {
			out, err := d.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)})
			if err != nil {
				return nil, nil, fmt.Errorf("get inline policy %s of %s: %w", pn, name, err)
			}
			doc, err := ParsePolicy(aws.ToString(out.PolicyDocument))
			if err != nil {
				return nil, nil, fmt.Errorf("inline policy %s of %s: %w", pn, name, err)
			}
			policies = append(policies, doc)
		}
	}
	attached := iam.NewListAttachedRolePoliciesPaginator(d.iam, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("list attached policies of %s: %w", name, err)
		}
		for _, p := range page.AttachedPolicies {
			doc, err := d.managedPolicy(ctx, aws.ToString(p.PolicyArn))
			if err != nil {
				return nil, nil, err
			}
			policies = append(policies, doc)
		}
	}
	if role.Role.PermissionsBoundary != nil && role.Role.PermissionsBoundary.PermissionsBoundaryArn != nil {
		doc, err := d.managedPolicy(ctx, aws.ToString(role.Role.PermissionsBoundary.PermissionsBoundaryArn))
		if err != nil {
			return nil, nil, err
		}
		boundary = []PolicyDocument{doc}
	}
	return policies, boundary, nil
}

func (d *deployment) managedPolicy(ctx context.Context, arn string) (PolicyDocument, error) {
	p, err := d.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return PolicyDocument{}, fmt.Errorf("get policy %s: %w", arn, err)
	}
	v, err := d.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.Policy.DefaultVersionId})
	if err != nil {
		return PolicyDocument{}, fmt.Errorf("get policy %s version: %w", arn, err)
	}
	doc, err := ParsePolicy(aws.ToString(v.PolicyVersion.Document))
	if err != nil {
		return PolicyDocument{}, fmt.Errorf("policy %s: %w", arn, err)
	}
	return doc, nil
}

// SecretSuffix ends the name of every setting whose value is the ARN of a
// secret the app reads at run time with its task role.
const SecretSuffix = "_SECRET_ARN"

// reader is a role of the deployment and the secrets it reads: the
// execution role resolves the containers' valueFrom when a task starts,
// the task role reads each *_SECRET_ARN setting while the app runs.
type reader struct {
	kind, roleARN string
	secrets       []string
}

// readers returns who reads which secret in the service's task definition
// and the migration's, and the references that have no role to read them.
func (d *deployment) readers() (out []reader, faults []string) {
	byRole := map[string]*reader{}
	add := func(kind, roleARN, secret string) {
		r := byRole[kind+" "+roleARN]
		if r == nil {
			r = &reader{kind: kind, roleARN: roleARN}
			byRole[kind+" "+roleARN] = r
		}
		if !slices.Contains(r.secrets, secret) {
			r.secrets = append(r.secrets, secret)
		}
	}
	for _, td := range []*ecstypes.TaskDefinition{d.taskDef, d.migrateDef} {
		if td == nil {
			continue
		}
		family := aws.ToString(td.Family)
		for _, c := range td.ContainerDefinitions {
			for _, s := range c.Secrets {
				sarn := SecretARN(aws.ToString(s.ValueFrom))
				switch {
				case sarn == "":
				case td.ExecutionRoleArn == nil:
					faults = append(faults, fmt.Sprintf("task definition %s references secret %s but has no execution role to resolve it", family, sarn))
				default:
					add("execution role", aws.ToString(td.ExecutionRoleArn), sarn)
				}
			}
			for _, kv := range c.Environment {
				if !strings.HasSuffix(aws.ToString(kv.Name), SecretSuffix) {
					continue
				}
				sarn := SecretARN(aws.ToString(kv.Value))
				switch {
				case sarn == "":
					faults = append(faults, fmt.Sprintf("setting %s of task definition %s is not a Secrets Manager ARN: %q", aws.ToString(kv.Name), family, aws.ToString(kv.Value)))
				case td.TaskRoleArn == nil:
					faults = append(faults, fmt.Sprintf("task definition %s names secret %s in %s but has no task role to read it", family, sarn, aws.ToString(kv.Name)))
				default:
					add("task role", aws.ToString(td.TaskRoleArn), sarn)
				}
			}
		}
	}
	for _, r := range byRole {
		sort.Strings(r.secrets)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].kind+out[i].roleARN < out[j].kind+out[j].roleARN })
	return out, faults
}

// ReadSecretRequest is the call a role makes to read a secret's value; tags
// are the secret's tags, which conditions on secretsmanager:ResourceTag see.
func ReadSecretRequest(secretARN, roleARN string, tags map[string]string) Request {
	ctx := map[string][]string{
		"aws:PrincipalArn":     {roleARN},
		"aws:PrincipalAccount": {arnField(roleARN, 4)},
		"aws:RequestedRegion":  {arnField(secretARN, 3)},
	}
	for k, v := range tags {
		ctx["secretsmanager:ResourceTag/"+k] = []string{v}
		ctx["aws:ResourceTag/"+k] = []string{v}
	}
	return Request{Action: "secretsmanager:GetSecretValue", Resource: secretARN, Context: ctx}
}

// DecryptSecretRequest is the kms:Decrypt call Secrets Manager makes for a
// role that reads secretARN, encrypted with keyARN: through Secrets Manager,
// with the secret's ARN as encryption context.
func DecryptSecretRequest(secretARN, keyARN, roleARN string) Request {
	region, account := arnField(secretARN, 3), arnField(roleARN, 4)
	return Request{Action: "kms:Decrypt", Resource: keyARN, Context: map[string][]string{
		"kms:ViaService":                  {"secretsmanager." + region + ".amazonaws.com"},
		"kms:CallerAccount":               {account},
		"kms:EncryptionContext:SecretARN": {secretARN},
		"kms:EncryptionContextKeys":       {"SecretARN", "SecretVersionId"},
		"aws:PrincipalArn":                {roleARN},
		"aws:PrincipalAccount":            {account},
		"aws:RequestedRegion":             {region},
		"aws:CalledVia":                   {"secretsmanager.amazonaws.com"},
		"aws:CalledViaFirst":              {"secretsmanager.amazonaws.com"},
		"aws:ViaAWSService":               {"true"},
	}}
}

// SameAccount combines the decisions of a role's identity policies (with
// its boundary) and of a resource's policy within one account: an explicit
// Deny in either wins, then an Allow in either.
func SameAccount(identity, resource Decision) Decision {
	switch {
	case identity == ExplicitDeny || resource == ExplicitDeny:
		return ExplicitDeny
	case identity == Allowed || resource == Allowed:
		return Allowed
	}
	return ImplicitDeny
}

// WithKeyPolicy combines a role's identity decision with its key policy's
// (ResourcePolicy): a key is used only as its policy says, so IAM counts
// only where the key policy delegates to the account.
func WithKeyPolicy(identity, key Decision) Decision {
	switch {
	case identity == ExplicitDeny || key == ExplicitDeny:
		return ExplicitDeny
	case key == Allowed:
		return Allowed
	case key == Delegated:
		return identity
	}
	return ImplicitDeny
}

// secretFacts is what doctor reads about a secret: metadata only, never
// its value (the plan role, which may not read values, suffices).
type secretFacts struct {
	tags      map[string]string
	keyARN    string // "": the AWS managed key
	policy    *PolicyDocument
	keyPolicy *PolicyDocument // nil: not readable, IAM decides
	keyNote   string          // why the key policy was not read
}

func (d *deployment) secretFacts(ctx context.Context, sarn string) (secretFacts, error) {
	sec, err := d.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(sarn)})
	if err != nil {
		return secretFacts{}, fmt.Errorf("describe secret %s: %w", sarn, err)
	}
	f := secretFacts{tags: map[string]string{}}
	for _, t := range sec.Tags {
		f.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if id := aws.ToString(sec.KmsKeyId); id != "" && id != "alias/aws/secretsmanager" {
		key, err := d.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil {
			return secretFacts{}, fmt.Errorf("describe key %s of secret %s: %w", id, sarn, err)
		}
		f.keyARN = aws.ToString(key.KeyMetadata.Arn)
		f.keyPolicy, f.keyNote = d.keyPolicy(ctx, f.keyARN)
	}
	if out, err := d.secrets.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(sarn)}); err == nil && aws.ToString(out.ResourcePolicy) != "" {
		doc, err := ParsePolicy(aws.ToString(out.ResourcePolicy))
		if err != nil {
			return secretFacts{}, fmt.Errorf("resource policy of secret %s: %w", sarn, err)
		}
		f.policy = &doc
	}
	return f, nil
}

// checkSecretDecrypt checks the invariant behind the first failure class:
// every role that reads a secret (the execution role for valueFrom, the
// task role for each *_SECRET_ARN setting) may read it and decrypt it
// through Secrets Manager. Each fault names the role, the secret and the
// statement that is missing.
func (d *deployment) checkSecretDecrypt(ctx context.Context) Check {
	readers, faults := d.readers()
	if len(readers) == 0 && len(faults) == 0 {
		return ok(SecretDecrypt, "the task definitions reference no Secrets Manager secret")
	}
	var fixes, checked []string
	facts := map[string]secretFacts{}
	for _, r := range readers {
		policies, boundary, err := d.rolePolicies(ctx, r.roleARN)
		if err != nil {
			return errored(SecretDecrypt, err)
		}
		who := r.kind + " " + roleName(r.roleARN)
		for _, sarn := range r.secrets {
			f, seen := facts[sarn]
			if !seen {
				if f, err = d.secretFacts(ctx, sarn); err != nil {
					return errored(SecretDecrypt, err)
				}
				facts[sarn] = f
			}
			fault, fix, note := judgeSecret(who, r.roleARN, sarn, f, policies, boundary)
			if fault != "" {
				faults, fixes = append(faults, fault), append(fixes, fix)
				continue
			}
			checked = append(checked, fmt.Sprintf("%s reads %s%s", who, sarn, note))
		}
	}
	if len(faults) > 0 {
		if len(fixes) == 0 {
			fixes = append(fixes, "give each task definition the role that reads its secrets (module compute)")
		}
		return failed(SecretDecrypt, strings.Join(faults, "; "), strings.Join(fixes, "; "))
	}
	return ok(SecretDecrypt, "%s", strings.Join(checked, "; "))
}

// judgeSecret decides whether one role may read and decrypt one secret and,
// when it may not, says which statement is missing.
func judgeSecret(who, roleARN, sarn string, f secretFacts, policies, boundary []PolicyDocument) (fault, fix, note string) {
	read := ReadSecretRequest(sarn, roleARN, f.tags)
	resource := ImplicitDeny
	if f.policy != nil {
		resource = ResourcePolicy(*f.policy, sarn, roleARN, read)
	}
	switch dec := SameAccount(EvaluateBounded(policies, boundary, read), resource); {
	case resource == ExplicitDeny:
		return fmt.Sprintf("the resource policy of secret %s denies secretsmanager:GetSecretValue to %s", sarn, who),
			fmt.Sprintf("let the resource policy of %s allow %s to read it", sarn, roleARN), ""
	case dec != Allowed:
		return fmt.Sprintf("%s is %s secretsmanager:GetSecretValue on secret %s", who, dec, sarn),
			fmt.Sprintf("add a statement allowing secretsmanager:GetSecretValue on %s to %s", sarn, who), ""
	}
	if f.keyARN == "" {
		return "", "", " (AWS managed key)"
	}
	decrypt := DecryptSecretRequest(sarn, f.keyARN, roleARN)
	key := Delegated
	if f.keyPolicy != nil {
		key = ResourcePolicy(*f.keyPolicy, f.keyARN, roleARN, decrypt)
	}
	identity := EvaluateBounded(policies, boundary, decrypt)
	if WithKeyPolicy(identity, key) == Allowed {
		return "", "", fmt.Sprintf(" (key %s%s)", f.keyARN, f.keyNote)
	}
	switch key {
	case ExplicitDeny:
		return fmt.Sprintf("the key policy of %s denies kms:Decrypt to %s (secret %s)", f.keyARN, who, sarn),
			fmt.Sprintf("remove the Deny for %s from the key policy of %s", who, f.keyARN), ""
	case ImplicitDeny:
		return fmt.Sprintf("the key policy of %s neither grants kms:Decrypt to %s nor delegates to IAM (secret %s)", f.keyARN, who, sarn),
			fmt.Sprintf("let the key policy of %s delegate to IAM (the account root principal) or grant kms:Decrypt to %s", f.keyARN, who), ""
	}
	return fmt.Sprintf("%s is %s kms:Decrypt on key %s that encrypts secret %s", who, identity, f.keyARN, sarn),
		fmt.Sprintf("add a statement allowing kms:Decrypt on %s to %s with the conditions kms:ViaService = %s and kms:EncryptionContext:SecretARN = %s",
			f.keyARN, who, decrypt.Context["kms:ViaService"][0], sarn), ""
}

// keyPolicy reads a key's policy; when it cannot (kms:GetKeyPolicy is not
// granted) IAM decides, and the note says so.
func (d *deployment) keyPolicy(ctx context.Context, keyARN string) (*PolicyDocument, string) {
	out, err := d.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default")})
	if err != nil {
		return nil, "; key policy not read: " + shortErr(err)
	}
	doc, err := ParsePolicy(aws.ToString(out.Policy))
	if err != nil {
		return nil, "; key policy not parsed: " + err.Error()
	}
	return &doc, ""
}

// Delegated is the resource-policy outcome "the policy lets the account's
// IAM policies decide" (a statement for the account's root principal).
const Delegated Decision = -1

// ResourcePolicy applies a resource policy (a key policy, a secret's
// policy) to a role of the same account: the statements whose principal is
// the role or anyone decide first (Allowed, ExplicitDeny); otherwise a
// statement for the account's principal that allows the request delegates
// to IAM (Delegated); otherwise ImplicitDeny.
func ResourcePolicy(doc PolicyDocument, resourceARN, roleARN string, req Request) Decision {
	account := arnField(roleARN, 4)
	root := "arn:" + arnField(roleARN, 1) + ":iam::" + account + ":root"
	var direct, viaAccount []Statement
	for _, st := range doc.Statement {
		for _, p := range principals(st.Principal) {
			switch {
			case p == "*" || p == roleARN:
				direct = append(direct, st)
			case p == root || p == account:
				viaAccount = append(viaAccount, st)
			}
		}
	}
	req.Resource = resourceARN
	switch dec := Evaluate([]PolicyDocument{{Statement: direct}}, req); dec {
	case ExplicitDeny, Allowed:
		return dec
	}
	if Evaluate([]PolicyDocument{{Statement: viaAccount}}, req) == Allowed {
		return Delegated
	}
	return ImplicitDeny
}

// principals returns the AWS principals of a statement ("*" for anyone).
func principals(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var m map[string]stringList
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m["AWS"]
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
