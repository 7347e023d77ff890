//go:build integration

package platform

// The rendered IAM documents of each environment (the roles' trust
// policies, the deploy and plan policies, the workload boundary and the
// task role), evaluated with doctor's IAM evaluator: every hole found in
// review is played as the request an attacker holding the pipeline's
// credentials would make, and must be refused; every call an apply or a
// destroy of the environment makes must still be allowed.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/doctor"
)

var envs = []string{"lean", "enterprise"}

// docs are an environment's IAM documents, parsed.
type docs struct {
	deploy, plan, task, execution []doctor.PolicyDocument
	migrate, dbInit               []doctor.PolicyDocument
	deployTrust, planTrust        doctor.PolicyDocument
	boundary                      []doctor.PolicyDocument
}

func parse(t *testing.T, where, text string) doctor.PolicyDocument {
	t.Helper()
	doc, err := doctor.ParsePolicy(text)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	// A proof must not rest on a guess of the evaluator.
	if u := doctor.Unsupported(doc); len(u) > 0 {
		t.Fatalf("%s uses what the evaluator cannot decide exactly: %v", where, u)
	}
	return doc
}

func (s *stack) docs(t *testing.T) docs {
	t.Helper()
	var d docs
	for _, r := range s.all("aws_iam_policy") {
		switch {
		case strings.HasPrefix(r.Address, "module.stack.module.cicd.aws_iam_policy.deploy["):
			d.deploy = append(d.deploy, parse(t, r.Address, r.str("policy")))
		case r.Address == "module.stack.module.cicd.aws_iam_policy.boundary":
			d.boundary = []doctor.PolicyDocument{parse(t, r.Address, r.str("policy"))}
		}
	}
	if len(d.deploy) == 0 || d.boundary == nil {
		t.Fatalf("%s: no deploy policies or boundary in the state", s.env)
	}
	d.deployTrust = parse(t, "deploy trust", s.one(t, "module.stack.module.cicd.aws_iam_role.deploy").str("assume_role_policy"))
	d.planTrust = parse(t, "plan trust", s.one(t, "module.stack.module.cicd.aws_iam_role.plan").str("assume_role_policy"))
	d.plan = []doctor.PolicyDocument{parse(t, "plan policy", s.one(t, "module.stack.module.cicd.aws_iam_role_policy.plan").str("policy"))}
	d.task = []doctor.PolicyDocument{parse(t, "task policy", s.one(t, "module.stack.module.security.aws_iam_role_policy.task").str("policy"))}
	d.execution = []doctor.PolicyDocument{parse(t, "execution policy", s.one(t, "module.stack.module.security.aws_iam_role_policy.execution").str("policy"))}
	d.migrate = []doctor.PolicyDocument{parse(t, "migrate policy", s.one(t, "module.stack.module.security.aws_iam_role_policy.migrate").str("policy"))}
	d.dbInit = []doctor.PolicyDocument{parse(t, "database-init policy", s.one(t, "module.stack.module.cicd.aws_iam_role_policy.db_init").str("policy"))}
	return d
}

// call is one request to AWS.
type call struct {
	action, resource string
	ctx              map[string][]string
}

func (c call) String() string { return fmt.Sprintf("%s on %s %v", c.action, c.resource, c.ctx) }

func (c call) request() doctor.Request {
	return doctor.Request{Action: c.action, Resource: c.resource, Context: c.ctx}
}

func arn(service, rest string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, account, rest)
}

func ec2ARN(rest string) string { return arn("ec2", rest) }

const stackTag = "pollstack:stack"

// plain is a call with no tags in play.
func plain(action, resource string, kv ...string) call {
	ctx := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		ctx[kv[i]] = append(ctx[kv[i]], kv[i+1])
	}
	return call{action, resource, ctx}
}

// creating is a call that creates a resource tagged for the stack (the
// request's tags).
func (s *stack) creating(action, resource string, kv ...string) call {
	c := plain(action, resource, kv...)
	c.ctx["aws:RequestTag/"+stackTag] = []string{s.name}
	c.ctx["aws:TagKeys"] = []string{stackTag, "Project", "Environment", "ManagedBy"}
	return c
}

// using is a call on a resource that already carries the stack's tag.
func (s *stack) using(action, resource string, kv ...string) call {
	c := plain(action, resource, kv...)
	c.ctx["aws:ResourceTag/"+stackTag] = []string{s.name}
	return c
}

// foreign is a call on a resource of someone else in the account.
func foreign(action, resource string, kv ...string) call {
	c := plain(action, resource, kv...)
	c.ctx["aws:ResourceTag/Project"] = []string{"payroll"}
	return c
}

// withTags adds the stack's tag to the request of a call.
func (s *stack) withTags(c call) call {
	c.ctx["aws:RequestTag/"+stackTag] = []string{s.name}
	c.ctx["aws:TagKeys"] = []string{stackTag}
	return c
}

// token is the request GitHub's OIDC token makes to assume a role.
type token struct {
	sub, workflowRef, repositoryID string
	noSub                          bool
}

const provider = "arn:aws:iam::" + account + ":oidc-provider/token.actions.githubusercontent.com"

func (tk token) call(role string) doctor.Request {
	ctx := map[string][]string{
		"token.actions.githubusercontent.com:aud":              {"sts.amazonaws.com"},
		"token.actions.githubusercontent.com:job_workflow_ref": {tk.workflowRef},
		"token.actions.githubusercontent.com:repository_id":    {tk.repositoryID},
	}
	if !tk.noSub {
		ctx["token.actions.githubusercontent.com:sub"] = []string{tk.sub}
	}
	return doctor.Request{Action: "sts:AssumeRoleWithWebIdentity", Resource: "arn:aws:iam::" + account + ":role/" + role, Context: ctx}
}

const (
	deployWorkflow = "pollstack/pollstack/.github/workflows/deploy.yml@refs/heads/main"
	immutableRepo  = "repo:pollstack@1001/pollstack@2002"
)

// The trust policies: only GitHub's immutable subject of this repository,
// with the deploy workflow on main, may assume the roles.
func TestTrustPolicies(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			s := render(t, env)
			d := s.docs(t)
			deploy := token{sub: immutableRepo + ":environment:production", workflowRef: deployWorkflow, repositoryID: "2002"}
			plan := token{sub: immutableRepo + ":ref:refs/heads/main", workflowRef: deployWorkflow, repositoryID: "2002"}
			tests := []struct {
				name  string
				trust doctor.PolicyDocument
				tk    token
				want  doctor.Decision
			}{
				{"deploy: the production environment's job of the deploy workflow", d.deployTrust, deploy, doctor.Allowed},
				{"plan: the deploy workflow on main", d.planTrust, plan, doctor.Allowed},
				{"deploy: the legacy subject by names only", d.deployTrust, token{sub: "repo:pollstack/pollstack:environment:production", workflowRef: deployWorkflow, repositoryID: "2002"}, doctor.ImplicitDeny},
				{"deploy: a token without sub", d.deployTrust, token{noSub: true, workflowRef: deployWorkflow, repositoryID: "2002"}, doctor.ImplicitDeny},
				{"plan: a token without sub", d.planTrust, token{noSub: true, workflowRef: deployWorkflow, repositoryID: "2002"}, doctor.ImplicitDeny},
				{"deploy: another workflow of the repository", d.deployTrust, token{sub: deploy.sub, workflowRef: "pollstack/pollstack/.github/workflows/ci.yml@refs/heads/main", repositoryID: "2002"}, doctor.ImplicitDeny},
				{"deploy: the deploy workflow from a branch", d.deployTrust, token{sub: deploy.sub, workflowRef: "pollstack/pollstack/.github/workflows/deploy.yml@refs/heads/feature", repositoryID: "2002"}, doctor.ImplicitDeny},
				{"deploy: a re-created repository of the same name", d.deployTrust, token{sub: "repo:pollstack@1001/pollstack@9999:environment:production", workflowRef: deployWorkflow, repositoryID: "9999"}, doctor.ImplicitDeny},
				{"deploy: a pull request", d.deployTrust, token{sub: immutableRepo + ":pull_request", workflowRef: deployWorkflow, repositoryID: "2002"}, doctor.ImplicitDeny},
				{"plan: another branch", d.planTrust, token{sub: immutableRepo + ":ref:refs/heads/feature", workflowRef: deployWorkflow, repositoryID: "2002"}, doctor.ImplicitDeny},
				{"plan: the deploy role's subject", d.planTrust, deploy, doctor.ImplicitDeny},
			}
			for _, tt := range tests {
				if got := trusts(t, tt.trust, "Federated", provider, tt.tk.call("r")); got != tt.want {
					t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
				}
			}
			if got := trusts(t, d.deployTrust, "AWS", "arn:aws:iam::999999999999:root", deploy.call("r")); got != doctor.ImplicitDeny {
				t.Errorf("another account assumes the deploy role: got %v", got)
			}
		})
	}
}

// The holes, each played by the deploy role (and by a role it may create,
// within the boundary). Each of these was allowed before the fix.
func TestDeployRoleCannotLeaveItsStack(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			s := render(t, env)
			d := s.docs(t)
			otherVPC, otherSG, otherVolume := ec2ARN("vpc/vpc-0ther"), ec2ARN("security-group/sg-0ther"), ec2ARN("volume/vol-0ther")
			otherDB := arn("rds", "db:payroll")
			otherSecret := arn("secretsmanager", "secret:rds!db-99999999-XyZ")
			roles := arn("iam", "role/")
			roles = strings.Replace(roles, region, "", 1) // IAM ARNs have no region
			taskRole := roles + s.name + "-ecs-task"
			attacks := []struct {
				name string
				c    call
			}{
				{"tag another VPC with the stack's tag (then change or delete it as the stack's)", s.withTags(foreign("ec2:CreateTags", otherVPC))},
				{"tag another security group with the stack's tag", s.withTags(foreign("ec2:CreateTags", otherSG))},
				{"snapshot another volume (to share it out)", s.withTags(foreign("ec2:CreateSnapshot", otherVolume))},
				{"snapshot a volume tagged as the stack's", s.using("ec2:CreateSnapshot", otherVolume)},
				{"share a snapshot", s.using("ec2:ModifySnapshotAttribute", "arn:aws:ec2:"+region+"::snapshot/snap-0")}, // a snapshot's ARN names no account
				{"create a subnet in another VPC", s.withTags(foreign("ec2:CreateSubnet", otherVPC))},
				{"record another VPC's traffic in the stack's flow logs", s.withTags(foreign("ec2:CreateFlowLogs", otherVPC))},
				{"open another security group", foreign("ec2:AuthorizeSecurityGroupIngress", otherSG)},
				{"delete another security group", foreign("ec2:DeleteSecurityGroup", otherSG)},
				{"read another database's secret", plain("secretsmanager:GetSecretValue", otherSecret, "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn", otherDB)},
				{"read this database's secret (the pipeline never needs it)", plain("secretsmanager:GetSecretValue", s.one(t, "module.stack.module.database.aws_db_instance.this").Values["master_user_secret"].([]any)[0].(map[string]any)["secret_arn"].(string))},
				{"create a secret outside RDS under its name", plain("secretsmanager:CreateSecret", arn("secretsmanager", "secret:rds!db-fake-AbC"), "aws:ViaAWSService", "false")},
				{"rewrite the task role's trust (to another account)", plain("iam:UpdateAssumeRolePolicy", taskRole)},
				{"create a stack role without the boundary", plain("iam:CreateRole", roles+s.name+"-escape")},
				{"give a stack role a policy without the boundary", plain("iam:PutRolePolicy", taskRole)},
				{"attach a policy to its own role", plain("iam:AttachRolePolicy", roles+s.name+"-github-deploy", "iam:PermissionsBoundary", "arn:aws:iam::"+account+":policy/"+s.name+"-workload-boundary")},
				{"rewrite its own policy", plain("iam:CreatePolicyVersion", "arn:aws:iam::"+account+":policy/"+s.name+"-github-deploy-network")},
				{"remove a role's boundary", plain("iam:DeleteRolePermissionsBoundary", taskRole)},
				{"pass the task role to another service", plain("iam:PassRole", taskRole, "iam:PassedToService", "lambda.amazonaws.com")},
				{"replace the key policy", s.using("kms:PutKeyPolicy", keyARN)},
				{"schedule the key's deletion", s.using("kms:ScheduleKeyDeletion", keyARN)},
				{"disable the key", s.using("kms:DisableKey", keyARN)},
				{"grant the key to a principal", s.using("kms:CreateGrant", keyARN, "kms:GrantIsForAWSResource", "false")},
				{"share the final snapshot", plain("rds:ModifyDBSnapshotAttribute", arn("rds", "snapshot:"+s.name+"-final"))},
				{"copy the final snapshot", plain("rds:CopyDBSnapshot", arn("rds", "snapshot:"+s.name+"-final"))},
				{"delete the final snapshot", plain("rds:DeleteDBSnapshot", arn("rds", "snapshot:"+s.name+"-final"))},
				{"restore the database elsewhere", plain("rds:RestoreDBInstanceFromDBSnapshot", arn("rds", "db:"+s.name+"-copy"))},
				{"read the state of another environment", plain("s3:GetObject", "arn:aws:s3:::pollstack-tfstate-"+account+"/pollstack/other/terraform.tfstate")},
				{"request a certificate without the stack's tag", plain("acm:RequestCertificate", "*")},
				{"delete another certificate", foreign("acm:DeleteCertificate", arn("acm", "certificate/0ther"))},
				{"delete another budget (to hide a cost attack)", plain("budgets:ModifyBudget", "arn:aws:budgets::"+account+":budget/payroll-monthly")},
				{"read the account's billing", plain("aws-portal:ViewBilling", "*")},
				{"silence another stack's alarm", plain("cloudwatch:DeleteAlarms", arn("cloudwatch", "alarm:payroll-5xx"))},
				{"publish to another topic", plain("sns:Subscribe", arn("sns", "payroll-alerts"))},
				{"run the app's task (with its role) as a one-off task", plain("ecs:RunTask", arn("ecs", "task-definition/"+s.name+"-app:1"), "ecs:cluster", arn("ecs", "cluster/"+s.name))},
				{"run the migration task on another cluster", plain("ecs:RunTask", arn("ecs", "task-definition/"+s.name+"-migrate:1"), "ecs:cluster", arn("ecs", "cluster/payroll"))},
				{"stop another cluster's task", plain("ecs:StopTask", arn("ecs", "task/payroll/0123456789abcdef0123456789abcdef"))},
			}
			for _, a := range attacks {
				if got := decide(t, d.deploy, nil, a.c); got == doctor.Allowed {
					t.Errorf("deploy role may %s: %s", a.name, a.c)
				}
			}

			// A role the deploy role creates within the boundary, with a
			// policy that allows everything: the boundary is all that stops it.
			everything := []doctor.PolicyDocument{parse(t, "everything", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}
			create := plain("iam:CreateRole", roles+s.name+"-mine", "iam:PermissionsBoundary", "arn:aws:iam::"+account+":policy/"+s.name+"-workload-boundary")
			if got := decide(t, d.deploy, nil, create); got != doctor.Allowed {
				t.Fatalf("the deploy role may not create a stack role within the boundary (%v); the escalation below would be untested", got)
			}
			escapes := []struct {
				name string
				c    call
			}{
				{"read another database's secret", plain("secretsmanager:GetSecretValue", otherSecret, "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn", otherDB)},
				{"decrypt with a key directly", plain("kms:Decrypt", arn("kms", "key/0ther"))},
				{"connect to a database as its master user", plain("rds-db:connect", arn("rds-db", "dbuser:db-OTHER/pollstack"))},
				{"push an image", plain("ecr:PutImage", arn("ecr", "repository/"+s.name))},
				{"create a user", plain("iam:CreateUser", "arn:aws:iam::"+account+":user/x")},
			}
			for _, e := range escapes {
				if got := decide(t, everything, d.boundary, e.c); got == doctor.Allowed {
					t.Errorf("a role created within the boundary may %s: %s", e.name, e.c)
				}
			}
			db := s.one(t, "module.stack.module.database.aws_db_instance.this")
			migrator := plain("rds-db:connect", arn("rds-db", "dbuser:"+db.str("resource_id")+"/pollstack_migrator"))
			if got := decide(t, everything, d.boundary, migrator); got != doctor.Allowed {
				t.Errorf("the boundary refuses the migrator on the stack's own database (%v): the migration could not log in", got)
			}
		})
	}
}

// The running app logs in to its database as the app user and nobody else:
// a task taken over cannot sign a token for the master user, another role
// or another database, nor read the master password.
func TestTaskRoleConnectsAsTheAppUserOnly(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			s := render(t, env)
			d := s.docs(t)
			db := s.one(t, "module.stack.module.database.aws_db_instance.this")
			dbuser := func(resourceID, user string) string { return arn("rds-db", "dbuser:"+resourceID+"/"+user) }
			own := db.str("resource_id")
			if own == "" || db.str("username") == "" {
				t.Fatalf("the rendered database has no resource_id or username: %v", db.Values)
			}
			if got := decide(t, d.task, d.boundary, plain("rds-db:connect", dbuser(own, "pollstack_app"))); got != doctor.Allowed {
				t.Errorf("the task role may not connect as the app user (%v): the app could not log in", got)
			}
			serverKey := s.one(t, "module.stack.module.security.aws_secretsmanager_secret.server_key").str("arn")
			if got := decide(t, d.task, d.boundary, plain("kms:Decrypt", keyARN, "kms:ViaService", "secretsmanager."+region+".amazonaws.com", "kms:EncryptionContext:SecretARN", serverKey)); got != doctor.Allowed {
				t.Errorf("the task role may not decrypt its server key through Secrets Manager (%v): the app could not start", got)
			}
			secret := db.Values["master_user_secret"].([]any)[0].(map[string]any)["secret_arn"].(string)
			for name, c := range map[string]call{
				"connect as the master user":                        plain("rds-db:connect", dbuser(own, db.str("username"))),
				"connect as postgres":                               plain("rds-db:connect", dbuser(own, "postgres")),
				"connect as another user named like it":             plain("rds-db:connect", dbuser(own, "pollstack_app_admin")),
				"connect as any user":                               plain("rds-db:connect", dbuser(own, "*")),
				"connect to another database as app user":           plain("rds-db:connect", dbuser("db-OTHERDATABASE0000000000000", "pollstack_app")),
				"read the master password":                          plain("secretsmanager:GetSecretValue", secret, "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn", arn("rds", "db:"+s.name)),
				"decrypt the master secret through Secrets Manager": plain("kms:Decrypt", keyARN, "kms:ViaService", "secretsmanager."+region+".amazonaws.com", "kms:EncryptionContext:SecretARN", secret),
			} {
				if got := decide(t, d.task, d.boundary, c); got == doctor.Allowed {
					t.Errorf("the task role may %s: %s", name, c)
				}
			}
		})
	}
}

// The plan role reads configuration and writes only its lock.
func TestPlanRoleReadsOnly(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			s := render(t, env)
			d := s.docs(t)
			state := "arn:aws:s3:::pollstack-tfstate-" + account + "/pollstack/" + env + "/terraform.tfstate"
			reads := []call{
				plain("s3:GetObject", state), plain("s3:PutObject", state+".tflock"), plain("ec2:DescribeVpcs", "*"),
				plain("ecs:DescribeServices", "*"), plain("rds:DescribeDBInstances", "*"), plain("iam:GetRole", "*"),
				plain("kms:GetKeyPolicy", "*"), plain("secretsmanager:DescribeSecret", "*"), plain("wafv2:GetWebACL", "*"),
			}
			for _, c := range reads {
				if got := decide(t, d.plan, nil, c); got != doctor.Allowed {
					t.Errorf("plan role may not %s: %v", c, got)
				}
			}
			writes := []call{
				plain("s3:PutObject", state), plain("secretsmanager:GetSecretValue", "*"), plain("ecr:PutImage", arn("ecr", "repository/"+s.name)),
				plain("iam:PassRole", "*"), plain("ec2:CreateTags", "*"), plain("kms:Decrypt", keyARN), plain("logs:GetLogEvents", "*"),
			}
			for _, c := range writes {
				if got := decide(t, d.plan, nil, c); got == doctor.Allowed {
					t.Errorf("plan role may %s", c)
				}
			}
		})
	}
}
