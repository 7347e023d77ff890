package e2e

import (
	"context"
	"fmt"
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
	cfg := awsConfig(t)
	motoReset(t)
	cluster, service := sdkStack(ctx, t, cfg)
	doctorFaults(ctx, t, cfg, cluster, service)
}
