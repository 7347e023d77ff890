package doctor

import (
	"net/url"
	"strings"
	"testing"
)

const (
	testKey    = "arn:aws:kms:eu-west-1:123456789012:key/1111-2222"
	otherKey   = "arn:aws:kms:eu-west-1:123456789012:key/9999-0000"
	testSecret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-abc-AbCdEf"
	testRole   = "arn:aws:iam::123456789012:role/pollstack-exec"
)

func decryptRequest(key, via string) Request {
	ctx := map[string][]string{"kms:CallerAccount": {"123456789012"}, "aws:PrincipalArn": {testRole}}
	if via != "" {
		ctx["kms:ViaService"] = []string{via}
	}
	return Request{Action: "kms:Decrypt", Resource: key, Context: ctx}
}

func TestEvaluate(t *testing.T) {
	viaSM := "secretsmanager.eu-west-1.amazonaws.com"
	tests := []struct {
		name   string
		policy string
		req    Request
		want   Decision
	}{
		{"allow on the key", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + testKey + `"}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"allow on star", `{"Statement":[{"Effect":"Allow","Action":["kms:Decrypt"],"Resource":"*"}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"single statement object", `{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"action wildcard kms:Dec*", `{"Statement":[{"Effect":"Allow","Action":"kms:Dec*","Resource":"*"}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"action is case-insensitive", `{"Statement":[{"Effect":"Allow","Action":"KMS:decrypt","Resource":"*"}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"other key only", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + otherKey + `"}]}`,
			decryptRequest(testKey, viaSM), ImplicitDeny},
		{"resource wildcard on key ids", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:eu-west-1:123456789012:key/*"}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"resource ? wildcard", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:eu-west-?:123456789012:key/1111-2222"}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"no kms:Decrypt at all", `{"Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","kms:Encrypt"],"Resource":"*"}]}`,
			decryptRequest(testKey, viaSM), ImplicitDeny},
		{"via secretsmanager: condition met", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + testKey + `","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"}}}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"via service key is case-insensitive", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + testKey + `","Condition":{"StringEquals":{"KMS:VIASERVICE":"secretsmanager.eu-west-1.amazonaws.com"}}}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"via the wrong region", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + testKey + `","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}]}`,
			decryptRequest(testKey, viaSM), ImplicitDeny},
		{"via another service", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.eu-west-1.amazonaws.com"}}}]}`,
			decryptRequest(testKey, viaSM), ImplicitDeny},
		{"via service required but called directly", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"}}}]}`,
			decryptRequest(testKey, ""), ImplicitDeny},
		{"via service list of values", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":["s3.eu-west-1.amazonaws.com","secretsmanager.eu-west-1.amazonaws.com"]}}}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"via service StringLike", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"kms:ViaService":"secretsmanager.*.amazonaws.com"}}}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"IfExists on a missing key", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEqualsIfExists":{"kms:GrantIsForAWSResource":"true"}}}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"two conditions, one fails", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com","kms:CallerAccount":"999999999999"}}}]}`,
			decryptRequest(testKey, viaSM), ImplicitDeny},
		{"explicit deny wins", `{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Action":"kms:Decrypt","Resource":"` + testKey + `"}]}`,
			decryptRequest(testKey, viaSM), ExplicitDeny},
		{"deny unless via service, called via service", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"},{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"}}}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"deny unless via service, called directly", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"},{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"}}}]}`,
			decryptRequest(testKey, ""), ExplicitDeny},
		{"NotAction allow everything but iam", `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"NotAction excluding kms", `{"Statement":[{"Effect":"Allow","NotAction":["kms:*"],"Resource":"*"}]}`,
			decryptRequest(testKey, viaSM), ImplicitDeny},
		{"NotResource other key", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"` + otherKey + `"}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"deny with NotResource on this key", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"},{"Effect":"Deny","Action":"kms:Decrypt","NotResource":"` + testKey + `"}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"ArnLike on principal", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/pollstack-*"}}}]}`,
			decryptRequest(testKey, viaSM), Allowed},
		{"Null condition: key must exist", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"Null":{"kms:ViaService":"false"}}}]}`,
			decryptRequest(testKey, ""), ImplicitDeny},
		{"unknown operator never allows", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"NumericLessThan":{"kms:RecipientAttestation:ImageSha384":"1"}}}]}`,
			decryptRequest(testKey, viaSM), ImplicitDeny},
		{"unknown operator on a deny applies", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"},{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`,
			decryptRequest(testKey, viaSM), ExplicitDeny},
		{"statement without resource never matches", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt"}]}`,
			decryptRequest(testKey, viaSM), ImplicitDeny},
		{"URL-encoded as IAM returns it", url.QueryEscape(`{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + testKey + `"}]}`),
			decryptRequest(testKey, viaSM), Allowed},
		{"GetSecretValue on the secret with suffix wildcard", `{"Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-abc-*"}]}`,
			Request{Action: "secretsmanager:GetSecretValue", Resource: testSecret}, Allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := ParsePolicy(tt.policy)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := Evaluate([]PolicyDocument{doc}, tt.req), tt.want; got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestEvaluateAcrossPolicies(t *testing.T) {
	allow, _ := ParsePolicy(`{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`)
	deny, _ := ParsePolicy(`{"Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*"}]}`)
	if got, want := Evaluate([]PolicyDocument{allow, deny}, decryptRequest(testKey, "")), ExplicitDeny; got != want {
		t.Errorf("deny in a second policy: got %v, want %v", got, want)
	}
	if got, want := Evaluate(nil, decryptRequest(testKey, "")), ImplicitDeny; got != want {
		t.Errorf("no policies: got %v, want %v", got, want)
	}
}

func TestKeyPolicy(t *testing.T) {
	req := decryptRequest(testKey, "secretsmanager.eu-west-1.amazonaws.com")
	tests := []struct {
		name, policy string
		want         Decision
	}{
		{"delegates to IAM", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`, Delegated},
		{"delegates by account id", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"kms:*","Resource":"*"}]}`, Delegated},
		{"grants the role", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["` + testRole + `"]},"Action":"kms:Decrypt","Resource":"*"}]}`, Allowed},
		{"only another account", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"kms:*","Resource":"*"}]}`, ImplicitDeny},
		{"admins only", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/admin"},"Action":"kms:*","Resource":"*"}]}`, ImplicitDeny},
		{"denies everyone", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}`, ExplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := ParsePolicy(tt.policy)
			if err != nil {
				t.Fatal(err)
			}
			if got := ResourcePolicy(doc, testKey, testRole, req); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSecretARN(t *testing.T) {
	tests := map[string]string{
		testSecret:                                        testSecret,
		testSecret + ":password::":                        testSecret,
		testSecret + ":username:AWSCURRENT:":              testSecret,
		"arn:aws:ssm:eu-west-1:123456789012:parameter/db": "",
		"db-password":                                     "",
	}
	for in, want := range tests {
		if got := SecretARN(in); got != want {
			t.Errorf("SecretARN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"*", "", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"arn:aws:kms:*:*:key/*", testKey, true},
		{"*:key/1111-2222", testKey, true},
		{"**", "x", true},
	}
	for _, tt := range tests {
		if got := wildcard(tt.pattern, tt.value, false); got != tt.want {
			t.Errorf("wildcard(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func TestEvaluateBounded(t *testing.T) {
	any, _ := ParsePolicy(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	boundary, _ := ParsePolicy(`{"Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"` + testSecret + `"}]}`)
	denyAll, _ := ParsePolicy(`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)
	read := func(arn string) Request { return Request{Action: "secretsmanager:GetSecretValue", Resource: arn} }
	other := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-other-XyZ"
	tests := []struct {
		name               string
		identity, boundary []PolicyDocument
		req                Request
		want               Decision
	}{
		{"inside both", []PolicyDocument{any}, []PolicyDocument{boundary}, read(testSecret), Allowed},
		{"outside the boundary", []PolicyDocument{any}, []PolicyDocument{boundary}, read(other), ImplicitDeny},
		{"no boundary", []PolicyDocument{any}, nil, read(other), Allowed},
		{"boundary alone grants nothing", nil, []PolicyDocument{boundary}, read(testSecret), ImplicitDeny},
		{"deny in the boundary wins", []PolicyDocument{any}, []PolicyDocument{boundary, denyAll}, read(testSecret), ExplicitDeny},
	}
	for _, tt := range tests {
		if got := EvaluateBounded(tt.identity, tt.boundary, tt.req); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEvaluateTrust(t *testing.T) {
	const provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	trust, err := ParsePolicy(`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:o/r:environment:production"}}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	token := func(sub string) Request {
		ctx := map[string][]string{"token.actions.githubusercontent.com:aud": {"sts.amazonaws.com"}}
		if sub != "" {
			ctx["token.actions.githubusercontent.com:sub"] = []string{sub}
		}
		return Request{Action: "sts:AssumeRoleWithWebIdentity", Resource: "arn:aws:iam::123456789012:role/deploy", Context: ctx}
	}
	tests := []struct {
		name, typ, principal, sub string
		want                      Decision
	}{
		{"the environment's token", "Federated", provider, "repo:o/r:environment:production", Allowed},
		{"another environment", "Federated", provider, "repo:o/r:environment:staging", ImplicitDeny},
		{"no subject", "Federated", provider, "", ImplicitDeny},
		{"another provider", "Federated", "arn:aws:iam::123456789012:oidc-provider/example.com", "repo:o/r:environment:production", ImplicitDeny},
		{"an AWS principal", "AWS", provider, "repo:o/r:environment:production", ImplicitDeny},
	}
	for _, tt := range tests {
		if got := EvaluateTrust(trust, tt.typ, tt.principal, token(tt.sub)); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUnsupported(t *testing.T) {
	doc, _ := ParsePolicy(`{"Statement":[{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":"v"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}},
		{"Sid":"b","Effect":"Deny","NotPrincipal":{"AWS":"x"},"Action":"*","Resource":"*"}]}`)
	got := Unsupported(doc)
	if len(got) != 2 || !strings.Contains(got[0], "DateGreaterThan") || !strings.Contains(got[1], "NotPrincipal") {
		t.Errorf("Unsupported = %q, want the date operator and NotPrincipal", got)
	}
}
