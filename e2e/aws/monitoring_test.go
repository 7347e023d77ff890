//go:build integration

package aws

// Module monitoring in the emulated apply: the topic, the alarms, the
// stopped-task rule, the dashboard and the budget exist as the module made
// them (the budget is the emulator's gap: motoLimits), the service rolls back on the deployment alarms, and doctor reads
// an alarm forced into ALARM together with its runbook section.

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/pollstack/pollstack/internal/doctor"
)

// monitoringAlarms are the alarms of a stack without a WAF.
var monitoringAlarms = []string{"alb-5xx-rate", "db-connections", "db-cpu", "db-free-storage", "db-freeable-memory", "db-storage-growth",
	"rate-limited", "running-tasks", "target-5xx-rate", "target-p99-latency", "unhealthy-hosts", "vote-errors"}

// deploymentAlarms are the alarms a deployment rolls back on.
var deploymentAlarms = []string{"alb-5xx-rate", "target-5xx-rate", "unhealthy-hosts"}

func checkMonitoring(ctx context.Context, t *testing.T, cfg aws.Config, env *appliedEnv, view stackView, withWAF bool) {
	t.Helper()
	stack := view.cluster // module compute names the cluster after the stack
	cw, snsC, eb := doctor.NewCloudWatch(cfg), sns.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)

	// The topic, encrypted with the stack's key.
	topicARN := "arn:aws:sns:" + awsRegion + ":" + awsAccount + ":" + stack + "-alarms"
	attrs, err := snsC.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topicARN)})
	if err != nil {
		t.Fatalf("alarm topic %s: %v", topicARN, err)
	}
	if attrs.Attributes["KmsMasterKeyId"] == "" {
		t.Errorf("alarm topic %s is not encrypted with a KMS key: %v", topicARN, attrs.Attributes)
	}

	// The alarms: each with the topic as action, each linking its runbook section.
	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(stack + "-")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range out.MetricAlarms {
		short := strings.TrimPrefix(aws.ToString(a.AlarmName), stack+"-")
		names = append(names, short)
		if !slices.Contains(a.AlarmActions, topicARN) || !slices.Contains(a.OKActions, topicARN) {
			t.Errorf("alarm %s: actions %v, OK actions %v; want the topic", short, a.AlarmActions, a.OKActions)
		}
		if !strings.HasSuffix(aws.ToString(a.AlarmDescription), "#"+short) {
			t.Errorf("alarm %s: description %q does not link its runbook section", short, aws.ToString(a.AlarmDescription))
		}
	}
	want := slices.Clone(monitoringAlarms)
	if withWAF {
		want = append(want, "waf-blocked-requests")
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("alarms: got %v, want %v", names, want)
	}

	// The stopped-task rule writes to the topic.
	rule := stack + "-task-stopped"
	if r, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(rule)}); err != nil || !strings.Contains(aws.ToString(r.EventPattern), "ECS Task State Change") {
		t.Errorf("rule %s: %v", rule, err)
	}
	targets, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(rule)})
	if err != nil || len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != topicARN {
		t.Errorf("rule %s targets: %v %+v; want the topic", rule, err, targets)
	} else if it := targets.Targets[0].InputTransformer; it == nil || it.InputPathsMap["reason"] != "$.detail.stoppedReason" {
		t.Errorf("rule %s does not pass the stopped reason: %+v", rule, it)
	}

	// The dashboard.
	if d, err := cw.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String(stack)}); err != nil || !strings.Contains(aws.ToString(d.DashboardBody), "VotesAcknowledged") {
		t.Errorf("dashboard %s: %v", stack, err)
	}

	// No budget here: moto cannot make one (motoLimits).
	if b, err := budgets.NewFromConfig(cfg).DescribeBudgets(ctx, &budgets.DescribeBudgetsInput{AccountId: aws.String(awsAccount)}); err == nil && len(b.Budgets) > 0 {
		t.Errorf("the emulated apply made %d budgets; it runs with testdata/no-budget.tfvars", len(b.Budgets))
	}

	// The service rolls back on the deployment alarms.
	checkDeploymentAlarms(ctx, t, cfg, env, view, stack)

	// doctor reads an alarm forced into ALARM, with its runbook section.
	firing := stack + "-target-5xx-rate"
	if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(firing), StateValue: cwtypes.StateValueAlarm,
		StateReason: aws.String("forced by e2e/aws: 12.5 % of requests got a 5xx")}); err != nil {
		t.Fatalf("force %s into ALARM: %v", firing, err)
	}
	r := runDoctor(ctx, t, cfg, view.cluster, view.service)
	if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(firing), StateValue: cwtypes.StateValueOk, StateReason: aws.String("e2e/aws: back")}); err != nil {
		t.Fatal(err)
	}
	if len(r.Alarms) != 1 || r.Alarms[0].Name != firing || !strings.Contains(r.Alarms[0].Section, "**What it means**") || r.OK {
		t.Errorf("doctor with %s in ALARM: alarms %+v, OK %v; want that alarm with its runbook section, not OK", firing, r.Alarms, r.OK)
	}
	t.Logf("monitoring: topic %s, %d alarms with the topic and a runbook link, rule %s and dashboard (no budget: motoLimits); doctor showed the forced alarm with its section", topicARN, len(names), rule)
}

// checkDeploymentAlarms checks that the service rolls a deployment back on
// the deployment alarms: through the ECS API when the emulator keeps the
// service's deploymentConfiguration.alarms, else from the Terraform state.
func checkDeploymentAlarms(ctx context.Context, t *testing.T, cfg aws.Config, env *appliedEnv, view stackView, stack string) {
	t.Helper()
	var want []string
	for _, a := range deploymentAlarms {
		want = append(want, stack+"-"+a)
	}
	var got []string
	source := "the ECS API"
	ds, err := ecs.NewFromConfig(cfg).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(view.cluster), Services: []string{view.service}})
	if err == nil && len(ds.Services) == 1 && ds.Services[0].DeploymentConfiguration != nil && ds.Services[0].DeploymentConfiguration.Alarms != nil {
		a := ds.Services[0].DeploymentConfiguration.Alarms
		if a.Enable && a.Rollback {
			got = a.AlarmNames
		}
	}
	if got == nil {
		source = "the Terraform state (the emulator does not return the service's deployment alarms)"
		for _, svc := range env.stateResources(ctx, t, "aws_ecs_service") {
			for _, a := range asList(svc["alarms"]) {
				m, _ := a.(map[string]any)
				if m["enable"] == true && m["rollback"] == true {
					for _, n := range asList(m["alarm_names"]) {
						got = append(got, n.(string))
					}
				}
			}
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("deployment alarms (from %s): got %v, want %v with rollback", source, got, want)
	}
	t.Logf("deployment alarms %v with rollback, read from %s", got, source)
}
