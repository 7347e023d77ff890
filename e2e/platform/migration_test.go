//go:build integration

package platform

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

// fakeAWS is an `aws` command that answers the ECS calls of
// run-migration.sh as ECS would, from FAKE_* variables, and records them.
const fakeAWS = `#!/usr/bin/env bash
echo "$*" >>"$FAKE_LOG"
case "$*" in
*" run-task "*) echo "$FAKE_RUN" ;;
*"ecs wait tasks-stopped "*) exit "${FAKE_WAIT:-0}" ;;
*" describe-tasks "*) echo "{\"tasks\":[{\"stoppedReason\":\"Essential container in task exited\",\"containers\":[{\"name\":\"migrate\"$FAKE_EXIT}]}]}" ;;
*" stop-task "*) echo '{}' ;;
*) echo "unexpected call: $*" >&2; exit 2 ;;
esac
`

// The apply's migration step (infra/modules/compute/run-migration.sh)
// passes only when the migration container exits 0: a failed, unstarted,
// never-ending or vanished migration fails the apply before the service
// changes.
func TestMigrationRunFailsUnlessTheMigrationSucceeds(t *testing.T) {
	repo.RequireTools(t, "bash", "jq")
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fakeAWS), 0o755); err != nil {
		t.Fatal(err)
	}
	started := `{"tasks":[{"taskArn":"arn:aws:ecs:us-east-1:123456789012:task/pollstack-lean/0123abcd"}],"failures":[]}`
	for _, tt := range []struct {
		name, run, exit, wait string
		ok                    bool
		want                  string // in the output
	}{
		{"migration succeeds", started, `,"exitCode":0`, "0", true, "succeeded"},
		{"migration fails", started, `,"exitCode":1`, "0", false, "exit code 1"},
		{"container never ran", started, ``, "0", false, "exit code none"},
		{"task not placed", `{"tasks":[],"failures":[{"reason":"RESOURCE:ENI"}]}`, ``, "0", false, "RESOURCE:ENI"},
		{"migration outlasts the wait", started, ``, "255", false, "did not finish"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "calls")
			cmd := exec.Command("bash", repo.Path("infra", "modules", "compute", "run-migration.sh"))
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"FAKE_LOG="+log, "FAKE_RUN="+tt.run, "FAKE_EXIT="+tt.exit, "FAKE_WAIT="+tt.wait,
				"REGION=us-east-1", "CLUSTER=pollstack-lean", "TASK_DEFINITION=arn:aws:ecs:us-east-1:123456789012:task-definition/pollstack-lean-migrate:7",
				"CONTAINER=migrate", "SUBNETS=subnet-a,subnet-b", "SECURITY_GROUPS=sg-app", "ASSIGN_PUBLIC_IP=ENABLED", "LOG_GROUP=/ecs/pollstack-lean/app")
			out, err := cmd.CombinedOutput()
			if (err == nil) != tt.ok || !strings.Contains(string(out), tt.want) {
				t.Errorf("run-migration.sh: %v\n%s\nwant success %v and output naming %q", err, out, tt.ok, tt.want)
			}
			calls, _ := os.ReadFile(log)
			if !strings.Contains(string(calls), "run-task --cluster pollstack-lean --task-definition arn:aws:ecs:us-east-1:123456789012:task-definition/pollstack-lean-migrate:7 --launch-type FARGATE") ||
				!strings.Contains(string(calls), "awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-app],assignPublicIp=ENABLED}") {
				t.Errorf("run-task not called with the task definition, Fargate and the service's network:\n%s", calls)
			}
			if stopped := strings.Contains(string(calls), " stop-task "); stopped != (tt.wait != "0") {
				t.Errorf("stop-task called: %v; want it only when the wait gives up:\n%s", stopped, calls)
			}
		})
	}
}

// fakeAdminAWS answers, from FAKE_* variables, the calls an administrator's
// scripts/init-database.sh makes, as AWS would after the --query each
// names; it records the calls and the task definition registered.
const fakeAdminAWS = `#!/usr/bin/env bash
echo "$*" >>"$FAKE_LOG"
case "$*" in
*"rds describe-db-instances "*) echo "$FAKE_DB" ;;
*"ecs describe-task-definition "*) echo "$FAKE_MIGRATE" ;;
*"ecs describe-services "*) echo '{"subnets":["subnet-a","subnet-b"],"securityGroups":["sg-app"],"assignPublicIp":"ENABLED"}' ;;
*"iam get-role "*) echo "\"$FAKE_ROLE\"" ;;
*"ecs register-task-definition "*)
  while [ "$1" != --cli-input-json ]; do shift; done
  echo "$2" >"$FAKE_DEFINITION"; echo '"arn:aws:ecs:us-east-1:123456789012:task-definition/init:1"' ;;
*" run-task "*) echo '{"tasks":[{"taskArn":"arn:aws:ecs:us-east-1:123456789012:task/c/0123abcd"}],"failures":[]}' ;;
*"ecs wait tasks-stopped "*) ;;
*" describe-tasks "*) echo '{"tasks":[{"containers":[{"name":"migrate","exitCode":0}]}]}' ;;
*" deregister-task-definition "*) echo '{}' ;;
*) echo "unexpected call: $*" >&2; exit 2 ;;
esac
`

// The administrator's one-off task (scripts/init-database.sh) is the
// migration's task definition as rendered, with the database-init role as
// its task role, the master secret read by that role (no secret in ECS's
// hands), --init-roles for the roles the migration logs in as and grants,
// and it is deregistered once it has run.
func TestInitDatabaseRunsTheRenderedMigrationAsTheMasterUser(t *testing.T) {
	repo.RequireTools(t, "bash", "jq")
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fakeAdminAWS), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			s := render(t, env)
			td := s.one(t, "module.stack.module.compute.aws_ecs_task_definition.migrate")
			db := s.one(t, "module.stack.module.database.aws_db_instance.this")
			secretARN := db.Values["master_user_secret"].([]any)[0].(map[string]any)["secret_arn"].(string)
			role := "arn:aws:iam::" + account + ":role/" + s.name + "-db-init"
			var containers []map[string]any
			if err := json.Unmarshal([]byte(td.str("container_definitions")), &containers); err != nil {
				t.Fatal(err)
			}
			migrate, _ := json.Marshal(map[string]any{
				"family": td.str("family"), "executionRoleArn": td.str("execution_role_arn"), "taskRoleArn": td.str("task_role_arn"),
				"networkMode": td.str("network_mode"), "requiresCompatibilities": []string{"FARGATE"}, "cpu": td.str("cpu"), "memory": td.str("memory"),
				"containerDefinitions": containers,
			})
			dbJSON, _ := json.Marshal(map[string]any{
				"MasterUserSecret": map[string]string{"SecretArn": secretARN},
				"Endpoint":         map[string]any{"Address": db.str("address"), "Port": 5432},
				"DBName":           db.str("db_name"),
			})
			dir := t.TempDir()
			log, definition := filepath.Join(dir, "calls"), filepath.Join(dir, "definition.json")
			cmd := exec.Command("bash", repo.Path("scripts", "init-database.sh"), s.name)
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "AWS_REGION="+region,
				"IMAGE=registry.example/pollstack@sha256:0123", "FAKE_LOG="+log, "FAKE_DEFINITION="+definition,
				"FAKE_DB="+string(dbJSON), "FAKE_MIGRATE="+string(migrate), "FAKE_ROLE="+role)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("init-database.sh: %v\n%s", err, out)
			}
			var got struct {
				TaskRoleArn, ExecutionRoleArn string
				ContainerDefinitions          []struct {
					Image       string
					Command     []string
					Secrets     []any
					Environment []struct{ Name, Value string }
				}
			}
			b, err := os.ReadFile(definition)
			if err != nil || json.Unmarshal(b, &got) != nil || len(got.ContainerDefinitions) != 1 {
				t.Fatalf("registered task definition: %v\n%s", err, b)
			}
			c := got.ContainerDefinitions[0]
			envs := map[string]string{}
			for _, e := range c.Environment {
				envs[e.Name] = e.Value
			}
			want := map[string]string{
				"DATABASE_URL":               "postgres://" + db.str("address") + ":5432/" + db.str("db_name") + "?sslmode=verify-full",
				"POLLSTACK_DB_SECRET_ARN":    secretARN,
				"POLLSTACK_DB_INIT_ROLES":    "true",
				"POLLSTACK_DB_MIGRATOR_USER": "pollstack_migrator",
				"POLLSTACK_DB_APP_USER":      "pollstack_app",
			}
			if got.TaskRoleArn != role || got.ExecutionRoleArn != td.str("execution_role_arn") || len(c.Secrets) != 0 ||
				c.Image != "registry.example/pollstack@sha256:0123" || strings.Join(c.Command, " ") != "migrate" || !maps.Equal(envs, want) {
				t.Errorf("registered: task role %s, execution role %s, image %s, command %v, secrets %v, environment %v;\nwant task role %s, the migration's execution role, no secret, environment %v",
					got.TaskRoleArn, got.ExecutionRoleArn, c.Image, c.Command, c.Secrets, envs, role, want)
			}
			calls, _ := os.ReadFile(log)
			if !strings.Contains(string(calls), "run-task --cluster "+s.name+" --task-definition arn:aws:ecs:us-east-1:123456789012:task-definition/init:1") ||
				!strings.Contains(string(calls), "deregister-task-definition --task-definition arn:aws:ecs:us-east-1:123456789012:task-definition/init:1") {
				t.Errorf("the init task was not run on the stack's cluster and deregistered:\n%s", calls)
			}
		})
	}
}
