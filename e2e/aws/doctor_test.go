//go:build integration

package aws

// Fault injection: doctor on an emulated stack reports all green, then each
// of the five known faults is planted through the SDK, and doctor must name
// exactly that fault and nothing else. The stack is the applied lean
// environment (aws_test.go).

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pollstack/pollstack/internal/doctor"
)

var (
	linuxAMD64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	linuxARM64 = v1.Platform{OS: "linux", Architecture: "arm64"}
)

// runDoctor runs doctor against the emulator and logs its text report.
func runDoctor(ctx context.Context, t *testing.T, cfg aws.Config, cluster, service string, opts ...doctor.Option) *doctor.Report {
	t.Helper()
	opts = append([]doctor.Option{doctor.WithAWSConfig(cfg)}, opts...)
	r, err := doctor.Run(ctx, doctor.Config{Cluster: cluster, Service: service, Region: cfg.Region, EndpointURL: aws.ToString(cfg.BaseEndpoint)}, opts...)
	if err != nil {
		t.Fatalf("doctor: %v", err)
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("pollstack doctor:\n%s", b.String())
	return r
}

// wantFaults fails the test unless exactly the given classes failed.
func wantFaults(t *testing.T, r *doctor.Report, want ...doctor.Class) {
	t.Helper()
	var got []doctor.Class
	for _, c := range r.Faults() {
		got = append(got, c.Class)
		if c.Status == doctor.StatusFail && (c.Fault == "" || c.Fix == "") {
			t.Errorf("%s: a failed check needs a fault and a fix: %+v", c.Class, c)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("faults: got %v, want %v", got, want)
	}
	if gotOK, wantOK := r.OK, len(want) == 0; gotOK != wantOK {
		t.Errorf("report OK = %v, want %v", gotOK, wantOK)
	}
	for _, st := range r.StoppedTasks {
		if st.Failure {
			t.Errorf("unexpected failed stopped task: %+v", st)
		}
	}
}

// serviceTaskDef returns the service's current task definition.
func serviceTaskDef(ctx context.Context, t *testing.T, c *ecs.Client, cluster, service string) *ecstypes.TaskDefinition {
	t.Helper()
	svc, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("describe service %s: %v %+v", service, err, svc)
	}
	td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.Services[0].TaskDefinition})
	if err != nil {
		t.Fatalf("describe task definition: %v", err)
	}
	return td.TaskDefinition
}

// deployRevision registers a changed copy of td and points the service at
// it; the returned function points the service back at td.
func deployRevision(ctx context.Context, t *testing.T, c *ecs.Client, cluster, service string, td *ecstypes.TaskDefinition, change func(*ecs.RegisterTaskDefinitionInput)) (restore func()) {
	t.Helper()
	in := &ecs.RegisterTaskDefinitionInput{
		Family:                  td.Family,
		ContainerDefinitions:    slices.Clone(td.ContainerDefinitions),
		Cpu:                     td.Cpu,
		Memory:                  td.Memory,
		NetworkMode:             td.NetworkMode,
		RequiresCompatibilities: td.RequiresCompatibilities,
		RuntimePlatform:         td.RuntimePlatform,
		ExecutionRoleArn:        td.ExecutionRoleArn,
		TaskRoleArn:             td.TaskRoleArn,
		Volumes:                 td.Volumes,
	}
	change(in)
	out, err := c.RegisterTaskDefinition(ctx, in)
	if err != nil {
		t.Fatalf("register task definition revision: %v", err)
	}
	update := func(arn *string) {
		if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), TaskDefinition: arn}); err != nil {
			t.Fatalf("update service to %s: %v", aws.ToString(arn), err)
		}
	}
	update(out.TaskDefinition.TaskDefinitionArn)
	return func() {
		update(td.TaskDefinitionArn)
		if _, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: out.TaskDefinition.TaskDefinitionArn}); err != nil {
			t.Errorf("deregister planted revision: %v", err)
		}
	}
}

// ensureImage pushes an image index for the task's platform under the tag
// the task definition uses, as the deploy pipeline would.
func ensureImage(ctx context.Context, t *testing.T, c *ecr.Client, td *ecstypes.TaskDefinition) {
	t.Helper()
	for _, cd := range td.ContainerDefinitions {
		repo, tag := splitImage(t, aws.ToString(cd.Image))
		pushIndex(ctx, t, c, repo, tag, linuxAMD64)
	}
}

// splitImage returns the repository name and tag of an ECR image reference.
func splitImage(t *testing.T, ref string) (repo, tag string) {
	t.Helper()
	_, path, ok := strings.Cut(ref, "/")
	if !ok || !strings.Contains(ref, ".dkr.ecr.") {
		t.Fatalf("image %q is not in ECR", ref)
	}
	repo, tag, ok = strings.Cut(path, ":")
	if !ok {
		tag = "latest"
	}
	return repo, tag
}

// stripDecrypt removes kms:Decrypt (and kms:*) from every statement of a
// policy document and drops statements left without actions.
func stripDecrypt(t *testing.T, doc string) string {
	t.Helper()
	if !strings.HasPrefix(strings.TrimSpace(doc), "{") {
		d, err := url.QueryUnescape(doc)
		if err != nil {
			t.Fatal(err)
		}
		doc = d
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("parse policy: %v", err)
	}
	stmts, ok := p["Statement"].([]any)
	if !ok {
		stmts = []any{p["Statement"]}
	}
	var kept []any
	for _, s := range stmts {
		st := s.(map[string]any)
		var actions []any
		switch a := st["Action"].(type) {
		case string:
			actions = []any{a}
		case []any:
			actions = a
		}
		var left []any
		for _, a := range actions {
			if n := strings.ToLower(a.(string)); n != "kms:decrypt" && n != "kms:*" && n != "*" {
				left = append(left, a)
			}
		}
		if len(left) == 0 && st["Action"] != nil {
			continue
		}
		if st["Action"] != nil {
			st["Action"] = left
		}
		kept = append(kept, st)
	}
	p["Statement"] = kept
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// plantNoDecrypt rewrites the execution role's policies without
// kms:Decrypt; the returned function restores them.
// secretReader is the role of the task definition that reads a secret: the
// execution role for a container's valueFrom, else the task role (the
// platform's server key, read by the app).
func secretReader(td *ecstypes.TaskDefinition) string {
	for _, c := range td.ContainerDefinitions {
		if len(c.Secrets) > 0 {
			return aws.ToString(td.ExecutionRoleArn)
		}
	}
	return aws.ToString(td.TaskRoleArn)
}

func plantNoDecrypt(ctx context.Context, t *testing.T, c *iam.Client, roleARN string) (restore func()) {
	t.Helper()
	role := roleARN[strings.LastIndex(roleARN, "/")+1:]
	var undo []func()
	inline, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range inline.PolicyNames {
		p, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		orig := aws.ToString(p.PolicyDocument)
		if d, err := url.QueryUnescape(orig); err == nil && !strings.HasPrefix(strings.TrimSpace(orig), "{") {
			orig = d
		}
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(stripDecrypt(t, orig))}); err != nil {
			t.Fatal(err)
		}
		undo = append(undo, func() {
			if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(orig)}); err != nil {
				t.Errorf("restore inline policy %s: %v", name, err)
			}
		})
	}
	attached, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ap := range attached.AttachedPolicies {
		if strings.Contains(aws.ToString(ap.PolicyArn), ":aws:policy/") {
			continue // AWS managed policies cannot be changed; none grants kms:Decrypt
		}
		pol, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: ap.PolicyArn})
		if err != nil {
			t.Fatal(err)
		}
		ver, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: ap.PolicyArn, VersionId: pol.Policy.DefaultVersionId})
		if err != nil {
			t.Fatal(err)
		}
		nv, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: ap.PolicyArn, SetAsDefault: true,
			PolicyDocument: aws.String(stripDecrypt(t, aws.ToString(ver.PolicyVersion.Document)))})
		if err != nil {
			t.Fatal(err)
		}
		arn, old, planted := ap.PolicyArn, pol.Policy.DefaultVersionId, nv.PolicyVersion.VersionId
		undo = append(undo, func() {
			if _, err := c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: old}); err != nil {
				t.Errorf("restore policy %s: %v", aws.ToString(arn), err)
			}
			if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: planted}); err != nil {
				t.Errorf("delete planted policy version: %v", err)
			}
		})
	}
	if len(undo) == 0 {
		t.Fatalf("execution role %s has no policy of its own to change", role)
	}
	return func() {
		for _, u := range undo {
			u()
		}
	}
}

// plantOIDCTypo replaces the GitHub OIDC provider by one whose client id
// has a typo (moto has no AddClientIDToOpenIDConnectProvider, so the
// provider is recreated under the same ARN); the returned function puts
// the original back.
func plantOIDCTypo(ctx context.Context, t *testing.T, c *iam.Client) (restore func()) {
	t.Helper()
	arn := "arn:aws:iam::" + awsAccount + ":oidc-provider/" + doctor.GitHubOIDCHost
	orig, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("get GitHub OIDC provider: %v", err)
	}
	recreate := func(ids []string) {
		if _, err := c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); err != nil {
			t.Fatalf("delete OIDC provider: %v", err)
		}
		if _, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
			Url: aws.String("https://" + doctor.GitHubOIDCHost), ClientIDList: ids, ThumbprintList: orig.ThumbprintList, Tags: orig.Tags,
		}); err != nil {
			t.Fatalf("create OIDC provider: %v", err)
		}
	}
	recreate([]string{"sts.amazonaw.com"})
	return func() { recreate(orig.ClientIDList) }
}

// doctorFaults runs doctor on a healthy stack, then plants each fault in
// turn and checks that doctor names exactly that one.
func doctorFaults(ctx context.Context, t *testing.T, cfg aws.Config, cluster, service string) {
	ecsC, iamC, ecrC := ecs.NewFromConfig(cfg), iam.NewFromConfig(cfg), ecr.NewFromConfig(cfg)
	td := serviceTaskDef(ctx, t, ecsC, cluster, service)
	ensureImage(ctx, t, ecrC, td)
	alignManagedSecrets(ctx, t, cfg)

	t.Run("healthy", func(t *testing.T) {
		// Doctor reads no secret's value: the plan role, which may not,
		// suffices (docs/runbook.md).
		guard := &valueGuard{}
		wantFaults(t, runDoctor(ctx, t, cfg, cluster, service, doctor.WithHTTPClient(guard)))
		if len(guard.read) > 0 {
			t.Errorf("doctor read secret values: %v", guard.read)
		}
		if guard.calls == 0 {
			t.Error("no AWS call went through the guard")
		}
	})
	// The seed's first failure: a role that reads a secret but may not
	// decrypt it.
	t.Run("secret reader without kms:Decrypt", func(t *testing.T) {
		defer plantNoDecrypt(ctx, t, iamC, secretReader(td))()
		r := runDoctor(ctx, t, cfg, cluster, service)
		wantFaults(t, r, doctor.SecretDecrypt)
		if f := r.Check(doctor.SecretDecrypt).Fault; !strings.Contains(f, "kms:Decrypt") {
			t.Errorf("fault does not name kms:Decrypt: %s", f)
		}
	})
	t.Run("arm64-only image", func(t *testing.T) {
		repo, _ := splitImage(t, aws.ToString(td.ContainerDefinitions[0].Image))
		pushIndex(ctx, t, ecrC, repo, "arm64-only", linuxARM64)
		defer deployRevision(ctx, t, ecsC, cluster, service, td, func(in *ecs.RegisterTaskDefinitionInput) {
			for i := range in.ContainerDefinitions {
				img := aws.ToString(in.ContainerDefinitions[i].Image)
				in.ContainerDefinitions[i].Image = aws.String(img[:strings.LastIndex(img, ":")] + ":arm64-only")
			}
		})()
		r := runDoctor(ctx, t, cfg, cluster, service)
		wantFaults(t, r, doctor.ImagePlatform)
		if f := r.Check(doctor.ImagePlatform).Fault; !strings.Contains(f, "linux/arm64") || !strings.Contains(f, "linux/amd64") {
			t.Errorf("fault does not name both platforms: %s", f)
		}
	})
	t.Run("pending modification", func(t *testing.T) {
		shim := newPendingShim()
		shimCfg := cfg.Copy()
		shimCfg.HTTPClient = shim
		rdsC := rds.NewFromConfig(shimCfg)
		dbs, err := rdsC.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
		if err != nil || len(dbs.DBInstances) == 0 {
			t.Fatalf("describe DB instances: %v (%d)", err, len(dbs.DBInstances))
		}
		db := dbs.DBInstances[0]
		if _, err := rdsC.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier: db.DBInstanceIdentifier, DBInstanceClass: aws.String("db.t3.small"), ApplyImmediately: aws.Bool(false),
		}); err != nil {
			t.Fatalf("modify DB instance: %v", err)
		}
		defer func() {
			if _, err := rdsC.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
				DBInstanceIdentifier: db.DBInstanceIdentifier, DBInstanceClass: db.DBInstanceClass, ApplyImmediately: aws.Bool(true),
			}); err != nil {
				t.Errorf("restore DB instance class: %v", err)
			}
		}()
		r := runDoctor(ctx, t, cfg, cluster, service, doctor.WithHTTPClient(shim))
		wantFaults(t, r, doctor.Database)
		if f := r.Check(doctor.Database).Fault; !strings.Contains(f, "DBInstanceClass") {
			t.Errorf("fault does not name the pending field: %s", f)
		}
	})
	t.Run("OIDC client id typo", func(t *testing.T) {
		defer plantOIDCTypo(ctx, t, iamC)()
		r := runDoctor(ctx, t, cfg, cluster, service)
		wantFaults(t, r, doctor.OIDCAudience)
		if f := r.Check(doctor.OIDCAudience).Fault; !strings.Contains(f, "sts.amazonaw.com") {
			t.Errorf("fault does not show the typo: %s", f)
		}
	})
	t.Run("task definition without logs", func(t *testing.T) {
		defer deployRevision(ctx, t, ecsC, cluster, service, td, func(in *ecs.RegisterTaskDefinitionInput) {
			for i := range in.ContainerDefinitions {
				in.ContainerDefinitions[i].LogConfiguration = nil
			}
		})()
		r := runDoctor(ctx, t, cfg, cluster, service)
		wantFaults(t, r, doctor.Logging)
	})
	t.Run("healthy again", func(t *testing.T) {
		wantFaults(t, runDoctor(ctx, t, cfg, cluster, service))
	})
	// The images are the test's, not the stack's: remove them so that
	// destroy finds the repository as apply left it.
	repo, _ := splitImage(t, aws.ToString(td.ContainerDefinitions[0].Image))
	deleteImages(ctx, t, ecrC, repo)
}

// deleteImages removes every image from an ECR repository.
func deleteImages(ctx context.Context, t *testing.T, c *ecr.Client, repo string) {
	t.Helper()
	list, err := c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(repo)})
	if err != nil {
		t.Fatalf("list images of %s: %v", repo, err)
	}
	if len(list.ImageIds) == 0 {
		return
	}
	if _, err := c.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo), ImageIds: list.ImageIds}); err != nil {
		t.Fatalf("delete images of %s: %v", repo, err)
	}
}

// alignManagedSecrets writes into each RDS-managed secret the user name RDS
// itself writes there: the instance's master user. moto fills the secret
// with the fixed user name "admin" whatever the master user is, which
// doctor would rightly report as credentials the database rejects.
func alignManagedSecrets(ctx context.Context, t *testing.T, cfg aws.Config) {
	t.Helper()
	rdsC, smC := rds.NewFromConfig(cfg), secretsmanager.NewFromConfig(cfg)
	dbs, err := rdsC.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	if err != nil {
		t.Fatalf("describe DB instances: %v", err)
	}
	for _, db := range dbs.DBInstances {
		if db.MasterUserSecret == nil {
			continue
		}
		val, err := smC.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: db.MasterUserSecret.SecretArn})
		if err != nil {
			t.Fatalf("read managed secret: %v", err)
		}
		var cred map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(val.SecretString)), &cred); err != nil {
			t.Fatalf("managed secret is not JSON: %v", err)
		}
		if cred["username"] == aws.ToString(db.MasterUsername) {
			continue
		}
		t.Logf("moto limitation: the RDS-managed secret of %s names user %v; writing the master user %q as RDS does",
			aws.ToString(db.DBInstanceIdentifier), cred["username"], aws.ToString(db.MasterUsername))
		cred["username"] = aws.ToString(db.MasterUsername)
		b, _ := json.Marshal(cred)
		if _, err := smC.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: db.MasterUserSecret.SecretArn, SecretString: aws.String(string(b))}); err != nil {
			t.Fatalf("align managed secret: %v", err)
		}
	}
}

// valueGuard passes every AWS call on and records each that reads a
// secret's value (Secrets Manager's GetSecretValue), without sending it.
type valueGuard struct {
	mu    sync.Mutex
	calls int
	read  []string
}

func (g *valueGuard) Do(req *http.Request) (*http.Response, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	if req.Header.Get("X-Amz-Target") == "secretsmanager.GetSecretValue" {
		g.read = append(g.read, req.URL.String())
		return nil, errors.New("doctor may not read a secret's value")
	}
	return http.DefaultTransport.RoundTrip(req)
}
