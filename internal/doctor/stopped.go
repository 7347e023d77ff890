package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Stop describes why a task stopped, as ECS reports it.
type Stop struct {
	StopCode      string // TaskFailedToStart, EssentialContainerExited, SpotInterruption, ...
	StoppedReason string // the task's stoppedReason
	// Container exit of the essential container that stopped the task.
	Container string
	ExitCode  *int32
	Reason    string // the container's reason (e.g. OutOfMemoryError)
}

// Explain turns a stop into plain words, and says whether it was a failure
// (false for scale-in, deployments, Spot interruptions and user stops).
func Explain(s Stop) (explanation string, failure bool) {
	r := s.StoppedReason
	lower := strings.ToLower(r + " " + s.Reason)
	switch {
	case strings.HasPrefix(r, "ResourceInitializationError"):
		switch {
		case strings.Contains(lower, "secret") || strings.Contains(lower, "kms") || strings.Contains(lower, "decrypt"):
			return "ECS could not fetch the task's secrets before starting it: the execution role lacks secretsmanager:GetSecretValue or kms:Decrypt on the secret's key, or the task has no network path to Secrets Manager (public IP, NAT or VPC endpoint); see the secret-decrypt line", true
		case strings.Contains(lower, "log"):
			return "ECS could not set up the awslogs driver: the log group does not exist or the execution role may not write to it; see the logging line", true
		case strings.Contains(lower, "registry auth") || strings.Contains(lower, "ecr"):
			return "ECS could not get registry credentials for the image: the execution role lacks ecr:GetAuthorizationToken, or the task has no network path to ECR", true
		}
		return "ECS could not prepare the task (secrets, registry credentials, logs or networking) before starting its containers", true
	case strings.HasPrefix(r, "CannotPullContainerError"):
		switch {
		case strings.Contains(lower, "platform") || strings.Contains(lower, "no matching manifest") || strings.Contains(lower, "exec format"):
			return "the image has no variant for the task's CPU architecture: it was built for another platform than the task definition's runtimePlatform; see the image-platform line", true
		case strings.Contains(lower, "not found") || strings.Contains(lower, "manifest unknown"):
			return "the image tag or digest does not exist in the repository: push it, or point the task definition at one that exists", true
		case strings.Contains(lower, "timeout") || strings.Contains(lower, "i/o timeout") || strings.Contains(lower, "context deadline"):
			return "the task could not reach the registry: a task in a public subnet needs a public IP, one in a private subnet a NAT gateway or ECR VPC endpoints", true
		case strings.Contains(lower, "denied") || strings.Contains(lower, "unauthorized"):
			return "the execution role may not pull the image: it needs ecr:GetAuthorizationToken and ecr:BatchGetImage/GetDownloadUrlForLayer on the repository", true
		}
		return "the image could not be pulled: check that the tag exists, the execution role may pull it, and the task can reach the registry", true
	case strings.HasPrefix(r, "CannotStartContainerError"):
		return "the container runtime could not start the container: often a wrong entrypoint or command, or an image built for another CPU architecture (exec format error)", true
	case strings.Contains(r, "Essential container in task exited") || s.StopCode == string(ecstypes.TaskStopCodeEssentialContainerExited):
		return explainExit(s), true
	case strings.Contains(r, "failed ELB health checks") || strings.Contains(r, "failed container health checks"):
		return "the task started but did not answer its health check in time: check /readyz, the app port, the security group from the load balancer, and the health check grace period", true
	case strings.Contains(lower, "outofmemory"):
		return "a container was killed for using more memory than the task allows: raise the task memory or lower the app's use", true
	case s.StopCode == string(ecstypes.TaskStopCodeSpotInterruption) || strings.Contains(lower, "spot task was interrupted"):
		return "Fargate Spot reclaimed the capacity with two minutes' warning; the service starts a replacement (ordinary on Spot)", false
	case strings.HasPrefix(r, "Scaling activity initiated by") || s.StopCode == string(ecstypes.TaskStopCodeServiceSchedulerInitiated):
		return "the service stopped it on purpose: a scale-in or a newer deployment replaced it", false
	case s.StopCode == string(ecstypes.TaskStopCodeUserInitiated) || strings.Contains(lower, "stopped by user"):
		return "someone or something stopped it through the API", false
	case s.StopCode == string(ecstypes.TaskStopCodeTaskFailedToStart):
		return "the task failed to start; the reason above names the step that failed", true
	}
	if r == "" {
		return "ECS gave no reason", false
	}
	return "ECS stopped the task for this reason; it is not one doctor knows", true
}

func explainExit(s Stop) string {
	who := "the essential container"
	if s.Container != "" {
		who = "the essential container " + s.Container
	}
	if s.ExitCode == nil {
		return who + " exited and so the task stopped; read its last log lines in CloudWatch Logs"
	}
	switch code := *s.ExitCode; {
	case code == 0:
		return who + " exited with code 0: the server process ended by itself; it must keep running"
	case code == 137 || strings.Contains(strings.ToLower(s.Reason), "outofmemory"):
		return fmt.Sprintf("%s was killed (exit code %d): out of memory or not stopped within the stop timeout", who, code)
	case code == 139:
		return who + " crashed with a segmentation fault (exit code 139)"
	case code == 255 || code == 126 || code == 127:
		return fmt.Sprintf("%s could not run its command (exit code %d): check the entrypoint, and that the image matches the task's CPU architecture", who, code)
	default:
		return fmt.Sprintf("%s exited with code %d: the app failed at start or while running; its last log lines in CloudWatch Logs say why (often the database: wrong credentials, TLS, or not reachable)", who, code)
	}
}

// stoppedTasks lists the service's recently stopped tasks (ECS keeps them
// for about an hour) and explains each.
func (d *deployment) stoppedTasks(ctx context.Context, cluster string) ([]StoppedTask, error) {
	list, err := d.ecs.ListTasks(ctx, &ecs.ListTasksInput{
		Cluster: aws.String(cluster), ServiceName: d.service.ServiceName, DesiredStatus: ecstypes.DesiredStatusStopped,
	})
	if err != nil {
		return nil, fmt.Errorf("list stopped tasks: %w", err)
	}
	if len(list.TaskArns) == 0 {
		return nil, nil
	}
	arns := list.TaskArns
	if len(arns) > 100 {
		arns = arns[:100]
	}
	out, err := d.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns})
	if err != nil {
		return nil, fmt.Errorf("describe stopped tasks: %w", err)
	}
	var res []StoppedTask
	for _, t := range out.Tasks {
		s := Stop{StopCode: string(t.StopCode), StoppedReason: aws.ToString(t.StoppedReason)}
		for _, c := range t.Containers {
			if c.ExitCode != nil || c.Reason != nil {
				s.Container, s.ExitCode, s.Reason = aws.ToString(c.Name), c.ExitCode, aws.ToString(c.Reason)
				if c.ExitCode != nil && *c.ExitCode != 0 {
					break
				}
			}
		}
		exp, failure := Explain(s)
		st := StoppedTask{TaskARN: aws.ToString(t.TaskArn), StopCode: s.StopCode, Reason: s.StoppedReason, Explanation: exp, Failure: failure}
		if s.Reason != "" {
			st.Reason += " (" + s.Container + ": " + s.Reason + ")"
		}
		if t.StoppedAt != nil {
			st.StoppedAt = t.StoppedAt.UTC().Format(time.RFC3339)
		}
		res = append(res, st)
	}
	return res, nil
}
