package doctor

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestWriteText(t *testing.T) {
	r := &Report{Checks: []Check{
		{Class: SecretDecrypt, Status: StatusOK, Detail: "role can decrypt"},
		{Class: ImagePlatform, Status: StatusFail, Fault: "image is arm64.", Fix: "rebuild it for linux/amd64"},
		{Class: Database, Status: StatusError, Detail: "AccessDenied"},
	}, StoppedTasks: []StoppedTask{{TaskARN: "arn:aws:ecs:us-east-1:1:task/c/abc", Reason: "Essential container in task exited", Explanation: "it exited", Failure: true}}}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ok secret-decrypt: role can decrypt",
		"FAIL image-platform: image is arm64. Fix: rebuild it for linux/amd64",
		"ERROR database: could not check: AccessDenied",
		`FAIL stopped task abc: "Essential container in task exited": it exited`,
	}
	if got := strings.Split(strings.TrimSpace(b.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var j bytes.Buffer
	if err := r.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(j.Bytes(), &back); err != nil || len(back.Checks) != 3 || back.Checks[1].Fix != "rebuild it for linux/amd64" {
		t.Errorf("JSON round trip: %v %+v", err, back)
	}
	if got := len(r.Faults()); got != 2 {
		t.Errorf("Faults() = %d, want 2", got)
	}
}
