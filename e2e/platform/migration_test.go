//go:build integration

package platform

import (
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
