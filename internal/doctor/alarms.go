package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// Alarm is one of the stack's alarms that is firing, with what the runbook
// says to do about it.
type Alarm struct {
	Name   string `json:"name"`
	Since  string `json:"since,omitempty"`
	Reason string `json:"reason"`
	// Runbook is the link in the alarm's description, and Section the text
	// of that section of docs/runbook.md (empty when the link has no
	// section this doctor knows).
	Runbook string `json:"runbook,omitempty"`
	Section string `json:"section,omitempty"`
}

// NewCloudWatch is a CloudWatch client that speaks awsQuery, CloudWatch's
// first protocol, which AWS still serves beside the SDK's default since
// v1.53 (Smithy RPC v2 CBOR). The AWS emulator the platform is tested on
// (moto 5.2) knows only awsQuery for CloudWatch, and doctor must be tested
// speaking as it speaks in production.
func NewCloudWatch(cfg aws.Config) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
	})
}

// firingAlarms lists the alarms named prefix* that are in ALARM.
func (d *deployment) firingAlarms(ctx context.Context, prefix string) ([]Alarm, error) {
	var out []Alarm
	p := cloudwatch.NewDescribeAlarmsPaginator(d.cloudwatch, &cloudwatch.DescribeAlarmsInput{
		AlarmNamePrefix: aws.String(prefix),
		StateValue:      cwtypes.StateValueAlarm,
		AlarmTypes:      []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe alarms %s*: %w", prefix, err)
		}
		// The state is checked here too: AWS filters by name prefix and
		// state together, moto by the name prefix alone.
		firing := func(state cwtypes.StateValue, name, description, reason *string, since *time.Time) {
			if state == cwtypes.StateValueAlarm {
				out = append(out, alarmOf(aws.ToString(name), aws.ToString(description), aws.ToString(reason), since))
			}
		}
		for _, a := range page.MetricAlarms {
			firing(a.StateValue, a.AlarmName, a.AlarmDescription, a.StateReason, a.StateUpdatedTimestamp)
		}
		for _, a := range page.CompositeAlarms {
			firing(a.StateValue, a.AlarmName, a.AlarmDescription, a.StateReason, a.StateUpdatedTimestamp)
		}
	}
	return out, nil
}

func alarmOf(name, description, reason string, since *time.Time) Alarm {
	a := Alarm{Name: name, Reason: reason}
	if since != nil {
		a.Since = since.UTC().Format(time.RFC3339)
	}
	if _, link, ok := strings.Cut(description, "Runbook: "); ok {
		a.Runbook = strings.Fields(link)[0]
		if _, section, ok := strings.Cut(a.Runbook, "#"); ok {
			a.Section = runbookSection(section)
		}
	}
	return a
}

// writeAlarm writes an alarm and its runbook section, indented.
func writeAlarm(b *strings.Builder, a Alarm) {
	fmt.Fprintf(b, "ALARM %s", a.Name)
	if a.Since != "" {
		fmt.Fprintf(b, " since %s", a.Since)
	}
	fmt.Fprintf(b, ": %s\n", a.Reason)
	switch {
	case a.Section != "":
		for _, line := range strings.Split(a.Section, "\n") {
			fmt.Fprintf(b, "  %s\n", strings.TrimSpace(line))
		}
	case a.Runbook != "":
		fmt.Fprintf(b, "  runbook: %s\n", a.Runbook)
	default:
		b.WriteString("  (no runbook link in the alarm's description)\n")
	}
}
