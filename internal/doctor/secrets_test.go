package doctor

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	taskRole  = "arn:aws:iam::123456789012:role/pollstack-task"
	serverKey = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pollstack-server-key-AbCdEf"
)

func mustParse(t *testing.T, doc string) PolicyDocument {
	t.Helper()
	p, err := ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Who reads what comes from the task definitions: valueFrom for the
// execution role, every *_SECRET_ARN setting for the task role, the
// migration's task definition too.
func TestReaders(t *testing.T) {
	env := func(kv ...string) []ecstypes.KeyValuePair {
		var out []ecstypes.KeyValuePair
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, ecstypes.KeyValuePair{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
		return out
	}
	d := &deployment{
		taskDef: &ecstypes.TaskDefinition{Family: aws.String("pollstack-app"), ExecutionRoleArn: aws.String(testRole), TaskRoleArn: aws.String(taskRole),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Environment: env("POLLSTACK_SERVER_KEY_SECRET_ARN", serverKey, "DATABASE_URL", "postgres://x")}}},
		migrateDef: &ecstypes.TaskDefinition{Family: aws.String("pollstack-migrate"), ExecutionRoleArn: aws.String(testRole),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Secrets: []ecstypes.Secret{{Name: aws.String("DATABASE_PASSWORD"), ValueFrom: aws.String(testSecret + ":password::")}}}}},
	}
	readers, faults := d.readers()
	if len(faults) > 0 {
		t.Fatalf("faults: %v", faults)
	}
	want := []reader{{"execution role", testRole, []string{testSecret}}, {"task role", taskRole, []string{serverKey}}}
	if len(readers) != len(want) {
		t.Fatalf("got %+v, want %+v", readers, want)
	}
	for i := range want {
		if got := readers[i]; got.kind != want[i].kind || got.roleARN != want[i].roleARN || strings.Join(got.secrets, ",") != strings.Join(want[i].secrets, ",") {
			t.Errorf("reader %d: got %+v, want %+v", i, got, want[i])
		}
	}

	// A setting that names a secret in a task definition without a task
	// role: nobody could read it.
	d.taskDef.TaskRoleArn = nil
	d.taskDef.ContainerDefinitions[0].Environment = append(d.taskDef.ContainerDefinitions[0].Environment, env("OTHER_SECRET_ARN", "not-an-arn")...)
	_, faults = d.readers()
	if len(faults) != 2 || !strings.Contains(faults[0], "no task role") || !strings.Contains(faults[1], "OTHER_SECRET_ARN") {
		t.Errorf("faults: %v", faults)
	}
}

// A role that may read a secret but not decrypt its key is the first
// failure class, wherever it happens: the fault names the role, the secret
// and the statement to add.
func TestJudgeSecret(t *testing.T) {
	delegating := mustParse(t, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`)
	onlyTaskRole := mustParse(t, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"ArnNotEquals":{"aws:PrincipalArn":"`+taskRole+`"}}}]}`)
	read := `{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"` + serverKey + `"}`
	decryptFor := func(secret string) string {
		return `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + testKey + `","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com","kms:EncryptionContext:SecretARN":"` + secret + `"}}}`
	}
	facts := secretFacts{keyARN: testKey, keyPolicy: &delegating, policy: &onlyTaskRole}
	tests := []struct {
		name, role, policy string
		facts              secretFacts
		want               []string // in the fault and fix; none: may read
	}{
		{"read but no decrypt statement", taskRole, `{"Statement":[` + read + `]}`, facts,
			[]string{"task role pollstack-task", "kms:Decrypt", serverKey, "kms:EncryptionContext:SecretARN = " + serverKey, "kms:ViaService = secretsmanager.eu-west-1.amazonaws.com"}},
		{"decrypt for another secret only", taskRole, `{"Statement":[` + read + `,` + decryptFor(testSecret) + `]}`, facts,
			[]string{"kms:Decrypt", serverKey}},
		{"read and decrypt", taskRole, `{"Statement":[` + read + `,` + decryptFor(serverKey) + `]}`, facts, nil},
		{"no read statement", taskRole, `{"Statement":[` + decryptFor(serverKey) + `]}`, facts,
			[]string{"secretsmanager:GetSecretValue", serverKey, "task role pollstack-task"}},
		{"the secret's policy refuses another role", testRole, `{"Statement":[` + read + `,` + decryptFor(serverKey) + `]}`, facts,
			[]string{"resource policy", serverKey}},
		{"key policy that does not delegate", taskRole, `{"Statement":[` + read + `,` + decryptFor(serverKey) + `]}`,
			secretFacts{keyARN: testKey, keyPolicy: &PolicyDocument{}, policy: &onlyTaskRole}, []string{"key policy", "nor delegates"}},
		{"AWS managed key", taskRole, `{"Statement":[` + read + `]}`, secretFacts{policy: &onlyTaskRole}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			who := "task role " + roleName(tt.role)
			fault, fix, _ := judgeSecret(who, tt.role, serverKey, tt.facts, []PolicyDocument{mustParse(t, tt.policy)}, nil)
			if len(tt.want) == 0 {
				if fault != "" {
					t.Fatalf("unexpected fault: %s (fix: %s)", fault, fix)
				}
				return
			}
			if fault == "" {
				t.Fatal("no fault")
			}
			for _, w := range tt.want {
				if !strings.Contains(fault+" "+fix, w) {
					t.Errorf("fault and fix do not name %q:\n%s\n%s", w, fault, fix)
				}
			}
		})
	}
}
