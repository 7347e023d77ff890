//go:build integration

package aws

// The whole stack against the AWS emulator: apply an environment with the
// real hashicorp/aws provider pointed at moto, check with the SDK what
// exists and how it fits together, run doctor and its planted faults on it,
// destroy it and check that nothing is left.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/pollstack/pollstack/internal/doctor"
	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/motoserver"
)

// stackView is what the checks found, for doctor and the destroy check.
type stackView struct {
	cluster, service string
	dbID, lbARN      string
}

// expect is what differs between the environments.
type expect struct {
	privateTasks bool // tasks in private subnets without public IPs, behind NAT
	https        bool // an HTTPS listener, and HTTP only redirects to it
	multiAZ      bool // the database is multi-AZ with deletion protection
}

// TestAWSLean and TestAWSEnterprise run in parallel, each against its own
// moto server: the apply is mostly waiting on the emulator.
func TestAWSLean(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	moto := motoserver.Start(t)
	cfg := awsConfig(moto.URL)
	start := time.Now()
	env := applyEnv(ctx, t, moto, leanEnv(), emulatorGaps(t)...)
	view := checkStack(ctx, t, cfg, env, expect{})
	t.Run("monitoring", func(t *testing.T) { checkMonitoring(ctx, t, cfg, env, view, false) })
	t.Run("doctor", func(t *testing.T) { doctorFaults(ctx, t, cfg, view.cluster, view.service) })
	destroyed := env.destroy(ctx, t)
	checkNothingLeft(ctx, t, cfg)
	msg := fmt.Sprintf("lean against moto: apply %s, destroy %s, whole test with checks and doctor faults %s; emulated by the gateway: %v",
		env.applied.Round(100*time.Millisecond), destroyed.Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond), env.gw.emulatedHits())
	figures.Print(t, "%s", msg)
	printLimitations(t, env)
}

func leanEnv() string {
	if e := os.Getenv("POLLSTACK_E2E_ENV"); e != "" {
		return e
	}
	return "lean"
}

func printLimitations(t *testing.T, env *appliedEnv) {
	t.Helper()
	var b strings.Builder
	b.WriteString("what the emulator does not do, and how this test handles it:\n")
	for _, e := range emulated {
		fmt.Fprintf(&b, "  - %s: %s\n", e[0], e[1])
	}
	for _, l := range motoLimits {
		fmt.Fprintf(&b, "  - %s: %s\n", l[0], l[1])
	}
	if ni := motoNotImplemented(env.moto); len(ni) > 0 {
		fmt.Fprintf(&b, "  - moto raised NotImplementedError during this run for: %s\n", strings.Join(ni, ", "))
	}
	figures.Print(t, "%s", b.String())
}

// emulatorGaps leaves out of the emulated apply the monthly budget (a
// variable file, since -var cannot set a number to null) and the migration
// run (moto never stops a task, and its RunTask fails on awsvpc tasks): see
// motoLimits.
func emulatorGaps(t *testing.T) []string {
	path, err := filepath.Abs(filepath.Join("testdata", "no-budget.tfvars"))
	if err != nil {
		t.Fatal(err)
	}
	return []string{"-var-file=" + path, "-var", "run_migrations=false", "-var", "enable_backup_vault=false"}
}

// motoLimits are the emulator's gaps that the doctor tests work around.
var motoLimits = [][2]string{
	{"AWS Budgets DescribeSubscribersForNotification", "not implemented; the provider reads a budget's subscribers after creating it and retries until its timeout, so the emulated apply makes no budget (-var-file=testdata/no-budget.tfvars); the budget, its forecast alert and its subscribers are checked by infra/modules/monitoring's terraform test"},
	{"RDS PendingModifiedValues", "moto applies every ModifyDBInstance at once and never reports pending modifications; the pending-modification fault goes through a transport that records ModifyDBInstance calls without ApplyImmediately and adds them to DescribeDBInstances answers, as RDS does until the maintenance window (e2e/aws_moto_test.go, pendingShim)"},
	{"RDS-managed secret contents", "moto writes the user name \"admin\" into the RDS-managed secret whatever the master user is; the test writes the master user there as RDS does before running doctor"},
	{"IAM AddClientIDToOpenIDConnectProvider", "not implemented; the OIDC typo fault deletes and recreates the provider under the same ARN"},
	{"IAM SimulatePrincipalPolicy", "not implemented; doctor evaluates the role's policy documents itself (internal/doctor/policy.go)"},
	{"ECR GetDownloadUrlForLayer and blob storage", "not implemented; the tests push image indexes, whose platforms doctor reads from the manifest alone"},
	{"ECS service capacityProviderStrategy", "moto's CreateService drops it; the Fargate Spot check reads it from the Terraform state and checks the cluster's default strategy through the API"},
	{"ECS one-off migration task", "moto's RunTask fails on awsvpc tasks and never stops a task, so the emulated apply registers the migration task definition without running it (-var run_migrations=false); its definition is checked here, its run by infra/modules/compute's terraform test (planned) and its grants by postgres's tests on a real PostgreSQL"},
	{"AWS Backup CreateBackupSelection", "not implemented; the emulated apply makes no backup vault (-var enable_backup_vault=false); the vault, its lock, the plan and the selection are checked by infra/modules/backup's terraform test, and the deploy role's denials by e2e/platform"},
	{"ECS task scheduling", "moto does not start a service's tasks and lists every task of the cluster for a service; the stopped-task test starts one with RunTask (a bridge-mode revision: moto's RunTask fails on awsvpc tasks) and stops it with ECS's reason; every reason doctor knows is a unit test (internal/doctor/stopped_test.go)"},
}

// checkStack checks, with the SDK, what the lean environment created.
func checkStack(ctx context.Context, t *testing.T, cfg aws.Config, env *appliedEnv, want expect) stackView {
	t.Helper()
	ec2C, ecsC, rdsC, smC, kmsC := ec2.NewFromConfig(cfg), ecs.NewFromConfig(cfg), rds.NewFromConfig(cfg), secretsmanager.NewFromConfig(cfg), kms.NewFromConfig(cfg)
	elbC, iamC, ecrC := elb.NewFromConfig(cfg), iam.NewFromConfig(cfg), ecr.NewFromConfig(cfg)
	var view stackView

	// Network: one VPC of ours, public subnets routed to an internet
	// gateway and private subnets that are not, over two zones.
	vpcs, err := ec2C.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"false"}}}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("want one VPC of the stack: %v %d", err, len(vpcs.Vpcs))
	}
	vpcID := aws.ToString(vpcs.Vpcs[0].VpcId)
	subnets, err := ec2C.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	if err != nil {
		t.Fatal(err)
	}
	rts, err := ec2C.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	if err != nil {
		t.Fatal(err)
	}
	routeToIGW := map[string]bool{} // subnet -> has 0.0.0.0/0 via an internet gateway
	for _, rt := range rts.RouteTables {
		igw := false
		for _, r := range rt.Routes {
			if aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" && strings.HasPrefix(aws.ToString(r.GatewayId), "igw-") {
				igw = true
			}
		}
		for _, a := range rt.Associations {
			if a.SubnetId != nil {
				routeToIGW[aws.ToString(a.SubnetId)] = igw
			}
		}
	}
	publicAZ, privateAZ := map[string]bool{}, map[string]bool{}
	var publicSubnets, privateSubnets []string
	for _, s := range subnets.Subnets {
		id := aws.ToString(s.SubnetId)
		if routeToIGW[id] {
			publicAZ[aws.ToString(s.AvailabilityZone)] = true
			publicSubnets = append(publicSubnets, id)
		} else {
			privateAZ[aws.ToString(s.AvailabilityZone)] = true
			privateSubnets = append(privateSubnets, id)
		}
	}
	if want.privateTasks {
		for _, rt := range rts.RouteTables {
			nat := false
			for _, r := range rt.Routes {
				nat = nat || aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" && r.NatGatewayId != nil
			}
			for _, a := range rt.Associations {
				if slices.Contains(privateSubnets, aws.ToString(a.SubnetId)) && !nat {
					t.Errorf("private subnet %s has no default route through a NAT gateway", aws.ToString(a.SubnetId))
				}
			}
		}
		fl, err := ec2C.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
		if err != nil || len(fl.FlowLogs) == 0 {
			t.Errorf("no VPC flow logs: %v", err)
		}
	}
	if len(publicAZ) < 2 || len(privateAZ) < 2 {
		t.Errorf("want public and private subnets in two zones at least: public %v, private %v", publicAZ, privateAZ)
	}
	t.Logf("network: VPC %s, %d subnets, public in %d zones routed to an internet gateway, private in %d zones without", vpcID, len(subnets.Subnets), len(publicAZ), len(privateAZ))

	// The service on Fargate Spot behind the target group.
	clusters, err := ecsC.ListClusters(ctx, &ecs.ListClustersInput{})
	if err != nil || len(clusters.ClusterArns) != 1 {
		t.Fatalf("want one ECS cluster: %v %v", err, clusters.ClusterArns)
	}
	view.cluster = clusters.ClusterArns[0]
	svcs, err := ecsC.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String(view.cluster)})
	if err != nil || len(svcs.ServiceArns) != 1 {
		t.Fatalf("want one ECS service: %v %v", err, svcs.ServiceArns)
	}
	view.service = svcs.ServiceArns[0]
	ds, err := ecsC.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(view.cluster), Services: []string{view.service}})
	if err != nil || len(ds.Services) != 1 {
		t.Fatalf("describe service: %v", err)
	}
	svc := ds.Services[0]
	view.cluster, view.service = aws.ToString(svc.ClusterArn), aws.ToString(svc.ServiceName)
	if i := strings.LastIndex(view.cluster, "/"); i >= 0 {
		view.cluster = view.cluster[i+1:]
	}
	checkSpot(ctx, t, ecsC, svc, env)
	if len(svc.LoadBalancers) != 1 || svc.LoadBalancers[0].TargetGroupArn == nil {
		t.Fatalf("service is not behind one target group: %+v", svc.LoadBalancers)
	}
	tgARN := aws.ToString(svc.LoadBalancers[0].TargetGroupArn)
	var appSGs []string
	if nc := svc.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
		appSGs = nc.AwsvpcConfiguration.SecurityGroups
		for _, s := range nc.AwsvpcConfiguration.Subnets {
			if want.privateTasks && !slices.Contains(privateSubnets, s) {
				t.Errorf("tasks must run in private subnets; %s is not private", s)
			}
			if !want.privateTasks && !slices.Contains(publicSubnets, s) {
				t.Errorf("lean runs tasks in public subnets; %s is not public", s)
			}
		}
		if public := nc.AwsvpcConfiguration.AssignPublicIp == ecstypes.AssignPublicIpEnabled; public == want.privateTasks {
			t.Errorf("assign public IP = %v, want %v (lean reaches ECR without NAT through public IPs)", public, !want.privateTasks)
		}
	}
	if len(appSGs) != 1 {
		t.Fatalf("want one app security group on the service: %v", appSGs)
	}
	t.Logf("compute: service %s in cluster %s on FARGATE_SPOT behind %s", view.service, view.cluster, tgARN)

	// Task definition.
	td := serviceTaskDef(ctx, t, ecsC, view.cluster, view.service)
	if td.RuntimePlatform == nil || td.RuntimePlatform.CpuArchitecture != ecstypes.CPUArchitectureX8664 {
		t.Errorf("task definition runtimePlatform is not X86_64: %+v", td.RuntimePlatform)
	}
	// No task gets a secret from ECS: the app and the migration log in as
	// their own users with IAM tokens, the migration with a task role of its
	// own; nothing the pipeline runs holds the master password.
	migrate, err := ecsC.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(view.cluster + "-migrate")})
	if err != nil {
		t.Fatalf("the migration task definition %s-migrate: %v", view.cluster, err)
	}
	if got := aws.ToString(migrate.TaskDefinition.TaskRoleArn); !strings.HasSuffix(got, ":role/"+view.cluster+"-ecs-migrate") {
		t.Errorf("the migration's task role is %q, want %s-ecs-migrate", got, view.cluster)
	}
	for _, c := range append(td.ContainerDefinitions, migrate.TaskDefinition.ContainerDefinitions...) {
		user := "pollstack_app"
		if aws.ToString(c.Name) == "migrate" {
			user = "pollstack_migrator"
		}
		if c.LogConfiguration == nil || c.LogConfiguration.LogDriver != ecstypes.LogDriverAwslogs {
			t.Errorf("container %s does not log with awslogs", aws.ToString(c.Name))
		}
		if !aws.ToBool(c.ReadonlyRootFilesystem) {
			t.Errorf("container %s has a writable root file system", aws.ToString(c.Name))
		}
		if len(c.Secrets) != 0 {
			t.Errorf("container %s gets secrets %v by valueFrom; want none", aws.ToString(c.Name), c.Secrets)
		}
		env := map[string]string{}
		for _, e := range c.Environment {
			env[aws.ToString(e.Name)] = aws.ToString(e.Value)
			if n := strings.ToUpper(aws.ToString(e.Name)); strings.Contains(n, "PASSWORD") {
				t.Errorf("container %s has %s in plain environment", aws.ToString(c.Name), n)
			}
		}
		if env["POLLSTACK_DB_IAM_AUTH"] != "true" || !strings.HasPrefix(env["DATABASE_URL"], "postgres://"+user+"@") {
			t.Errorf("container %s does not log in as %s with IAM authentication: %q, %q", aws.ToString(c.Name), user, env["DATABASE_URL"], env["POLLSTACK_DB_IAM_AUTH"])
		}
	}
	t.Logf("task definitions %s and %s: X86_64, awslogs, read-only root, no secret (IAM database authentication as pollstack_app and pollstack_migrator)",
		aws.ToString(td.TaskDefinitionArn), aws.ToString(migrate.TaskDefinition.TaskDefinitionArn))

	// Load balancer, its security group and the HTTP listener.
	lbs, err := elbC.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("want one load balancer: %v", err)
	}
	lbARN := aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn)
	albSGs := lbs.LoadBalancers[0].SecurityGroups
	listeners, err := elbC.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil {
		t.Fatal(err)
	}
	var https, forwards bool
	var httpAction string
	for _, l := range listeners.Listeners {
		if aws.ToInt32(l.Port) == 443 {
			https = true
		}
		for _, a := range l.DefaultActions {
			if aws.ToString(a.TargetGroupArn) == tgARN {
				forwards = true
			}
			if a.ForwardConfig != nil {
				for _, tg := range a.ForwardConfig.TargetGroups {
					if aws.ToString(tg.TargetGroupArn) == tgARN {
						forwards = true
					}
				}
			}
		}
		if aws.ToInt32(l.Port) == 80 && len(l.DefaultActions) > 0 {
			a := l.DefaultActions[0]
			httpAction = string(a.Type)
			if a.RedirectConfig != nil {
				httpAction += fmt.Sprintf(" to %s:%s (%s)", aws.ToString(a.RedirectConfig.Protocol), aws.ToString(a.RedirectConfig.Port), a.RedirectConfig.StatusCode)
			}
			if a.TargetGroupArn != nil {
				httpAction += " to " + aws.ToString(a.TargetGroupArn)
			}
		}
	}
	if !forwards {
		t.Errorf("no listener of %s forwards to the service's target group %s", lbARN, tgARN)
	}
	if want.https && !https {
		t.Errorf("no HTTPS listener")
	}
	switch {
	case https && !strings.HasPrefix(httpAction, "redirect to HTTPS:443"):
		t.Errorf("with an HTTPS listener, HTTP must only redirect to HTTPS; it does: %s", httpAction)
	case https:
		t.Logf("edge: HTTPS listener, HTTP %s", httpAction)
	case httpAction == "":
		t.Errorf("no HTTP listener on the load balancer")
	default:
		t.Logf("edge: no certificate in this environment, so no HTTPS listener; the HTTP listener does: %s", httpAction)
	}

	// Security groups chained by reference: ALB -> app -> database.
	dbs, err := rdsC.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	if err != nil || len(dbs.DBInstances) != 1 {
		t.Fatalf("want one DB instance: %v", err)
	}
	db := dbs.DBInstances[0]
	var dbSGs []string
	for _, g := range db.VpcSecurityGroups {
		dbSGs = append(dbSGs, aws.ToString(g.VpcSecurityGroupId))
	}
	checkIngressOnlyFrom(ctx, t, ec2C, appSGs[0], albSGs, "app")
	checkIngressOnlyFrom(ctx, t, ec2C, dbSGs[0], appSGs, "database")
	t.Logf("security groups: ALB %v -> app %s -> database %v, by reference", albSGs, appSGs[0], dbSGs)

	// Database encrypted with the project key, private, its secret under
	// the same key.
	if !aws.ToBool(db.StorageEncrypted) || db.KmsKeyId == nil {
		t.Errorf("database storage is not encrypted with a KMS key")
	}
	if aws.ToBool(db.PubliclyAccessible) {
		t.Errorf("database is publicly accessible")
	}
	if want.multiAZ && (!aws.ToBool(db.MultiAZ) || !aws.ToBool(db.DeletionProtection)) {
		t.Errorf("database: multi-AZ %v, deletion protection %v; want both", aws.ToBool(db.MultiAZ), aws.ToBool(db.DeletionProtection))
	}
	view.dbID, view.lbARN = aws.ToString(db.DBInstanceIdentifier), lbARN
	dbKey := keyARN(ctx, t, kmsC, aws.ToString(db.KmsKeyId))
	if km, err := kmsC.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(dbKey)}); err != nil || km.KeyMetadata.KeyManager != "CUSTOMER" {
		t.Errorf("database key %s is not a customer-managed key: %v", dbKey, err)
	}
	if db.MasterUserSecret == nil {
		t.Fatal("RDS keeps no master secret for the database")
	}
	secretARN := aws.ToString(db.MasterUserSecret.SecretArn)
	sec, err := smC.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretARN)})
	if err != nil {
		t.Fatal(err)
	}
	if got := keyARN(ctx, t, kmsC, aws.ToString(sec.KmsKeyId)); got != dbKey {
		t.Errorf("secret is encrypted with %s, the database with %s", got, dbKey)
	}
	t.Logf("database %s: encrypted with %s, not public; secret under the same key", aws.ToString(db.DBInstanceIdentifier), dbKey)

	// Every role may decrypt each secret its tasks read (the task role, the
	// server key): doctor's evaluator, on the roles' real policies.
	r, err := doctor.Run(ctx, doctor.Config{Cluster: view.cluster, Service: view.service}, doctor.WithAWSConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Check(doctor.SecretDecrypt); c.Status != doctor.StatusOK {
		t.Errorf("a role cannot decrypt a secret its task reads: %+v", c)
	}

	// OIDC provider audience.
	oidc, err := iamC.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: aws.String("arn:aws:iam::" + awsAccount + ":oidc-provider/" + doctor.GitHubOIDCHost)})
	if err != nil {
		t.Errorf("GitHub OIDC provider: %v", err)
	} else if !slices.Equal(oidc.ClientIDList, []string{"sts.amazonaws.com"}) {
		t.Errorf("OIDC client ids %q, want exactly [sts.amazonaws.com]", oidc.ClientIDList)
	}

	// ECR: immutable tags, scan on push, KMS.
	repos, err := ecrC.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil || len(repos.Repositories) != 1 {
		t.Fatalf("want one ECR repository: %v", err)
	}
	repo := repos.Repositories[0]
	if repo.ImageTagMutability != "IMMUTABLE" {
		t.Errorf("ECR tags are %s", repo.ImageTagMutability)
	}
	if repo.ImageScanningConfiguration == nil || !repo.ImageScanningConfiguration.ScanOnPush {
		t.Errorf("ECR does not scan on push")
	}
	if repo.EncryptionConfiguration == nil || repo.EncryptionConfiguration.EncryptionType != "KMS" {
		t.Errorf("ECR is not KMS-encrypted: %+v", repo.EncryptionConfiguration)
	}
	t.Logf("registry %s: immutable, scan on push, KMS", aws.ToString(repo.RepositoryName))
	return view
}

// checkIngressOnlyFrom checks that a security group's ingress comes only
// from the given groups, by reference, never from a CIDR.
func checkIngressOnlyFrom(ctx context.Context, t *testing.T, c *ec2.Client, sg string, from []string, what string) {
	t.Helper()
	rules, err := c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{sg}}}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rules.SecurityGroupRules {
		if aws.ToBool(r.IsEgress) {
			continue
		}
		n++
		if r.ReferencedGroupInfo == nil || !slices.Contains(from, aws.ToString(r.ReferencedGroupInfo.GroupId)) {
			t.Errorf("%s security group %s has ingress not by reference to %v: cidr %s ref %+v", what, sg, from, aws.ToString(r.CidrIpv4), r.ReferencedGroupInfo)
		}
	}
	if n == 0 {
		t.Errorf("%s security group %s has no ingress from %v", what, sg, from)
	}
}

func keyARN(ctx context.Context, t *testing.T, c *kms.Client, id string) string {
	t.Helper()
	k, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		t.Fatalf("describe key %s: %v", id, err)
	}
	return aws.ToString(k.KeyMetadata.Arn)
}

// checkNothingLeft checks that destroy removed what the stack created.
func checkNothingLeft(ctx context.Context, t *testing.T, cfg aws.Config) {
	t.Helper()
	var left []string
	vpcs, _ := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"false"}}}})
	if vpcs != nil && len(vpcs.Vpcs) > 0 {
		left = append(left, fmt.Sprintf("%d VPC", len(vpcs.Vpcs)))
	}
	ecsC := ecs.NewFromConfig(cfg)
	if cl, _ := ecsC.ListClusters(ctx, &ecs.ListClustersInput{}); cl != nil && len(cl.ClusterArns) > 0 {
		// A deleted cluster stays visible as INACTIVE for a while.
		d, err := ecsC.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: cl.ClusterArns})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range d.Clusters {
			if aws.ToString(c.Status) != "INACTIVE" {
				left = append(left, "cluster "+aws.ToString(c.ClusterName)+" "+aws.ToString(c.Status))
			}
		}
	}
	if dbs, _ := rds.NewFromConfig(cfg).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{}); dbs != nil && len(dbs.DBInstances) > 0 {
		left = append(left, fmt.Sprintf("%d DB instances", len(dbs.DBInstances)))
	}
	if r, _ := ecr.NewFromConfig(cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{}); r != nil && len(r.Repositories) > 0 {
		left = append(left, fmt.Sprintf("%d ECR repositories", len(r.Repositories)))
	}
	if lbs, _ := elb.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{}); lbs != nil && len(lbs.LoadBalancers) > 0 {
		left = append(left, fmt.Sprintf("%d load balancers", len(lbs.LoadBalancers)))
	}
	iamC := iam.NewFromConfig(cfg)
	if roles, _ := iamC.ListRoles(ctx, &iam.ListRolesInput{}); roles != nil {
		for _, r := range roles.Roles {
			if !strings.HasPrefix(aws.ToString(r.Path), "/aws-service-role/") {
				left = append(left, "role "+aws.ToString(r.RoleName))
			}
		}
	}
	if p, _ := iamC.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{}); p != nil && len(p.OpenIDConnectProviderList) > 0 {
		left = append(left, fmt.Sprintf("%d OIDC providers", len(p.OpenIDConnectProviderList)))
	}
	if s, _ := secretsmanager.NewFromConfig(cfg).ListSecrets(ctx, &secretsmanager.ListSecretsInput{}); s != nil {
		for _, sec := range s.SecretList {
			if sec.DeletedDate == nil {
				left = append(left, "secret "+aws.ToString(sec.Name))
			}
		}
	}
	kmsC := kms.NewFromConfig(cfg)
	if keys, _ := kmsC.ListKeys(ctx, &kms.ListKeysInput{}); keys != nil {
		for _, k := range keys.Keys {
			if d, err := kmsC.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId}); err == nil && d.KeyMetadata.KeyManager == "CUSTOMER" && d.KeyMetadata.KeyState != "PendingDeletion" {
				left = append(left, "KMS key "+aws.ToString(k.KeyId)+" "+string(d.KeyMetadata.KeyState))
			}
		}
	}
	if len(left) > 0 {
		t.Errorf("destroy left: %s", strings.Join(left, "; "))
	} else {
		t.Log("destroy: nothing left (VPC, cluster, database, registry, load balancer, roles, OIDC provider, secrets, KMS keys)")
	}
}

// checkSpot checks that the service runs on Fargate Spot. moto 5.2.5 drops
// the service's capacityProviderStrategy (its CreateService handler does
// not read it), so when the emulator returns none the test reads the
// strategy from the Terraform state, which holds what the provider sent,
// and checks the cluster's default strategy through the API.
func checkSpot(ctx context.Context, t *testing.T, c *ecs.Client, svc ecstypes.Service, env *appliedEnv) {
	t.Helper()
	strategy := map[string]int32{}
	for _, s := range svc.CapacityProviderStrategy {
		strategy[aws.ToString(s.CapacityProvider)] = s.Weight
	}
	source := "the ECS API"
	if len(strategy) == 0 {
		source = "the Terraform state (moto drops a service's capacityProviderStrategy)"
		for _, r := range env.stateResources(ctx, t, "aws_ecs_service") {
			for _, s := range asList(r["capacity_provider_strategy"]) {
				m, _ := s.(map[string]any)
				w, _ := m["weight"].(float64)
				strategy[fmt.Sprint(m["capacity_provider"])] = int32(w)
			}
		}
		cl, err := c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{aws.ToString(svc.ClusterArn)}})
		if err != nil || len(cl.Clusters) != 1 {
			t.Fatalf("describe cluster: %v", err)
		}
		def := false
		for _, s := range cl.Clusters[0].DefaultCapacityProviderStrategy {
			def = def || aws.ToString(s.CapacityProvider) == "FARGATE_SPOT" && s.Weight > 0
		}
		if !def {
			t.Errorf("cluster's default capacity provider strategy is not FARGATE_SPOT: %+v", cl.Clusters[0].DefaultCapacityProviderStrategy)
		}
	}
	if strategy["FARGATE_SPOT"] <= 0 {
		t.Errorf("service %s does not run on FARGATE_SPOT (from %s): %v", aws.ToString(svc.ServiceName), source, strategy)
	}
	t.Logf("capacity: %v, read from %s", strategy, source)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// enterpriseLimits lists what the enterprise environment needs that the
// emulator cannot show, and how the test handles it. It is printed.
var enterpriseLimits = [][2]string{
	{"NAT gateways, flow logs", "created and checked as API objects; moto routes no traffic, so egress from private subnets is not exercised"},
	{"ACM DNS validation", "moto issues the certificate without a DNS lookup (MOTO_ACM_VALIDATION_WAIT=0); the validation records are created in the emulated Route 53 zone but never resolved"},
	{"ALB access logs to S3", "the bucket and its policy are created; moto's load balancer writes no logs into it"},
	{"Route 53 zone IDs", "the environment takes an existing public zone, validated as Z...; moto draws zone IDs from [A-Z0-9], so the test creates zones until one has the Z prefix that real IDs have, and deletes the others"},
	{"deletion protection", "enterprise protects the database and the load balancer; before destroy the test turns protection off through the API, as an operator must before a teardown"},
}

func TestAWSEnterprise(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	moto := motoserver.Start(t)
	cfg := awsConfig(moto.URL)
	start := time.Now()
	zone := hostedZone(ctx, t, cfg, "example.com")
	vars := append([]string{"-var", "domain_name=pollstack.example.com", "-var", "hosted_zone_id=" + zone}, emulatorGaps(t)...)
	env := applyEnv(ctx, t, moto, "enterprise", vars...)
	view := checkStack(ctx, t, cfg, env, expect{privateTasks: true, https: true, multiAZ: true})
	t.Run("monitoring", func(t *testing.T) { checkMonitoring(ctx, t, cfg, env, view, true) })
	t.Run("doctor", func(t *testing.T) {
		ecsC := ecs.NewFromConfig(cfg)
		td := serviceTaskDef(ctx, t, ecsC, view.cluster, view.service)
		ensureImage(ctx, t, ecr.NewFromConfig(cfg), td)
		alignManagedSecrets(ctx, t, cfg)
		wantFaults(t, runDoctor(ctx, t, cfg, view.cluster, view.service))
		repo, _ := splitImage(t, aws.ToString(td.ContainerDefinitions[0].Image))
		deleteImages(ctx, t, ecr.NewFromConfig(cfg), repo)
	})
	unprotect(ctx, t, cfg, view)
	destroyed := env.destroy(ctx, t)
	checkNothingLeft(ctx, t, cfg)
	if _, err := route53.NewFromConfig(cfg).DeleteHostedZone(ctx, &route53.DeleteHostedZoneInput{Id: aws.String(zone)}); err != nil {
		t.Errorf("delete the test's hosted zone (records left by destroy?): %v", err)
	}
	figures.Print(t, "enterprise against moto: apply %s, destroy %s, whole test %s",
		env.applied.Round(100*time.Millisecond), destroyed.Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond))
	var b strings.Builder
	b.WriteString("enterprise: what the emulator cannot show\n")
	for _, l := range enterpriseLimits {
		fmt.Fprintf(&b, "  - %s: %s\n", l[0], l[1])
	}
	figures.Print(t, "%s", b.String())
	printLimitations(t, env)
}

// unprotect turns off deletion protection on the database and the load
// balancer so that destroy can remove them.
func unprotect(ctx context.Context, t *testing.T, cfg aws.Config, view stackView) {
	t.Helper()
	if _, err := rds.NewFromConfig(cfg).ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String(view.dbID), DeletionProtection: aws.Bool(false), ApplyImmediately: aws.Bool(true),
	}); err != nil {
		t.Fatalf("turn off the database's deletion protection: %v", err)
	}
	if _, err := elb.NewFromConfig(cfg).ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: aws.String(view.lbARN),
		Attributes:      []elbtypes.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("false")}},
	}); err != nil {
		t.Fatalf("turn off the load balancer's deletion protection: %v", err)
	}
}

// hostedZone creates the public zone the enterprise environment expects to
// exist and returns its ID. moto draws the 22 characters of a zone ID from
// [A-Z0-9]; real IDs, and the environment's validation, start with Z, so
// zones without it are deleted and another is drawn.
func hostedZone(ctx context.Context, t *testing.T, cfg aws.Config, name string) string {
	t.Helper()
	c := route53.NewFromConfig(cfg)
	for i := 0; i < 500; i++ {
		out, err := c.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String(name), CallerReference: aws.String(fmt.Sprintf("e2e-%d-%d", time.Now().UnixNano(), i))})
		if err != nil {
			t.Fatalf("create hosted zone: %v", err)
		}
		id := strings.TrimPrefix(aws.ToString(out.HostedZone.Id), "/hostedzone/")
		if strings.HasPrefix(id, "Z") {
			return id
		}
		if _, err := c.DeleteHostedZone(ctx, &route53.DeleteHostedZoneInput{Id: aws.String(id)}); err != nil {
			t.Fatalf("delete hosted zone: %v", err)
		}
	}
	t.Fatal("moto gave no hosted zone ID starting with Z in 500 tries")
	return ""
}
