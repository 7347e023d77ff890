package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func (d *deployment) checkLogging(ctx context.Context) Check {
	var faults, fixes, checked []string
	for _, c := range d.taskDef.ContainerDefinitions {
		name := aws.ToString(c.Name)
		lc := c.LogConfiguration
		if lc == nil || lc.LogDriver == "" {
			faults = append(faults, fmt.Sprintf("container %s has no log configuration, so its output and its crash reason are lost", name))
			fixes = append(fixes, "give every container the awslogs log driver with its log group (module compute) and register a new revision")
			continue
		}
		if lc.LogDriver != ecstypes.LogDriverAwslogs {
			checked = append(checked, fmt.Sprintf("%s uses the %s driver (not checked)", name, lc.LogDriver))
			continue
		}
		group := lc.Options["awslogs-group"]
		region := lc.Options["awslogs-region"]
		if region == "" {
			region = d.region
		}
		if group == "" {
			faults = append(faults, fmt.Sprintf("container %s uses awslogs without an awslogs-group option", name))
			fixes = append(fixes, "set the awslogs-group option to the service's log group (module compute)")
			continue
		}
		exists, err := d.logGroupExists(ctx, region, group)
		if err != nil {
			return errored(Logging, err)
		}
		if !exists {
			if strings.EqualFold(lc.Options["awslogs-create-group"], "true") {
				checked = append(checked, fmt.Sprintf("%s logs to %s (created on first start)", name, group))
				continue
			}
			faults = append(faults, fmt.Sprintf("the log group %s of container %s does not exist in %s, so the task fails to start", group, name, region))
			fixes = append(fixes, fmt.Sprintf("create the log group %s with a retention (module compute manages it) before the task starts", group))
			continue
		}
		checked = append(checked, fmt.Sprintf("%s logs to %s", name, group))
	}
	if len(faults) > 0 {
		return failed(Logging, strings.Join(faults, "; "), strings.Join(dedupe(fixes), "; "))
	}
	return ok(Logging, "%s", strings.Join(checked, ", "))
}

func (d *deployment) logGroupExists(ctx context.Context, region, group string) (bool, error) {
	client := d.logs(region)
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(client, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("describe log group %s: %w", group, err)
		}
		for _, g := range page.LogGroups {
			if aws.ToString(g.LogGroupName) == group {
				return true, nil
			}
		}
	}
	return false, nil
}
