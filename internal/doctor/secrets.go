package doctor

import (
	"context"
	"encoding/json"
	"fmt"
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
			arn := secretARN(aws.ToString(s.ValueFrom))
			if arn != "" && !seen[arn] {
				seen[arn] = true
				out = append(out, arn)
			}
		}
	}
	sort.Strings(out)
	return out
}

// secretARN returns the secret's ARN from a valueFrom such as
// arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::
// or "" when valueFrom is not a Secrets Manager ARN (an SSM parameter).
func secretARN(valueFrom string) string {
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

// roleDecision evaluates a request against the role's identity policies
// and its permissions boundary: both must allow, and any Deny wins.
func roleDecision(policies, boundary []PolicyDocument, req Request) Decision {
	return EvaluateBounded(policies, boundary, req)
}

func (d *deployment) checkSecretDecrypt(ctx context.Context) Check {
	secrets := d.secretRefs()
	if len(secrets) == 0 {
		return ok(SecretDecrypt, "the task definition references no Secrets Manager secret")
	}
	roleARN := aws.ToString(d.taskDef.ExecutionRoleArn)
	if roleARN == "" {
		return failed(SecretDecrypt,
			"the task definition references secrets but has no execution role",
			"set the task definition's executionRoleArn to the execution role of module security")
	}
	policies, boundary, err := d.rolePolicies(ctx, roleARN)
	if err != nil {
		return errored(SecretDecrypt, err)
	}
	role := roleName(roleARN)
	account := arnField(roleARN, 4)
	var faults, fixes, checked []string
	for _, sarn := range secrets {
		region := arnField(sarn, 3)
		base := map[string][]string{
			"aws:PrincipalArn":     {roleARN},
			"aws:PrincipalAccount": {account},
			"aws:RequestedRegion":  {region},
		}
		if dec := roleDecision(policies, boundary, Request{Action: "secretsmanager:GetSecretValue", Resource: sarn, Context: base}); dec != Allowed {
			faults = append(faults, fmt.Sprintf("execution role %s is %s secretsmanager:GetSecretValue on secret %s", role, dec, sarn))
			fixes = append(fixes, fmt.Sprintf("allow secretsmanager:GetSecretValue on %s to the execution role (module security)", sarn))
		}
		sec, err := d.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(sarn)})
		if err != nil {
			return errored(SecretDecrypt, fmt.Errorf("describe secret %s: %w", sarn, err))
		}
		keyID := aws.ToString(sec.KmsKeyId)
		if keyID == "" || keyID == "alias/aws/secretsmanager" {
			checked = append(checked, fmt.Sprintf("%s (AWS managed key)", sarn))
			continue
		}
		key, err := d.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
		if err != nil {
			return errored(SecretDecrypt, fmt.Errorf("describe key %s of secret %s: %w", keyID, sarn, err))
		}
		keyARN := aws.ToString(key.KeyMetadata.Arn)
		req := Request{Action: "kms:Decrypt", Resource: keyARN, Context: map[string][]string{
			"kms:ViaService":                  {"secretsmanager." + region + ".amazonaws.com"},
			"kms:CallerAccount":               {account},
			"kms:EncryptionContext:SecretARN": {sarn},
			"kms:EncryptionContextKeys":       {"SecretARN", "SecretVersionId"},
			"aws:PrincipalArn":                {roleARN},
			"aws:PrincipalAccount":            {account},
			"aws:RequestedRegion":             {region},
			"aws:CalledVia":                   {"secretsmanager.amazonaws.com"},
			"aws:CalledViaFirst":              {"secretsmanager.amazonaws.com"},
			"aws:ViaAWSService":               {"true"},
		}}
		dec := roleDecision(policies, boundary, req)
		keyDec, keyNote := d.keyPolicyDecision(ctx, keyARN, roleARN, req)
		switch {
		case keyDec == ExplicitDeny:
			faults = append(faults, fmt.Sprintf("the key policy of %s denies kms:Decrypt to execution role %s (secret %s)", keyARN, role, sarn))
			fixes = append(fixes, fmt.Sprintf("remove the Deny for the execution role from the key policy of %s", keyARN))
		case keyDec == Allowed && dec != ExplicitDeny:
			// The key policy grants the role directly.
		case keyDec == ImplicitDeny:
			faults = append(faults, fmt.Sprintf("the key policy of %s neither grants kms:Decrypt to execution role %s nor delegates to IAM (secret %s)", keyARN, role, sarn))
			fixes = append(fixes, fmt.Sprintf("let the key policy of %s delegate to IAM (the account root principal) or grant kms:Decrypt to the execution role", keyARN))
		case dec != Allowed:
			faults = append(faults, fmt.Sprintf("execution role %s is %s kms:Decrypt on key %s that encrypts secret %s", role, dec, keyARN, sarn))
			fixes = append(fixes, fmt.Sprintf("allow kms:Decrypt on %s to the execution role with the condition kms:ViaService = secretsmanager.%s.amazonaws.com (module security)", keyARN, region))
		}
		checked = append(checked, fmt.Sprintf("%s (key %s%s)", sarn, keyARN, keyNote))
	}
	if len(faults) > 0 {
		return failed(SecretDecrypt, strings.Join(faults, "; "), strings.Join(fixes, "; "))
	}
	return ok(SecretDecrypt, "execution role %s can read and decrypt %s", role, strings.Join(checked, ", "))
}

// keyPolicyDecision evaluates the key policy for the role: Allowed when it
// grants the role itself, ExplicitDeny when it denies the role, delegates
// when it leaves the decision to IAM policies (a statement for the account
// principal), ImplicitDeny when it does neither.
func (d *deployment) keyPolicyDecision(ctx context.Context, keyARN, roleARN string, req Request) (Decision, string) {
	out, err := d.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default")})
	if err != nil {
		// Reading the key policy needs kms:GetKeyPolicy; without it rely
		// on the IAM decision and say so.
		return delegates, "; key policy not read: " + shortErr(err)
	}
	doc, err := ParsePolicy(aws.ToString(out.Policy))
	if err != nil {
		return delegates, "; key policy not parsed: " + err.Error()
	}
	return keyPolicy(doc, keyARN, roleARN, req), ""
}

// delegates is the key-policy outcome "the key policy lets IAM decide".
const delegates Decision = -1

// keyPolicy applies a key policy's statements whose principal is the role,
// its account, or anyone.
func keyPolicy(doc PolicyDocument, keyARN, roleARN string, req Request) Decision {
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
	req.Resource = keyARN
	if Evaluate([]PolicyDocument{{Statement: direct}}, req) == ExplicitDeny {
		return ExplicitDeny
	}
	if Evaluate([]PolicyDocument{{Statement: direct}}, req) == Allowed {
		return Allowed
	}
	if Evaluate([]PolicyDocument{{Statement: viaAccount}}, req) == Allowed {
		return delegates
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
