//go:build integration

package platform

// Invariants of each rendered environment, with their cases taken from the
// state and never from a list kept here:
//
//   - every secret a role reads (a container's secrets[].valueFrom, by the
//     task definition's execution role; every *_SECRET_ARN setting, by its
//     task role; the migration's task definition too) is readable by that
//     role and decryptable through Secrets Manager with the secret's ARN as
//     encryption context, and readable by no other role of the stack; a
//     secret no task of the stack reads (the database's master secret) is
//     read only by roles outside every boundary, that is roles only an
//     administrator makes, and by at least one;
//   - every resource the deploy role creates is requested with the tags the
//     provider sends (its tags_all: its own tags merged with the provider's
//     default tags), and the deploy role may make that request.

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/doctor"
)

// role is an IAM role of the stack with the documents IAM evaluates for it.
type role struct {
	name, arn          string
	policies, boundary []doctor.PolicyDocument
}

// anything stands for an AWS managed policy, whose text the state names
// but does not hold: the test takes the worst case, that it allows every
// call, so that only a role's boundary or the resource's own policy can
// keep such a role from a secret. A hand-copied text of AWS's would be a
// model of AWS that nothing here could check.
const anything = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// roles returns every role of the state by ARN, with its inline and
// attached policies and its boundary.
func (s *stack) roles(t *testing.T) map[string]*role {
	t.Helper()
	managed := func(arn string) []doctor.PolicyDocument {
		var out []doctor.PolicyDocument
		for _, p := range s.all("aws_iam_policy") {
			if p.str("arn") == arn {
				out = append(out, parse(t, p.Address, p.str("policy")))
			}
		}
		if len(out) == 0 && strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
			out = append(out, parse(t, arn, anything))
		}
		if len(out) == 0 {
			t.Fatalf("%s: policy %s is neither in the state nor an AWS managed policy", s.env, arn)
		}
		return out
	}
	out := map[string]*role{}
	for _, r := range s.all("aws_iam_role") {
		ro := &role{name: r.str("name"), arn: r.str("arn")}
		if b := r.str("permissions_boundary"); b != "" {
			ro.boundary = managed(b)
		}
		out[ro.arn] = ro
	}
	byName := func(ref string) *role {
		name := s.roleName(ref)
		for _, ro := range out {
			if ro.name == name {
				return ro
			}
		}
		t.Fatalf("%s: no role %s in the state", s.env, ref)
		return nil
	}
	for _, p := range s.all("aws_iam_role_policy") {
		ro := byName(p.str("role"))
		ro.policies = append(ro.policies, parse(t, p.Address, p.str("policy")))
	}
	attached := map[string]bool{} // the mocked state gives the deploy policies one ARN
	for _, a := range s.all("aws_iam_role_policy_attachment") {
		ro := byName(a.str("role"))
		if key := ro.arn + " " + a.str("policy_arn"); !attached[key] {
			attached[key] = true
			ro.policies = append(ro.policies, managed(a.str("policy_arn"))...)
		}
	}
	return out
}

// reading is one role reading one secret, and where the stack says so.
type reading struct {
	secret, role, where string
}

// readings derives from every task definition of the state who reads
// which secret.
func (s *stack) readings(t *testing.T) []reading {
	t.Helper()
	var out []reading
	for _, td := range s.all("aws_ecs_task_definition") {
		var containers []struct {
			Name        string `json:"name"`
			Environment []struct {
				Name, Value string
			} `json:"environment"`
			Secrets []struct {
				Name      string `json:"name"`
				ValueFrom string `json:"valueFrom"`
			} `json:"secrets"`
		}
		if err := json.Unmarshal([]byte(td.str("container_definitions")), &containers); err != nil {
			t.Fatalf("%s: container definitions: %v", td.Address, err)
		}
		add := func(where, value, roleARN, kind string) {
			switch arn := doctor.SecretARN(value); {
			case arn == "":
				t.Errorf("%s: %q is not a Secrets Manager ARN", where, value)
			case roleARN == "":
				t.Errorf("%s: the task definition has no %s to read it", where, kind)
			default:
				out = append(out, reading{arn, roleARN, where + " (" + kind + ")"})
			}
		}
		for _, c := range containers {
			for _, sec := range c.Secrets {
				add(td.Address+" container "+c.Name+" secret "+sec.Name, sec.ValueFrom, td.str("execution_role_arn"), "execution role")
			}
			for _, e := range c.Environment {
				if strings.HasSuffix(e.Name, doctor.SecretSuffix) {
					add(td.Address+" container "+c.Name+" setting "+e.Name, e.Value, td.str("task_role_arn"), "task role")
				}
			}
		}
	}
	return out
}

// secret is a secret of the state with what decides who reads it.
type secret struct {
	arn, keyARN string // keyARN "": the AWS managed key
	tags        map[string]string
	policy      *doctor.PolicyDocument // the secret's resource policy
	keyPolicy   *doctor.PolicyDocument
}

// secret finds a secret in the state: one the stack creates, or the
// database's master secret, which RDS creates and tags with its instance.
func (s *stack) secret(t *testing.T, arn string) secret {
	t.Helper()
	var sec secret
	for _, r := range s.all("aws_secretsmanager_secret") {
		if r.str("arn") == arn {
			sec = secret{arn: arn, keyARN: r.str("kms_key_id"), tags: s.tagsAll(t, r)}
		}
	}
	for _, db := range s.all("aws_db_instance") {
		for _, m := range db.Values["master_user_secret"].([]any) {
			if m := m.(map[string]any); m["secret_arn"] == arn {
				sec = secret{arn: arn, keyARN: m["kms_key_id"].(string), tags: map[string]string{"aws:rds:primaryDBInstanceArn": db.str("arn")}}
			}
		}
	}
	if sec.arn == "" {
		t.Fatalf("%s: secret %s is not in the state: the stack reads a secret it does not make", s.env, arn)
	}
	for _, p := range s.all("aws_secretsmanager_secret_policy") {
		if p.str("secret_arn") == arn {
			doc := parse(t, p.Address, p.str("policy"))
			sec.policy = &doc
		}
	}
	if sec.keyARN == "" {
		return sec
	}
	for _, k := range s.all("aws_kms_key") {
		if sec.keyARN == k.str("arn") || sec.keyARN == k.str("key_id") {
			sec.keyARN = k.str("arn")
			doc := parse(t, k.Address, k.str("policy"))
			sec.keyPolicy = &doc
		}
	}
	if sec.keyPolicy == nil {
		t.Fatalf("%s: the key %s of secret %s is not in the state", s.env, sec.keyARN, arn)
	}
	return sec
}

func asCall(r doctor.Request) call { return call{r.Action, r.Resource, r.Context} }

// reads decides whether a role may read a secret's value (its identity
// policies within its boundary, and the secret's policy).
func (sec secret) reads(t *testing.T, ro *role) doctor.Decision {
	t.Helper()
	req := doctor.ReadSecretRequest(sec.arn, ro.arn, sec.tags)
	resource := doctor.ImplicitDeny
	if sec.policy != nil {
		resource = doctor.ResourcePolicy(*sec.policy, sec.arn, ro.arn, req)
	}
	got := doctor.SameAccount(decide(t, ro.policies, ro.boundary, asCall(req)), resource)
	if sec.policy != nil {
		judgedWithResource(t, ro, *sec.policy, req, got)
	}
	return got
}

// decrypts decides whether Secrets Manager may decrypt the secret for the
// role (its identity policies within its boundary, and the key policy).
func (sec secret) decrypts(t *testing.T, ro *role) doctor.Decision {
	t.Helper()
	if sec.keyARN == "" {
		return doctor.Allowed // the AWS managed key serves every principal of the account through Secrets Manager
	}
	req := doctor.DecryptSecretRequest(sec.arn, sec.keyARN, ro.arn)
	got := doctor.WithKeyPolicy(decide(t, ro.policies, ro.boundary, asCall(req)), doctor.ResourcePolicy(*sec.keyPolicy, sec.keyARN, ro.arn, req))
	judgedWithResource(t, ro, *sec.keyPolicy, req, got)
	return got
}

// secretARNs lists every secret of the state: those the stack makes and
// the master secrets RDS makes for its databases.
func (s *stack) secretARNs() []string {
	var out []string
	for _, r := range s.all("aws_secretsmanager_secret") {
		out = append(out, r.str("arn"))
	}
	for _, db := range s.all("aws_db_instance") {
		for _, m := range db.Values["master_user_secret"].([]any) {
			out = append(out, m.(map[string]any)["secret_arn"].(string))
		}
	}
	return out
}

// administratorsOnly checks a secret that no task of the stack reads: the
// roles that may read it carry no boundary (the deploy role can make no
// such role), and one of them may also decrypt it, or nobody could use it.
func administratorsOnly(t *testing.T, sec secret, roles map[string]*role) {
	t.Helper()
	var usable []string
	for _, ro := range roles {
		if sec.reads(t, ro) != doctor.Allowed {
			continue
		}
		if ro.boundary != nil {
			t.Errorf("role %s, which the deploy role may make within its boundary, may read secret %s, which no task of the stack reads", ro.name, sec.arn)
		}
		if sec.decrypts(t, ro) == doctor.Allowed {
			usable = append(usable, ro.name)
		}
	}
	if len(usable) == 0 {
		t.Errorf("no role may read and decrypt secret %s: nobody can use it", sec.arn)
	}
	t.Logf("%s, read by no task of the stack, is read by %v only", sec.arn, usable)
}

func TestInvariantSecretsReadByTheirRolesOnly(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			s := render(t, env)
			roles := s.roles(t)
			readings := s.readings(t)
			if len(readings) == 0 {
				t.Fatal("no task definition reads a secret: the state is not what this test expects")
			}
			readers := map[string]map[string]bool{} // secret -> role ARNs
			for _, rd := range readings {
				ro := roles[rd.role]
				if ro == nil {
					t.Errorf("%s: role %s is not in the state", rd.where, rd.role)
					continue
				}
				sec := s.secret(t, rd.secret)
				if readers[sec.arn] == nil {
					readers[sec.arn] = map[string]bool{}
				}
				readers[sec.arn][ro.arn] = true
				if got := sec.reads(t, ro); got != doctor.Allowed {
					t.Errorf("%s: role %s may not read secret %s (%v): %s", rd.where, ro.name, sec.arn, got, asCall(doctor.ReadSecretRequest(sec.arn, ro.arn, sec.tags)))
				}
				if got := sec.decrypts(t, ro); got != doctor.Allowed {
					t.Errorf("%s: role %s may not decrypt secret %s through Secrets Manager with key %s (%v): the task cannot start or read it; %s",
						rd.where, ro.name, sec.arn, sec.keyARN, got, asCall(doctor.DecryptSecretRequest(sec.arn, sec.keyARN, ro.arn)))
				}
				t.Logf("%s: %s reads %s", rd.where, ro.name, sec.arn)
			}
			for secretARN, allowed := range readers {
				sec := s.secret(t, secretARN)
				for _, ro := range roles {
					if !allowed[ro.arn] && sec.reads(t, ro) == doctor.Allowed {
						t.Errorf("role %s may read secret %s, which only %v read", ro.name, secretARN, slices.Sorted(maps.Keys(allowed)))
					}
				}
			}
			for _, secretARN := range s.secretARNs() {
				if readers[secretARN] == nil {
					administratorsOnly(t, s.secret(t, secretARN), roles)
				}
			}
		})
	}
}

// tagsAll is what the provider sends as a resource's tags: the state's
// tags_all, or (mocked AWS leaves it empty) the resource's tags merged over
// the provider's default tags, which the root outputs. nil: the resource
// type takes no tags.
func (s *stack) tagsAll(t *testing.T, r resource) map[string]string {
	t.Helper()
	raw, takesTags := r.Values["tags_all"]
	if !takesTags {
		return nil
	}
	all, _ := raw.(map[string]any)
	out := map[string]string{}
	if len(all) == 0 {
		defaults, ok := s.outputs["default_tags"].(map[string]any)
		if !ok {
			t.Fatalf("%s: the root has no default_tags output (infra/envs/outputs.tf): the provider's default tags are unknown", s.env)
		}
		all = maps.Clone(defaults)
		own, _ := r.Values["tags"].(map[string]any)
		maps.Copy(all, own)
	}
	for k, v := range all {
		out[k] = v.(string)
	}
	return out
}

// requesting adds a create request's tags to a call's context.
func requesting(c call, tags map[string]string) call {
	if len(tags) == 0 {
		return c
	}
	ctx := maps.Clone(c.ctx)
	for k, v := range tags {
		ctx["aws:RequestTag/"+k] = []string{v}
	}
	ctx["aws:TagKeys"] = slices.Sorted(maps.Keys(tags))
	return call{c.action, c.resource, ctx}
}

// on makes a call on an existing resource of the state, which carries its
// tags (aws:ResourceTag).
func (s *stack) on(t *testing.T, parent resource, c call) call {
	t.Helper()
	for k, v := range s.tagsAll(t, parent) {
		c.ctx["aws:ResourceTag/"+k] = []string{v}
	}
	return c
}

// find returns the resource of a type whose attribute has a value.
func (s *stack) find(t *testing.T, typ, attr, value string) resource {
	t.Helper()
	for _, r := range s.all(typ) {
		if r.str(attr) == value {
			return r
		}
	}
	t.Fatalf("%s: no %s with %s %q", s.env, typ, attr, value)
	return resource{}
}

// stateARN is the ARN the (mocked) state gives a resource.
func stateARN(t *testing.T, r resource) string {
	t.Helper()
	a := r.str("arn")
	if !strings.HasPrefix(a, "arn:") {
		t.Fatalf("%s: the state gives no ARN (%q): build it in creates", r.Address, a)
	}
	return a
}

// creates maps each resource type the deploy role creates to the request
// that creates one (or, for a resource that is part of another, the
// request that adds it there), without tags: the test adds the tags the
// provider sends. Where the service authorizes tags at creation with a
// second action, that call too: EC2's CreateTags with ec2:CreateAction,
// ECS's TagResource with ecs:CreateAction, ELB's AddTags with
// elasticloadbalancing:CreateAction, and KMS, IAM and Secrets Manager's
// tag actions. A type missing here fails the test.
var creates = map[string]func(t *testing.T, s *stack, r resource) []call{
	"terraform_data": func(*testing.T, *stack, resource) []call { return nil }, // no AWS call

	"aws_vpc":                             ec2Create("CreateVpc", "vpc"),
	"aws_subnet":                          ec2Create("CreateSubnet", "subnet"),
	"aws_route_table":                     ec2Create("CreateRouteTable", "route-table"),
	"aws_internet_gateway":                ec2Create("CreateInternetGateway", "internet-gateway"),
	"aws_eip":                             ec2Create("AllocateAddress", "elastic-ip"),
	"aws_nat_gateway":                     ec2Create("CreateNatGateway", "natgateway"),
	"aws_security_group":                  ec2Create("CreateSecurityGroup", "security-group"),
	"aws_vpc_security_group_ingress_rule": ec2Create("AuthorizeSecurityGroupIngress", "security-group-rule"),
	"aws_vpc_security_group_egress_rule":  ec2Create("AuthorizeSecurityGroupEgress", "security-group-rule"),
	"aws_flow_log":                        ec2Create("CreateFlowLogs", "vpc-flow-log"),
	"aws_vpc_endpoint":                    ec2Create("CreateVpcEndpoint", "vpc-endpoint"),
	"aws_default_security_group": func(t *testing.T, s *stack, r resource) []call {
		// Made by AWS with the VPC; the stack adopts and tags it.
		return []call{plain("ec2:CreateTags", ec2ARN("security-group/"+r.str("id")), "ec2:Vpc", ec2ARN("vpc/"+r.str("vpc_id")))}
	},
	"aws_route": func(t *testing.T, s *stack, r resource) []call {
		rt := s.find(t, "aws_route_table", "id", r.str("route_table_id"))
		return []call{s.on(t, rt, plain("ec2:CreateRoute", ec2ARN("route-table/"+rt.str("id"))))}
	},
	"aws_route_table_association": func(t *testing.T, s *stack, r resource) []call {
		rt := s.find(t, "aws_route_table", "id", r.str("route_table_id"))
		return []call{s.on(t, rt, plain("ec2:AssociateRouteTable", ec2ARN("route-table/"+rt.str("id"))))}
	},

	"aws_kms_key": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("kms:CreateKey", "*"), plain("kms:TagResource", "*")}
	},
	"aws_kms_alias": func(t *testing.T, s *stack, r resource) []call {
		key := s.find(t, "aws_kms_key", "key_id", r.str("target_key_id"))
		return []call{plain("kms:CreateAlias", arn("kms", r.str("name"))), s.on(t, key, plain("kms:CreateAlias", stateARN(t, key)))}
	},
	"aws_cloudwatch_log_group": created("logs:CreateLogGroup"),
	"aws_secretsmanager_secret": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("secretsmanager:CreateSecret", stateARN(t, r)), plain("secretsmanager:TagResource", stateARN(t, r))}
	},
	"aws_secretsmanager_secret_policy": func(t *testing.T, s *stack, r resource) []call {
		sec := s.find(t, "aws_secretsmanager_secret", "arn", r.str("secret_arn"))
		return []call{s.on(t, sec, plain("secretsmanager:PutResourcePolicy", stateARN(t, sec)))}
	},
	"aws_iam_role": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("iam:CreateRole", stateARN(t, r), "iam:PermissionsBoundary", r.str("permissions_boundary")), plain("iam:TagRole", stateARN(t, r))}
	},
	"aws_iam_role_policy": func(t *testing.T, s *stack, r resource) []call {
		ro := s.find(t, "aws_iam_role", "name", s.roleName(r.str("role")))
		return []call{s.on(t, ro, plain("iam:PutRolePolicy", stateARN(t, ro), "iam:PermissionsBoundary", ro.str("permissions_boundary")))}
	},
	"aws_iam_role_policy_attachment": func(t *testing.T, s *stack, r resource) []call {
		ro := s.find(t, "aws_iam_role", "name", s.roleName(r.str("role")))
		return []call{s.on(t, ro, plain("iam:AttachRolePolicy", stateARN(t, ro), "iam:PermissionsBoundary", ro.str("permissions_boundary"), "iam:PolicyARN", r.str("policy_arn")))}
	},

	"aws_ecr_repository": created("ecr:CreateRepository"),
	"aws_ecr_lifecycle_policy": func(t *testing.T, s *stack, r resource) []call {
		repo := s.find(t, "aws_ecr_repository", "name", r.str("repository"))
		return []call{s.on(t, repo, plain("ecr:PutLifecyclePolicy", stateARN(t, repo)))}
	},
	"aws_ecs_cluster": func(t *testing.T, s *stack, r resource) []call {
		return ecsCreate("CreateCluster", stateARN(t, r))
	},
	"aws_ecs_cluster_capacity_providers": func(t *testing.T, s *stack, r resource) []call {
		c := s.find(t, "aws_ecs_cluster", "name", r.str("cluster_name"))
		return []call{s.on(t, c, plain("ecs:PutClusterCapacityProviders", stateARN(t, c)))}
	},
	"aws_ecs_task_definition": func(t *testing.T, s *stack, r resource) []call {
		return ecsCreate("RegisterTaskDefinition", arn("ecs", "task-definition/"+r.str("family")+":1"))
	},
	"aws_ecs_service": func(t *testing.T, s *stack, r resource) []call {
		c := s.one(t, "module.stack.module.compute.aws_ecs_cluster.this") // the mocked service names no real cluster
		cs := ecsCreate("CreateService", arn("ecs", "service/"+c.str("name")+"/"+r.str("name")))
		for i := range cs {
			cs[i].ctx["ecs:cluster"] = []string{stateARN(t, c)}
		}
		return cs
	},
	"aws_appautoscaling_target": func(t *testing.T, s *stack, r resource) []call {
		target := arn("application-autoscaling", "scalable-target/"+r.str("id"))
		return []call{plain("application-autoscaling:RegisterScalableTarget", target), plain("application-autoscaling:TagResource", target)}
	},
	"aws_appautoscaling_policy": func(t *testing.T, s *stack, r resource) []call {
		target := s.find(t, "aws_appautoscaling_target", "resource_id", r.str("resource_id"))
		return []call{s.on(t, target, plain("application-autoscaling:PutScalingPolicy", arn("application-autoscaling", "scalable-target/"+target.str("id"))))}
	},

	"aws_db_subnet_group": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("rds:CreateDBSubnetGroup", arn("rds", "subgrp:"+r.str("name")))}
	},
	"aws_db_parameter_group": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("rds:CreateDBParameterGroup", arn("rds", "pg:"+r.str("name_prefix")+"20260101000000000000000001"))}
	},
	"aws_db_instance": created("rds:CreateDBInstance"),

	"aws_lb": func(t *testing.T, s *stack, r resource) []call {
		return elbCreate("CreateLoadBalancer", stateARN(t, r), stateARN(t, r))
	},
	"aws_lb_target_group": func(t *testing.T, s *stack, r resource) []call {
		return elbCreate("CreateTargetGroup", stateARN(t, r), stateARN(t, r))
	},
	"aws_lb_listener": func(t *testing.T, s *stack, r resource) []call {
		return elbCreate("CreateListener", r.str("load_balancer_arn"), stateARN(t, r))
	},
	"aws_s3_bucket":                                      created("s3:CreateBucket", "s3:PutBucketTagging"),
	"aws_s3_bucket_policy":                               bucketPart("s3:PutBucketPolicy"),
	"aws_s3_bucket_public_access_block":                  bucketPart("s3:PutBucketPublicAccessBlock"),
	"aws_s3_bucket_ownership_controls":                   bucketPart("s3:PutBucketOwnershipControls"),
	"aws_s3_bucket_server_side_encryption_configuration": bucketPart("s3:PutEncryptionConfiguration"),
	"aws_s3_bucket_versioning":                           bucketPart("s3:PutBucketVersioning"),
	"aws_s3_bucket_lifecycle_configuration":              bucketPart("s3:PutLifecycleConfiguration"),
	"aws_wafv2_web_acl":                                  created("wafv2:CreateWebACL"),
	"aws_wafv2_web_acl_association": func(t *testing.T, s *stack, r resource) []call {
		// Authorized on the web ACL and the load balancer; SetWebAcl takes
		// no resource (AWS's action data).
		return []call{plain("wafv2:AssociateWebACL", r.str("web_acl_arn")), plain("wafv2:AssociateWebACL", r.str("resource_arn")), plain("elasticloadbalancing:SetWebAcl", "*")}
	},
	"aws_wafv2_web_acl_logging_configuration": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("wafv2:PutLoggingConfiguration", r.str("resource_arn"))}
	},
	"aws_acm_certificate": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("acm:RequestCertificate", "*")}
	},
	"aws_acm_certificate_validation": func(t *testing.T, s *stack, r resource) []call {
		cert := s.find(t, "aws_acm_certificate", "arn", r.str("certificate_arn"))
		return []call{s.on(t, cert, plain("acm:DescribeCertificate", stateARN(t, cert)))}
	},
	"aws_route53_record": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/"+r.str("zone_id"))}
	},

	"aws_sns_topic": created("sns:CreateTopic"),
	"aws_sns_topic_policy": func(t *testing.T, s *stack, r resource) []call {
		topic := s.find(t, "aws_sns_topic", "arn", r.str("arn"))
		return []call{s.on(t, topic, plain("sns:SetTopicAttributes", stateARN(t, topic)))}
	},
	"aws_sns_topic_subscription": func(t *testing.T, s *stack, r resource) []call {
		topic := s.find(t, "aws_sns_topic", "arn", r.str("topic_arn"))
		return []call{s.on(t, topic, plain("sns:Subscribe", stateARN(t, topic), "sns:Protocol", r.str("protocol"), "sns:Endpoint", r.str("endpoint")))}
	},
	"aws_cloudwatch_metric_alarm": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("cloudwatch:PutMetricAlarm", arn("cloudwatch", "alarm:"+r.str("alarm_name")))}
	},
	"aws_cloudwatch_dashboard": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("cloudwatch:PutDashboard", "arn:aws:cloudwatch::"+account+":dashboard/"+r.str("dashboard_name"))}
	},
	"aws_cloudwatch_event_rule": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("events:PutRule", arn("events", "rule/"+r.str("name")))}
	},
	"aws_cloudwatch_event_target": func(t *testing.T, s *stack, r resource) []call {
		rule := s.find(t, "aws_cloudwatch_event_rule", "name", r.str("rule"))
		return []call{s.on(t, rule, plain("events:PutTargets", arn("events", "rule/"+rule.str("name")), "events:TargetArn", r.str("arn")))}
	},
	"aws_budgets_budget": func(t *testing.T, s *stack, r resource) []call {
		return []call{plain("budgets:ModifyBudget", "arn:aws:budgets::"+account+":budget/"+r.str("name"))}
	},
}

// ec2Create is an EC2 creation: the create call on the new resource and,
// for its tags, CreateTags with ec2:CreateAction.
func ec2Create(action, kind string) func(t *testing.T, s *stack, r resource) []call {
	return func(t *testing.T, s *stack, r resource) []call {
		res := ec2ARN(kind + "/" + r.str("id"))
		return []call{plain("ec2:"+action, res), plain("ec2:CreateTags", res, "ec2:CreateAction", action)}
	}
}

// ecsCreate is an ECS creation and its tags (ecs:TagResource with
// ecs:CreateAction).
func ecsCreate(action, resource string) []call {
	return []call{plain("ecs:"+action, resource), plain("ecs:TagResource", resource, "ecs:CreateAction", action)}
}

// elbCreate is a load balancing creation (on, for a listener, its load
// balancer) and its tags on the new resource.
func elbCreate(action, on, created string) []call {
	return []call{plain("elasticloadbalancing:"+action, on), plain("elasticloadbalancing:AddTags", created, "elasticloadbalancing:CreateAction", action)}
}

// created is a creation by actions on the ARN the state gives.
func created(actions ...string) func(t *testing.T, s *stack, r resource) []call {
	return func(t *testing.T, s *stack, r resource) []call {
		var cs []call
		for _, a := range actions {
			cs = append(cs, plain(a, stateARN(t, r)))
		}
		return cs
	}
}

// bucketPart is a setting of a bucket of the state.
func bucketPart(action string) func(t *testing.T, s *stack, r resource) []call {
	return func(t *testing.T, s *stack, r resource) []call {
		b := s.find(t, "aws_s3_bucket", "id", r.str("bucket"))
		return []call{s.on(t, b, plain(action, stateARN(t, b)))}
	}
}

func TestInvariantDeployRoleCreatesWithTheProvidersTags(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			s := render(t, env)
			d := s.docs(t)
			var missing []string
			calls := 0
			for _, r := range s.resources {
				if pipelineIdentity(r) {
					continue // an administrator applies the pipeline's own identity
				}
				f, ok := creates[r.Type]
				if !ok {
					missing = append(missing, r.Type)
					continue
				}
				tags := s.tagsAll(t, r)
				for _, c := range f(t, s, r) {
					calls++
					c = requesting(c, tags)
					if got := decide(t, d.deploy, nil, c); got != doctor.Allowed {
						t.Errorf("%s: the deploy role may not create it with the tags the provider sends %v (%v): %s", r.Address, tags, got, c)
					}
				}
			}
			if len(missing) > 0 {
				sort.Strings(missing)
				t.Errorf("resource types with no create request in creates (e2e/platform/invariants_test.go): %v", slices.Compact(missing))
			}
			t.Logf("%s: %d resources, %d create requests", env, len(s.resources), calls)
		})
	}
}
