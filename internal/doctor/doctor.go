// Package doctor checks a live pollstack deployment on ECS for the failure
// classes that have hit this design before, and explains why recent tasks
// stopped. It only reads: every call is a Describe, Get or List.
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Config names the deployment to check.
type Config struct {
	Cluster     string // ECS cluster name or ARN
	Service     string // ECS service name or ARN
	Region      string // AWS region; empty means the SDK's default chain
	EndpointURL string // one endpoint for every service (an emulator); empty for AWS
	// AlarmPrefix selects the stack's alarms by name; empty: the cluster's
	// name and a hyphen (module monitoring names them so).
	AlarmPrefix string
}

// Class is one of the known failure classes.
type Class string

// The five failure classes, in the order doctor reports them.
const (
	SecretDecrypt Class = "secret-decrypt" // a role cannot read or decrypt a secret it reads
	ImagePlatform Class = "image-platform" // image built for another platform than the task
	Database      Class = "database"       // pending modifications or rejected credentials
	OIDCAudience  Class = "oidc-audience"  // GitHub OIDC client ids not exactly sts.amazonaws.com
	Logging       Class = "logging"        // container without logs, or missing log group
)

// Classes lists every class in report order.
var Classes = []Class{SecretDecrypt, ImagePlatform, Database, OIDCAudience, Logging}

// Status is the outcome of one check.
type Status string

const (
	StatusOK    Status = "ok"    // checked, nothing wrong
	StatusFail  Status = "fail"  // a fault was found
	StatusError Status = "error" // the check could not run (permissions, missing resource)
)

// Check is the result for one class.
type Check struct {
	Class  Class  `json:"class"`
	Status Status `json:"status"`
	// Detail says what was checked when the check passed, or why it
	// could not run when it errored.
	Detail string `json:"detail,omitempty"`
	// Fault and Fix are set when Status is fail: what is wrong, and the
	// one sentence that fixes it.
	Fault string `json:"fault,omitempty"`
	Fix   string `json:"fix,omitempty"`
}

// StoppedTask is a recently stopped task of the service with its reason
// explained in plain words.
type StoppedTask struct {
	TaskARN     string `json:"taskArn"`
	StoppedAt   string `json:"stoppedAt,omitempty"`
	StopCode    string `json:"stopCode,omitempty"`
	Reason      string `json:"reason"`
	Explanation string `json:"explanation"`
	// Failure is false for ordinary stops (scale-in, a new deployment, a
	// Spot interruption) and true for a task that failed.
	Failure bool `json:"failure"`
}

// Report is the outcome of Run.
type Report struct {
	Cluster        string        `json:"cluster"`
	Service        string        `json:"service"`
	TaskDefinition string        `json:"taskDefinition"`
	OK             bool          `json:"ok"`
	Checks         []Check       `json:"checks"`
	StoppedTasks   []StoppedTask `json:"stoppedTasks"`
	// Alarms are the stack's alarms in ALARM, each with its runbook section.
	Alarms []Alarm `json:"alarms"`
}

// Faults returns the checks that did not pass.
func (r *Report) Faults() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status != StatusOK {
			out = append(out, c)
		}
	}
	return out
}

// Check returns the result for one class.
func (r *Report) Check(c Class) Check {
	for _, ch := range r.Checks {
		if ch.Class == c {
			return ch
		}
	}
	return Check{Class: c, Status: StatusError, Detail: "not checked"}
}

// WriteText writes one line per class, then one line per stopped task.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, c := range r.Checks {
		switch c.Status {
		case StatusOK:
			fmt.Fprintf(&b, "ok %s: %s\n", c.Class, c.Detail)
		case StatusFail:
			fmt.Fprintf(&b, "FAIL %s: %s. Fix: %s\n", c.Class, strings.TrimSuffix(c.Fault, "."), c.Fix)
		default:
			fmt.Fprintf(&b, "ERROR %s: could not check: %s\n", c.Class, c.Detail)
		}
	}
	for _, a := range r.Alarms {
		writeAlarm(&b, a)
	}
	for _, t := range r.StoppedTasks {
		word := "stopped"
		if t.Failure {
			word = "FAIL stopped"
		}
		fmt.Fprintf(&b, "%s task %s", word, taskID(t.TaskARN))
		if t.StoppedAt != "" {
			fmt.Fprintf(&b, " at %s", t.StoppedAt)
		}
		fmt.Fprintf(&b, ": %q: %s\n", t.Reason, t.Explanation)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Option changes how Run talks to AWS.
type Option func(*options)

type options struct {
	httpClient aws.HTTPClient
	awsConfig  *aws.Config
}

// WithHTTPClient sends every AWS call through c.
func WithHTTPClient(c aws.HTTPClient) Option { return func(o *options) { o.httpClient = c } }

// WithAWSConfig uses cfg instead of the SDK's default configuration chain.
// Config.Region and Config.EndpointURL still apply when set.
func WithAWSConfig(cfg aws.Config) Option { return func(o *options) { o.awsConfig = &cfg } }

// clients holds one client per service that the checks read.
type clients struct {
	region     string
	cfg        aws.Config
	ecs        *ecs.Client
	iam        *iam.Client
	kms        *kms.Client
	secrets    *secretsmanager.Client
	ecr        *ecr.Client
	cloudwatch *cloudwatch.Client
	rds        *rds.Client
	logs       func(region string) *cloudwatchlogs.Client
	http       aws.HTTPClient
}

// ErrNotFound is returned when the cluster or service does not exist.
var ErrNotFound = errors.New("not found")

// Run checks the service's deployment and returns the report. It returns
// an error only when the service itself cannot be read; a check that
// cannot run is reported as StatusError in the report.
func Run(ctx context.Context, c Config, opts ...Option) (*Report, error) {
	if c.Cluster == "" || c.Service == "" {
		return nil, errors.New("doctor: cluster and service are required")
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cl, err := newClients(ctx, c, o)
	if err != nil {
		return nil, err
	}
	out, err := cl.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String(c.Cluster), Services: []string{c.Service},
	})
	if err != nil {
		return nil, fmt.Errorf("doctor: describe service %s in cluster %s: %w", c.Service, c.Cluster, err)
	}
	if len(out.Services) == 0 || aws.ToString(out.Services[0].Status) == "INACTIVE" {
		return nil, fmt.Errorf("doctor: service %s in cluster %s: %w", c.Service, c.Cluster, ErrNotFound)
	}
	svc := out.Services[0]
	td, err := cl.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.TaskDefinition})
	if err != nil {
		return nil, fmt.Errorf("doctor: describe task definition %s: %w", aws.ToString(svc.TaskDefinition), err)
	}
	d := &deployment{clients: cl, service: svc, taskDef: td.TaskDefinition, migrateDef: migrationTaskDef(ctx, cl, td.TaskDefinition)}
	r := &Report{Cluster: c.Cluster, Service: c.Service, TaskDefinition: aws.ToString(svc.TaskDefinition), StoppedTasks: []StoppedTask{}}
	r.Checks = []Check{
		d.checkSecretDecrypt(ctx),
		d.checkImagePlatform(ctx),
		d.checkDatabase(ctx),
		d.checkOIDC(ctx),
		d.checkLogging(ctx),
	}
	stopped, err := d.stoppedTasks(ctx, c.Cluster)
	if err != nil {
		r.Checks = append(r.Checks, Check{Class: "stopped-tasks", Status: StatusError, Detail: err.Error()})
	}
	if stopped != nil {
		r.StoppedTasks = stopped
	}
	prefix := c.AlarmPrefix
	if prefix == "" {
		prefix = clusterName(c.Cluster) + "-"
	}
	r.Alarms, err = d.firingAlarms(ctx, prefix)
	if err != nil {
		r.Checks = append(r.Checks, Check{Class: "alarms", Status: StatusError, Detail: err.Error()})
	}
	if r.Alarms == nil {
		r.Alarms = []Alarm{}
	}
	r.OK = true
	for _, ch := range r.Checks {
		if ch.Status != StatusOK {
			r.OK = false
		}
	}
	for _, t := range r.StoppedTasks {
		if t.Failure {
			r.OK = false
		}
	}
	if len(r.Alarms) > 0 {
		r.OK = false
	}
	return r, nil
}

func newClients(ctx context.Context, c Config, o options) (*clients, error) {
	var cfg aws.Config
	if o.awsConfig != nil {
		cfg = o.awsConfig.Copy()
	} else {
		var lo []func(*config.LoadOptions) error
		if c.Region != "" {
			lo = append(lo, config.WithRegion(c.Region))
		}
		loaded, err := config.LoadDefaultConfig(ctx, lo...)
		if err != nil {
			return nil, fmt.Errorf("doctor: load AWS configuration: %w", err)
		}
		cfg = loaded
	}
	if c.Region != "" {
		cfg.Region = c.Region
	}
	if cfg.Region == "" {
		return nil, errors.New("doctor: no AWS region: pass --region or set AWS_REGION")
	}
	if c.EndpointURL != "" {
		cfg.BaseEndpoint = aws.String(c.EndpointURL)
	}
	if o.httpClient != nil {
		cfg.HTTPClient = o.httpClient
	}
	httpc := cfg.HTTPClient
	if httpc == nil {
		httpc = defaultHTTPClient()
	}
	base := cfg
	return &clients{
		region:     cfg.Region,
		cfg:        cfg,
		ecs:        ecs.NewFromConfig(cfg),
		iam:        iam.NewFromConfig(cfg),
		kms:        kms.NewFromConfig(cfg),
		secrets:    secretsmanager.NewFromConfig(cfg),
		ecr:        ecr.NewFromConfig(cfg),
		cloudwatch: NewCloudWatch(cfg),
		rds:        rds.NewFromConfig(cfg),
		logs: func(region string) *cloudwatchlogs.Client {
			return cloudwatchlogs.NewFromConfig(base, func(o *cloudwatchlogs.Options) {
				if region != "" {
					o.Region = region
				}
			})
		},
		http: httpc,
	}, nil
}

// deployment is what the checks share: the service and its task definition,
// and the one-off migration task's definition when there is one.
type deployment struct {
	*clients
	service    ecstypes.Service
	taskDef    *ecstypes.TaskDefinition
	migrateDef *ecstypes.TaskDefinition // nil: none
}

// migrationTaskDef is the latest revision of the stack's migration task
// definition (family <name>-migrate beside the app's <name>-app, module
// compute), which migrates as the migrator with IAM tokens; nil when the
// app's family is named otherwise or there is none.
func migrationTaskDef(ctx context.Context, cl *clients, app *ecstypes.TaskDefinition) *ecstypes.TaskDefinition {
	name, ok := strings.CutSuffix(aws.ToString(app.Family), "-app")
	if !ok {
		return nil
	}
	out, err := cl.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(name + "-migrate")})
	if err != nil {
		return nil
	}
	return out.TaskDefinition
}

func ok(c Class, detail string, args ...any) Check {
	return Check{Class: c, Status: StatusOK, Detail: fmt.Sprintf(detail, args...)}
}

func failed(c Class, fault, fix string) Check {
	return Check{Class: c, Status: StatusFail, Fault: fault, Fix: fix}
}

func errored(c Class, err error) Check {
	return Check{Class: c, Status: StatusError, Detail: err.Error()}
}

// clusterName is the name of a cluster given by name or ARN.
func clusterName(cluster string) string {
	return taskID(cluster)
}

func taskID(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
