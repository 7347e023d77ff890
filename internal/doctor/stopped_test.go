package doctor

import (
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	code := func(c int32) *int32 { return &c }
	tests := []struct {
		name        string
		stop        Stop
		wantFailure bool
		wantWords   []string
	}{
		{"secrets fetch denied", Stop{StopCode: "TaskFailedToStart", StoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): AccessDeniedException: Access to KMS is not allowed"},
			true, []string{"secrets", "kms:Decrypt", "secret-decrypt"}},
		{"log group missing", Stop{StopCode: "TaskFailedToStart", StoppedReason: "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist."},
			true, []string{"log group", "logging"}},
		{"resource init other", Stop{StoppedReason: "ResourceInitializationError: failed to configure ENI"},
			true, []string{"could not prepare"}},
		{"wrong platform", Stop{StoppedReason: "CannotPullContainerError: pull image manifest has been retried 1 time(s): image Manifest does not contain descriptor matching platform 'linux/amd64'"},
			true, []string{"CPU architecture", "image-platform"}},
		{"tag missing", Stop{StoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.eu-west-1.amazonaws.com/pollstack:v9: not found"},
			true, []string{"does not exist"}},
		{"no route to ECR", Stop{StoppedReason: "CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: dial tcp 52.0.0.1:443: i/o timeout"},
			true, []string{"public IP", "NAT"}},
		{"essential exit 1", Stop{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited", Container: "app", ExitCode: code(1)},
			true, []string{"app", "code 1", "CloudWatch Logs"}},
		{"essential exit 137", Stop{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited", Container: "app", ExitCode: code(137), Reason: "OutOfMemoryError: Container killed due to memory usage"},
			true, []string{"killed", "memory"}},
		{"essential exit 0", Stop{StoppedReason: "Essential container in task exited", ExitCode: code(0)},
			true, []string{"code 0", "keep running"}},
		{"exec format", Stop{StoppedReason: "Essential container in task exited", Container: "app", ExitCode: code(255)},
			true, []string{"CPU architecture"}},
		{"health checks", Stop{StopCode: "ServiceSchedulerInitiated", StoppedReason: "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/pollstack/abc)"},
			true, []string{"/readyz"}},
		{"spot", Stop{StopCode: "SpotInterruption", StoppedReason: "Your Spot Task was interrupted."},
			false, []string{"Spot"}},
		{"scale in", Stop{StopCode: "ServiceSchedulerInitiated", StoppedReason: "Scaling activity initiated by (deployment ecs-svc/123)"},
			false, []string{"on purpose"}},
		{"user", Stop{StopCode: "UserInitiated", StoppedReason: "Task stopped by user"},
			false, []string{"API"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, failure := Explain(tt.stop)
			if failure != tt.wantFailure {
				t.Errorf("failure = %v, want %v (%s)", failure, tt.wantFailure, got)
			}
			for _, w := range tt.wantWords {
				if !strings.Contains(got, w) {
					t.Errorf("explanation %q lacks %q", got, w)
				}
			}
		})
	}
}
