//go:build integration

package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/pollstack/pollstack/internal/doctor"
	"github.com/pollstack/pollstack/internal/testing/motoserver"
)

// sdkStack creates the pieces doctor reads directly in moto, the way the
// lean environment shapes them.
func sdkStack(ctx context.Context, t *testing.T, cfg aws.Config) (cluster, service string) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	kmsC, iamC, ecsC, ecrC, rdsC, logsC := kms.NewFromConfig(cfg), iam.NewFromConfig(cfg), ecs.NewFromConfig(cfg), ecr.NewFromConfig(cfg), rds.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg)
	key, err := kmsC.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("pollstack")})
	must(err)
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	db, err := rdsC.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("pollstack"), DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("postgres"),
		AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("pollstack"), ManageMasterUserPassword: aws.Bool(true),
		MasterUserSecretKmsKeyId: aws.String(keyARN), StorageEncrypted: aws.Bool(true), KmsKeyId: aws.String(keyARN),
	})
	must(err)
	secretARN := aws.ToString(db.DBInstance.MasterUserSecret.SecretArn)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := iamC.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pollstack-execution"), AssumeRolePolicyDocument: aws.String(trust)})
	must(err)
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":%q},
	 {"Effect":"Allow","Action":"kms:Decrypt","Resource":%q,"Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.%s.amazonaws.com"}}},
	 {"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`, secretARN, keyARN, awsRegion)
	_, err = iamC.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("pollstack-execution"), PolicyName: aws.String("execution"), PolicyDocument: aws.String(policy)})
	must(err)
	_, err = iamC.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com"),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{"6938fd4d98bab03faadb97b34396831e3780aea1"}})
	must(err)
	repo, err := ecrC.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("pollstack"), ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable})
	must(err)
	_, err = logsC.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/pollstack")})
	must(err)
	_, err = ecsC.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("pollstack")})
	must(err)
	td, err := ecsC.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("pollstack"), Cpu: aws.String("256"), Memory: aws.String("512"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		RuntimePlatform:         &ecstypes.RuntimePlatform{CpuArchitecture: ecstypes.CPUArchitectureX8664, OperatingSystemFamily: ecstypes.OSFamilyLinux},
		ExecutionRoleArn:        role.Role.Arn,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String(aws.ToString(repo.Repository.RepositoryUri) + ":v1"), Essential: aws.Bool(true),
			ReadonlyRootFilesystem: aws.Bool(true),
			Secrets:                []ecstypes.Secret{{Name: aws.String("DATABASE_PASSWORD"), ValueFrom: aws.String(secretARN + ":password::")}},
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/pollstack", "awslogs-region": awsRegion, "awslogs-stream-prefix": "app"}},
		}},
	})
	must(err)
	_, err = ecsC.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("pollstack"), ServiceName: aws.String("pollstack"),
		TaskDefinition: td.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(0)})
	must(err)
	return "pollstack", "pollstack"
}

func TestAWSDoctorSDKStack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := awsConfig(motoserver.Start(t).URL)
	cluster, service := sdkStack(ctx, t, cfg)
	doctorFaults(ctx, t, cfg, cluster, service)
	t.Run("cli", func(t *testing.T) { doctorCLI(ctx, t, cfg, cluster, service) })
	t.Run("stopped task explained", func(t *testing.T) { stoppedTask(ctx, t, cfg, cluster, service) })
}

// stoppedTask starts a task of the service's task definition and stops it
// with the reason ECS gives when the image lacks the task's platform;
// doctor must keep the five checks green, explain the stop in plain words
// and count it as a failure. (moto does not run the service's own tasks
// and lists every task of the cluster for a service, so the task is
// started with RunTask.)
func stoppedTask(ctx context.Context, t *testing.T, cfg aws.Config, cluster, service string) {
	c := ecs.NewFromConfig(cfg)
	td := serviceTaskDef(ctx, t, c, cluster, service)
	ensureImage(ctx, t, ecr.NewFromConfig(cfg), td)
	// A revision used only for this task: moto sums container-level
	// memory to place a task, and its RunTask fails on awsvpc tasks
	// (AttributeError on the network interface), so the vehicle for a
	// stopped task is a bridge-mode revision with container memory.
	containers := slices.Clone(td.ContainerDefinitions)
	for i := range containers {
		containers[i].Memory = aws.Int32(512)
	}
	rev, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: td.Family, ContainerDefinitions: containers,
		Cpu: td.Cpu, Memory: td.Memory, NetworkMode: ecstypes.NetworkModeBridge,
		RuntimePlatform: td.RuntimePlatform, ExecutionRoleArn: td.ExecutionRoleArn})
	if err != nil {
		t.Fatalf("register task definition: %v", err)
	}
	run, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: rev.TaskDefinition.TaskDefinitionArn,
		LaunchType: ecstypes.LaunchTypeFargate, StartedBy: aws.String("ecs-svc/1234567890")})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("run task: %v %+v", err, run)
	}
	reason := "CannotPullContainerError: pull image manifest has been retried 1 time(s): image Manifest does not contain descriptor matching platform 'linux/amd64'"
	if _, err := c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: run.Tasks[0].TaskArn, Reason: aws.String(reason)}); err != nil {
		t.Fatalf("stop task: %v", err)
	}
	r := runDoctor(ctx, t, cfg, cluster, service)
	if len(r.Faults()) != 0 {
		t.Errorf("checks: got faults %+v, want none", r.Faults())
	}
	if r.OK || len(r.StoppedTasks) != 1 || !r.StoppedTasks[0].Failure || !strings.Contains(r.StoppedTasks[0].Explanation, "CPU architecture") {
		t.Errorf("stopped task not explained as a failure: OK=%v %+v", r.OK, r.StoppedTasks)
	}
}

// doctorCLI runs the real doctor binary (cmd/doctor) against the emulator:
// exit 0 and an all-ok JSON report on the healthy stack, exit 1 and the
// FAIL line with a planted fault.
func doctorCLI(ctx context.Context, t *testing.T, cfg aws.Config, cluster, service string) {
	bin := filepath.Join(t.TempDir(), "doctor")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/doctor")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/doctor: %v\n%s", err, out)
	}
	ecrC := ecr.NewFromConfig(cfg)
	td := serviceTaskDef(ctx, t, ecs.NewFromConfig(cfg), cluster, service)
	ensureImage(ctx, t, ecrC, td)
	run := func(args ...string) (string, int) {
		cmd := exec.CommandContext(ctx, bin, append([]string{"--cluster", cluster, "--service", service,
			"--region", cfg.Region, "--endpoint-url", aws.ToString(cfg.BaseEndpoint)}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		t.Logf("doctor %s: exit %d\n%s", strings.Join(args, " "), code, out)
		return string(out), code
	}
	out, code := run("--json")
	var report doctor.Report
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 0 || !report.OK || len(report.Checks) != 5 {
		t.Errorf("healthy: exit %d, report %+v, err %v", code, report, err)
	}
	restore := plantOIDCTypo(ctx, t, iam.NewFromConfig(cfg))
	out, code = run()
	restore()
	if code != 1 || !strings.Contains(out, "FAIL oidc-audience: ") || strings.Count(out, "\nok ")+boolInt(strings.HasPrefix(out, "ok ")) != 4 {
		t.Errorf("OIDC typo: exit %d, output:\n%s", code, out)
	}
	if _, code := run("--bogus"); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
