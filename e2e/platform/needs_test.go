//go:build integration

package platform

// What an apply and a destroy of each environment ask of AWS, derived from
// the resource types in the environment's state: every managed resource
// type must have an entry here (a new type fails the test until it has
// one), and every call listed must be allowed to the deploy role. The
// calls are the create, change and delete requests of each type, with the
// resources IAM authorizes them on (the Service Authorization Reference's
// resource types for the action) and the tags in play.

import (
	"sort"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/doctor"
)

// needs maps a resource type to the calls that create, change and delete
// one such resource.
var needs = map[string]func(s *stack, r resource) []call{
	"terraform_data": func(*stack, resource) []call { return nil },

	// Network.
	"aws_vpc": func(s *stack, r resource) []call {
		vpc := ec2ARN("vpc/" + r.str("id"))
		return []call{s.creating("ec2:CreateVpc", ec2ARN("vpc/*")), tagOnCreate(s, "CreateVpc", vpc),
			s.using("ec2:ModifyVpcAttribute", vpc), s.using("ec2:DeleteVpc", vpc), plain("ec2:DescribeVpcs", "*")}
	},
	"aws_default_security_group": func(s *stack, r resource) []call {
		sg := ec2ARN("security-group/" + r.str("id"))
		in := "arn:aws:ec2:" + region + ":" + account + ":vpc/" + vpcID
		return []call{plain("ec2:RevokeSecurityGroupIngress", sg, "ec2:Vpc", in), plain("ec2:RevokeSecurityGroupEgress", sg, "ec2:Vpc", in),
			s.withTags(plain("ec2:CreateTags", sg, "ec2:Vpc", in))}
	},
	"aws_internet_gateway": func(s *stack, r resource) []call {
		igw := ec2ARN("internet-gateway/" + r.str("id"))
		return []call{s.creating("ec2:CreateInternetGateway", ec2ARN("internet-gateway/*")), tagOnCreate(s, "CreateInternetGateway", igw),
			s.using("ec2:AttachInternetGateway", igw), s.using("ec2:AttachInternetGateway", ec2ARN("vpc/"+vpcID)),
			s.using("ec2:DetachInternetGateway", igw), s.using("ec2:DeleteInternetGateway", igw)}
	},
	"aws_subnet": func(s *stack, r resource) []call {
		subnet := ec2ARN("subnet/" + r.str("id"))
		return []call{s.creating("ec2:CreateSubnet", ec2ARN("subnet/*")), s.withTags(s.using("ec2:CreateSubnet", ec2ARN("vpc/"+vpcID))),
			tagOnCreate(s, "CreateSubnet", subnet), s.using("ec2:ModifySubnetAttribute", subnet), s.using("ec2:DeleteSubnet", subnet)}
	},
	"aws_route_table": func(s *stack, r resource) []call {
		rt := ec2ARN("route-table/" + r.str("id"))
		return []call{s.creating("ec2:CreateRouteTable", ec2ARN("route-table/*")), s.withTags(s.using("ec2:CreateRouteTable", ec2ARN("vpc/"+vpcID))),
			tagOnCreate(s, "CreateRouteTable", rt), s.using("ec2:DeleteRouteTable", rt)}
	},
	"aws_route": func(s *stack, r resource) []call {
		rt := ec2ARN("route-table/" + r.str("route_table_id"))
		return []call{s.using("ec2:CreateRoute", rt), s.using("ec2:ReplaceRoute", rt), s.using("ec2:DeleteRoute", rt)}
	},
	"aws_route_table_association": func(s *stack, r resource) []call {
		rt, subnet := ec2ARN("route-table/"+r.str("route_table_id")), ec2ARN("subnet/"+r.str("subnet_id"))
		return []call{s.using("ec2:AssociateRouteTable", rt), s.using("ec2:AssociateRouteTable", subnet), s.using("ec2:DisassociateRouteTable", rt)}
	},
	"aws_eip": func(s *stack, r resource) []call {
		eip := ec2ARN("elastic-ip/" + r.str("id"))
		return []call{s.creating("ec2:AllocateAddress", ec2ARN("elastic-ip/*")), tagOnCreate(s, "AllocateAddress", eip), s.using("ec2:ReleaseAddress", eip)}
	},
	"aws_nat_gateway": func(s *stack, r resource) []call {
		nat := ec2ARN("natgateway/" + r.str("id"))
		return []call{s.creating("ec2:CreateNatGateway", ec2ARN("natgateway/*")), s.withTags(s.using("ec2:CreateNatGateway", ec2ARN("subnet/"+r.str("subnet_id")))),
			s.withTags(s.using("ec2:CreateNatGateway", ec2ARN("elastic-ip/"+r.str("allocation_id")))), tagOnCreate(s, "CreateNatGateway", nat),
			s.using("ec2:DeleteNatGateway", nat)}
	},
	"aws_security_group": func(s *stack, r resource) []call {
		sg := ec2ARN("security-group/" + r.str("id"))
		return []call{s.creating("ec2:CreateSecurityGroup", ec2ARN("security-group/*")), s.withTags(s.using("ec2:CreateSecurityGroup", ec2ARN("vpc/"+vpcID))),
			tagOnCreate(s, "CreateSecurityGroup", sg), s.using("ec2:RevokeSecurityGroupEgress", sg), s.using("ec2:DeleteSecurityGroup", sg)}
	},
	"aws_vpc_security_group_ingress_rule": func(s *stack, r resource) []call {
		sg := ec2ARN("security-group/" + r.str("security_group_id"))
		return []call{s.withTags(s.using("ec2:AuthorizeSecurityGroupIngress", sg)), s.creating("ec2:AuthorizeSecurityGroupIngress", ec2ARN("security-group-rule/*")),
			tagOnCreate(s, "AuthorizeSecurityGroupIngress", ec2ARN("security-group-rule/"+r.str("id"))),
			s.using("ec2:ModifySecurityGroupRules", sg), s.using("ec2:RevokeSecurityGroupIngress", sg)}
	},
	"aws_vpc_security_group_egress_rule": func(s *stack, r resource) []call {
		sg := ec2ARN("security-group/" + r.str("security_group_id"))
		return []call{s.withTags(s.using("ec2:AuthorizeSecurityGroupEgress", sg)), s.creating("ec2:AuthorizeSecurityGroupEgress", ec2ARN("security-group-rule/*")),
			tagOnCreate(s, "AuthorizeSecurityGroupEgress", ec2ARN("security-group-rule/"+r.str("id"))), s.using("ec2:RevokeSecurityGroupEgress", sg)}
	},
	"aws_flow_log": func(s *stack, r resource) []call {
		return s.unlessProtected([]call{s.creating("ec2:CreateFlowLogs", ec2ARN("vpc-flow-log/*")), s.withTags(s.using("ec2:CreateFlowLogs", ec2ARN("vpc/"+vpcID))),
			tagOnCreate(s, "CreateFlowLogs", ec2ARN("vpc-flow-log/"+r.str("id"))), passRole(s, "flow-logs", "vpc-flow-logs.amazonaws.com")},
			s.using("ec2:DeleteFlowLogs", ec2ARN("vpc-flow-log/"+r.str("id"))))
	},
	"aws_vpc_endpoint": func(s *stack, r resource) []call {
		ep := ec2ARN("vpc-endpoint/" + r.str("id"))
		cs := []call{s.creating("ec2:CreateVpcEndpoint", ec2ARN("vpc-endpoint/*")), s.withTags(s.using("ec2:CreateVpcEndpoint", ec2ARN("vpc/"+vpcID))),
			tagOnCreate(s, "CreateVpcEndpoint", ep), s.using("ec2:ModifyVpcEndpoint", ep), s.using("ec2:DeleteVpcEndpoints", ep)}
		for _, id := range strs(r.Values["route_table_ids"]) {
			cs = append(cs, s.withTags(s.using("ec2:CreateVpcEndpoint", ec2ARN("route-table/"+id))))
		}
		for _, id := range append(strs(r.Values["subnet_ids"]), strs(r.Values["security_group_ids"])...) {
			kind := "subnet/"
			if strings.HasPrefix(id, "sg-") || r.Values["security_group_ids"] != nil && contains(strs(r.Values["security_group_ids"]), id) {
				kind = "security-group/"
			}
			cs = append(cs, s.withTags(s.using("ec2:CreateVpcEndpoint", ec2ARN(kind+id))))
		}
		return cs
	},

	// Keys, logs, secrets.
	"aws_kms_key": func(s *stack, r resource) []call {
		return []call{s.creating("kms:CreateKey", "*"), s.creating("kms:TagResource", "*"), s.using("kms:EnableKeyRotation", keyARN),
			s.using("kms:DescribeKey", keyARN), s.using("kms:GetKeyPolicy", keyARN), s.using("kms:GetKeyRotationStatus", keyARN), s.using("kms:ListResourceTags", keyARN)}
	},
	"aws_kms_alias": func(s *stack, r resource) []call {
		alias := arn("kms", r.str("name"))
		return []call{plain("kms:CreateAlias", alias), s.using("kms:CreateAlias", keyARN), plain("kms:DeleteAlias", alias), s.using("kms:DeleteAlias", keyARN)}
	},
	"aws_cloudwatch_log_group": func(s *stack, r resource) []call {
		lg := arn("logs", "log-group:"+r.str("name"))
		return s.unlessProtected([]call{plain("logs:CreateLogGroup", lg), plain("logs:PutRetentionPolicy", lg), plain("logs:AssociateKmsKey", lg), plain("logs:TagResource", lg),
			plain("logs:DescribeLogGroups", "*")}, plain("logs:DeleteLogGroup", lg))
	},
	"aws_secretsmanager_secret": func(s *stack, r resource) []call {
		sec := arn("secretsmanager", "secret:"+r.str("name")+"-AbCdEf")
		return []call{plain("secretsmanager:CreateSecret", sec), plain("secretsmanager:TagResource", sec), plain("secretsmanager:DescribeSecret", sec),
			plain("secretsmanager:GetResourcePolicy", sec), plain("secretsmanager:PutSecretValue", sec), plain("secretsmanager:DeleteSecret", sec),
			via(s.using("kms:GenerateDataKey", keyARN, "kms:EncryptionContext:SecretARN", r.str("arn")), "secretsmanager")}
	},

	// Roles of the stack's workloads: always within the boundary.
	"aws_iam_role": func(s *stack, r resource) []call {
		role := "arn:aws:iam::" + account + ":role/" + r.str("name")
		return []call{bounded(s, "iam:CreateRole", role), plain("iam:GetRole", role), plain("iam:TagRole", role), plain("iam:ListRolePolicies", role),
			plain("iam:ListAttachedRolePolicies", role), plain("iam:ListInstanceProfilesForRole", role), plain("iam:DeleteRole", role)}
	},
	"aws_iam_role_policy": func(s *stack, r resource) []call {
		role := "arn:aws:iam::" + account + ":role/" + s.roleName(r.str("role"))
		return []call{bounded(s, "iam:PutRolePolicy", role), plain("iam:GetRolePolicy", role), bounded(s, "iam:DeleteRolePolicy", role)}
	},
	"aws_iam_role_policy_attachment": func(s *stack, r resource) []call {
		role := "arn:aws:iam::" + account + ":role/" + r.str("role")
		return []call{bounded(s, "iam:AttachRolePolicy", role), bounded(s, "iam:DetachRolePolicy", role)}
	},

	// Registry and compute.
	"aws_ecr_repository": func(s *stack, r resource) []call {
		repo := arn("ecr", "repository/"+s.name)
		return []call{plain("ecr:CreateRepository", repo), plain("ecr:TagResource", repo), plain("ecr:PutImageScanningConfiguration", repo),
			plain("ecr:DescribeRepositories", repo), plain("ecr:DeleteRepository", repo), awsGrant(s), s.using("kms:DescribeKey", keyARN)}
	},
	"aws_ecr_lifecycle_policy": func(s *stack, r resource) []call {
		repo := arn("ecr", "repository/"+s.name)
		return []call{plain("ecr:PutLifecyclePolicy", repo), plain("ecr:GetLifecyclePolicy", repo), plain("ecr:DeleteLifecyclePolicy", repo)}
	},
	"aws_ecs_cluster": func(s *stack, r resource) []call {
		c := arn("ecs", "cluster/"+s.name)
		return []call{plain("ecs:CreateCluster", c), plain("ecs:TagResource", c), plain("ecs:UpdateCluster", c), plain("ecs:DeleteCluster", c), slr("ecs.amazonaws.com")}
	},
	"aws_ecs_cluster_capacity_providers": func(s *stack, r resource) []call {
		return []call{plain("ecs:PutClusterCapacityProviders", arn("ecs", "cluster/"+s.name))}
	},
	"aws_ecs_task_definition": func(s *stack, r resource) []call {
		calls := []call{plain("ecs:RegisterTaskDefinition", "*"), plain("ecs:DeregisterTaskDefinition", "*"),
			passRole(s, "ecs-execution", "ecs-tasks.amazonaws.com")}
		if r.str("family") != s.name+"-migrate" {
			return append(calls, passRole(s, "ecs-task", "ecs-tasks.amazonaws.com"))
		}
		// The apply runs the migration task (terraform_data.migrate, which
		// the render leaves out: mocked AWS runs no task) and waits for it.
		cluster := arn("ecs", "cluster/"+s.name)
		task := arn("ecs", "task/"+s.name+"/0123456789abcdef0123456789abcdef")
		return append(calls, plain("ecs:RunTask", arn("ecs", "task-definition/"+s.name+"-migrate:1"), "ecs:cluster", cluster),
			plain("ecs:DescribeTasks", task), plain("ecs:StopTask", task))
	},
	"aws_ecs_service": func(s *stack, r resource) []call {
		svc := arn("ecs", "service/"+s.name+"/"+r.str("name"))
		return []call{plain("ecs:CreateService", svc), plain("ecs:UpdateService", svc), plain("ecs:TagResource", svc), plain("ecs:DescribeServices", svc), plain("ecs:DeleteService", svc)}
	},
	"aws_appautoscaling_target": func(s *stack, r resource) []call {
		target := arn("application-autoscaling", "scalable-target/0123456789abcdef")
		return []call{s.creating("application-autoscaling:RegisterScalableTarget", target), s.using("application-autoscaling:RegisterScalableTarget", target),
			s.using("application-autoscaling:DeregisterScalableTarget", target), s.using("application-autoscaling:ListTagsForResource", target),
			slr("ecs.application-autoscaling.amazonaws.com")}
	},
	"aws_appautoscaling_policy": func(s *stack, r resource) []call {
		target := arn("application-autoscaling", "scalable-target/0123456789abcdef")
		return []call{s.using("application-autoscaling:PutScalingPolicy", target), s.using("application-autoscaling:DeleteScalingPolicy", target)}
	},

	// Database.
	"aws_db_subnet_group": func(s *stack, r resource) []call {
		g := arn("rds", "subgrp:"+r.str("name"))
		return []call{plain("rds:CreateDBSubnetGroup", g), plain("rds:AddTagsToResource", g), plain("rds:ModifyDBSubnetGroup", g), plain("rds:DeleteDBSubnetGroup", g)}
	},
	"aws_db_parameter_group": func(s *stack, r resource) []call {
		g := arn("rds", "pg:"+r.str("name_prefix")+"20260101000000000000000001")
		return []call{plain("rds:CreateDBParameterGroup", g), plain("rds:ModifyDBParameterGroup", g), plain("rds:AddTagsToResource", g), plain("rds:DeleteDBParameterGroup", g)}
	},
	"aws_db_instance": func(s *stack, r resource) []call {
		db := arn("rds", "db:"+s.name)
		cs := []call{plain("rds:CreateDBInstance", db), plain("rds:CreateDBInstance", arn("rds", "subgrp:"+s.name)),
			plain("rds:CreateDBInstance", arn("rds", "pg:"+s.name+"-pg17-20260101000000000000000001")), plain("rds:AddTagsToResource", db),
			plain("rds:ModifyDBInstance", db), plain("rds:RebootDBInstance", db), plain("rds:DescribeDBInstances", "*"),
			awsGrant(s), s.using("kms:DescribeKey", keyARN), via(s.using("kms:Decrypt", keyARN), "rds"), via(s.using("kms:GenerateDataKey", keyARN), "rds"), slr("rds.amazonaws.com"),
			plain("secretsmanager:CreateSecret", arn("secretsmanager", "secret:rds!db-0a1b2c3d-AbCdEf"), "aws:ViaAWSService", "true"),
			plain("secretsmanager:TagResource", arn("secretsmanager", "secret:rds!db-0a1b2c3d-AbCdEf"), "aws:ViaAWSService", "true"),
			plain("secretsmanager:DeleteSecret", arn("secretsmanager", "secret:rds!db-0a1b2c3d-AbCdEf"), "aws:ViaAWSService", "true")}
		cs = s.unlessProtected(cs, plain("rds:DeleteDBInstance", db))
		if skip, _ := r.Values["skip_final_snapshot"].(bool); !skip {
			cs = append(cs, plain("rds:CreateDBSnapshot", arn("rds", "snapshot:"+s.name+"-final")), plain("rds:CreateDBSnapshot", db))
		}
		if n, _ := r.Values["monitoring_interval"].(float64); n > 0 {
			cs = append(cs, passRole(s, "rds-monitoring", "monitoring.rds.amazonaws.com"))
		}
		return cs
	},

	// Edge.
	"aws_lb": func(s *stack, r resource) []call {
		lb := arn("elasticloadbalancing", "loadbalancer/app/"+s.name+"/0123456789abcdef")
		return []call{plain("elasticloadbalancing:CreateLoadBalancer", lb), plain("elasticloadbalancing:AddTags", lb),
			plain("elasticloadbalancing:ModifyLoadBalancerAttributes", lb), plain("elasticloadbalancing:DeleteLoadBalancer", lb), slr("elasticloadbalancing.amazonaws.com")}
	},
	"aws_lb_target_group": func(s *stack, r resource) []call {
		tg := arn("elasticloadbalancing", "targetgroup/"+r.str("name")+"/0123456789abcdef")
		return []call{plain("elasticloadbalancing:CreateTargetGroup", tg), plain("elasticloadbalancing:ModifyTargetGroupAttributes", tg), plain("elasticloadbalancing:DeleteTargetGroup", tg)}
	},
	"aws_lb_listener": func(s *stack, r resource) []call {
		lb := arn("elasticloadbalancing", "loadbalancer/app/"+s.name+"/0123456789abcdef")
		l := arn("elasticloadbalancing", "listener/app/"+s.name+"/0123456789abcdef/fedcba9876543210")
		return []call{plain("elasticloadbalancing:CreateListener", lb), plain("elasticloadbalancing:AddTags", l), plain("elasticloadbalancing:ModifyListener", l), plain("elasticloadbalancing:DeleteListener", l)}
	},
	"aws_s3_bucket": func(s *stack, r resource) []call {
		b := "arn:aws:s3:::" + r.str("bucket")
		return []call{plain("s3:CreateBucket", b), plain("s3:PutBucketTagging", b), plain("s3:GetBucketPolicy", b), plain("s3:DeleteBucket", b)}
	},
	"aws_s3_bucket_policy":                               bucket("s3:PutBucketPolicy", "s3:DeleteBucketPolicy"),
	"aws_s3_bucket_public_access_block":                  bucket("s3:PutBucketPublicAccessBlock"),
	"aws_s3_bucket_ownership_controls":                   bucket("s3:PutBucketOwnershipControls"),
	"aws_s3_bucket_server_side_encryption_configuration": bucket("s3:PutEncryptionConfiguration"),
	"aws_s3_bucket_versioning":                           bucket("s3:PutBucketVersioning"),
	"aws_s3_bucket_lifecycle_configuration":              bucket("s3:PutLifecycleConfiguration"),
	"aws_wafv2_web_acl": func(s *stack, r resource) []call {
		acl := arn("wafv2", "regional/webacl/"+s.name+"/11111111-2222-3333-4444-555555555555")
		rules := arn("wafv2", "regional/managedruleset/AWS/AWSManagedRulesCommonRuleSet")
		return []call{plain("wafv2:CreateWebACL", acl), plain("wafv2:CreateWebACL", rules), plain("wafv2:TagResource", acl), plain("wafv2:UpdateWebACL", acl), plain("wafv2:DeleteWebACL", acl)}
	},
	"aws_wafv2_web_acl_association": func(s *stack, r resource) []call {
		acl := arn("wafv2", "regional/webacl/"+s.name+"/11111111-2222-3333-4444-555555555555")
		lb := arn("elasticloadbalancing", "loadbalancer/app/"+s.name+"/0123456789abcdef")
		// AWS authorizes the association on the web ACL and the load
		// balancer, its removal on the load balancer, and SetWebAcl on no
		// resource (AWS's action data, which the IAM judge reads).
		return []call{plain("wafv2:AssociateWebACL", acl), plain("wafv2:AssociateWebACL", lb), plain("elasticloadbalancing:SetWebAcl", "*"), plain("wafv2:DisassociateWebACL", lb)}
	},
	"aws_wafv2_web_acl_logging_configuration": func(s *stack, r resource) []call {
		acl := arn("wafv2", "regional/webacl/"+s.name+"/11111111-2222-3333-4444-555555555555")
		return []call{plain("wafv2:PutLoggingConfiguration", acl), plain("logs:CreateLogDelivery", "*"), plain("logs:PutResourcePolicy", "*"),
			plain("logs:DescribeResourcePolicies", "*"), plain("wafv2:DeleteLoggingConfiguration", acl), plain("logs:DeleteLogDelivery", "*")}
	},
	"aws_acm_certificate": func(s *stack, r resource) []call {
		cert := arn("acm", "certificate/11111111-2222-3333-4444-555555555555")
		return []call{s.creating("acm:RequestCertificate", "*"), s.using("acm:DescribeCertificate", cert), s.using("acm:ListTagsForCertificate", cert), s.using("acm:DeleteCertificate", cert)}
	},
	"aws_acm_certificate_validation": func(s *stack, r resource) []call {
		return []call{s.using("acm:DescribeCertificate", arn("acm", "certificate/11111111-2222-3333-4444-555555555555"))}
	},
	"aws_route53_record": func(s *stack, r resource) []call {
		zone := "arn:aws:route53:::hostedzone/" + zoneID
		return []call{plain("route53:ChangeResourceRecordSets", zone), plain("route53:ListResourceRecordSets", zone), plain("route53:GetChange", "arn:aws:route53:::change/C0123")}
	},

	// Monitoring.
	"aws_sns_topic": func(s *stack, r resource) []call {
		topic := arn("sns", r.str("name"))
		return []call{plain("sns:CreateTopic", topic), plain("sns:TagResource", topic), plain("sns:SetTopicAttributes", topic), plain("sns:GetTopicAttributes", topic),
			plain("sns:ListTagsForResource", topic), plain("sns:DeleteTopic", topic)}
	},
	"aws_sns_topic_policy": func(s *stack, r resource) []call {
		topic := r.str("arn")
		return []call{plain("sns:SetTopicAttributes", topic), plain("sns:GetTopicAttributes", topic)}
	},
	"aws_sns_topic_subscription": func(s *stack, r resource) []call {
		topic := r.str("topic_arn")
		// IAM authorizes a subscription's calls on its topic (AWS's data).
		return []call{plain("sns:Subscribe", topic, "sns:Protocol", r.str("protocol"), "sns:Endpoint", r.str("endpoint")), plain("sns:GetSubscriptionAttributes", topic), plain("sns:Unsubscribe", topic)}
	},
	"aws_cloudwatch_metric_alarm": func(s *stack, r resource) []call {
		alarm := arn("cloudwatch", "alarm:"+r.str("alarm_name"))
		return []call{plain("cloudwatch:PutMetricAlarm", alarm), plain("cloudwatch:TagResource", alarm), plain("cloudwatch:DescribeAlarms", "*"),
			plain("cloudwatch:ListTagsForResource", alarm), plain("cloudwatch:DeleteAlarms", alarm)}
	},
	"aws_cloudwatch_dashboard": func(s *stack, r resource) []call {
		board := "arn:aws:cloudwatch::" + account + ":dashboard/" + r.str("dashboard_name")
		return []call{plain("cloudwatch:PutDashboard", board), plain("cloudwatch:GetDashboard", board), plain("cloudwatch:DeleteDashboards", board)}
	},
	"aws_cloudwatch_event_rule": func(s *stack, r resource) []call {
		rule := arn("events", "rule/"+r.str("name"))
		return []call{plain("events:PutRule", rule), plain("events:TagResource", rule), plain("events:DescribeRule", rule),
			plain("events:ListTagsForResource", rule), plain("events:DeleteRule", rule)}
	},
	"aws_cloudwatch_event_target": func(s *stack, r resource) []call {
		rule := arn("events", "rule/"+r.str("rule"))
		return []call{plain("events:PutTargets", rule, "events:TargetArn", r.str("arn")), plain("events:ListTargetsByRule", rule), plain("events:RemoveTargets", rule)}
	},
	"aws_budgets_budget": func(s *stack, r resource) []call {
		budget := "arn:aws:budgets::" + account + ":budget/" + r.str("name")
		return []call{plain("budgets:ModifyBudget", budget), plain("budgets:ViewBudget", budget), plain("budgets:TagResource", budget)}
	},
}

// The pipeline's own identity is applied by an administrator: the deploy
// role must not be able to change it.
var adminOnly = map[string]func(s *stack, r resource) []call{
	"aws_iam_openid_connect_provider": func(s *stack, r resource) []call {
		p := "arn:aws:iam::" + account + ":oidc-provider/token.actions.githubusercontent.com"
		return []call{plain("iam:CreateOpenIDConnectProvider", p), plain("iam:AddClientIDToOpenIDConnectProvider", p), plain("iam:DeleteOpenIDConnectProvider", p)}
	},
	"aws_iam_policy": func(s *stack, r resource) []call {
		p := "arn:aws:iam::" + account + ":policy/" + r.str("name")
		return []call{plain("iam:CreatePolicyVersion", p), plain("iam:DeletePolicy", p), plain("iam:CreatePolicy", p)}
	},
	"aws_iam_role": func(s *stack, r resource) []call {
		role := "arn:aws:iam::" + account + ":role/" + r.str("name")
		return []call{bounded(s, "iam:PutRolePolicy", role), bounded(s, "iam:AttachRolePolicy", role), plain("iam:UpdateAssumeRolePolicy", role), plain("iam:DeleteRole", role)}
	},
	"aws_iam_role_policy": func(s *stack, r resource) []call {
		role := "arn:aws:iam::" + account + ":role/" + s.roleName(r.str("role"))
		return []call{bounded(s, "iam:PutRolePolicy", role), bounded(s, "iam:DeleteRolePolicy", role)}
	},
	"aws_iam_role_policy_attachment": func(s *stack, r resource) []call {
		role := "arn:aws:iam::" + account + ":role/" + r.str("role")
		return []call{bounded(s, "iam:AttachRolePolicy", role), bounded(s, "iam:DetachRolePolicy", role)}
	},
	// The database's backups (module backup): never changed or emptied by
	// the deploy role.
	"aws_backup_vault": func(s *stack, r resource) []call {
		vault := arn("backup", "backup-vault:"+r.str("name"))
		return []call{plain("backup:CreateBackupVault", vault), plain("backup:DeleteBackupVault", vault), plain("backup:DeleteRecoveryPoint", arn("backup", "recovery-point:0a1b2c3d")),
			plain("backup:UpdateRecoveryPointLifecycle", arn("backup", "recovery-point:0a1b2c3d")), plain("backup:PutBackupVaultAccessPolicy", vault)}
	},
	"aws_backup_vault_lock_configuration": func(s *stack, r resource) []call {
		vault := arn("backup", "backup-vault:"+r.str("backup_vault_name"))
		return []call{plain("backup:PutBackupVaultLockConfiguration", vault), plain("backup:DeleteBackupVaultLockConfiguration", vault)}
	},
	"aws_backup_plan": func(s *stack, r resource) []call {
		plan := arn("backup", "backup-plan:"+r.str("id"))
		return []call{plain("backup:CreateBackupPlan", plan), plain("backup:UpdateBackupPlan", plan), plain("backup:DeleteBackupPlan", plan)}
	},
	"aws_backup_selection": func(s *stack, r resource) []call {
		plan := arn("backup", "backup-plan:"+r.str("plan_id"))
		return []call{plain("backup:CreateBackupSelection", plan), plain("backup:DeleteBackupSelection", plan)}
	},
	// The key behind the database, the registry and the logs: its policy
	// and its deletion.
	"aws_kms_key": func(s *stack, r resource) []call {
		return []call{s.using("kms:PutKeyPolicy", keyARN), s.using("kms:ScheduleKeyDeletion", keyARN)}
	},
}

// roleName resolves a role reference (in AWS a role's id is its name; the
// mocked state gives ids of its own) to the role's name.
func (s *stack) roleName(ref string) string {
	for _, r := range s.all("aws_iam_role") {
		if r.str("id") == ref || r.str("name") == ref {
			return r.str("name")
		}
	}
	return ref
}

func tagOnCreate(s *stack, action, resource string) call {
	return s.creating("ec2:CreateTags", resource, "ec2:CreateAction", action)
}

// bounded is a call on a role with the boundary the role carries as
// rendered (none for a role without one; the workload boundary for a role
// the state does not hold).
func bounded(s *stack, action, role string) call {
	boundary := "arn:aws:iam::" + account + ":policy/" + s.name + "-workload-boundary"
	for _, r := range s.all("aws_iam_role") {
		if "arn:aws:iam::"+account+":role/"+r.str("name") == role {
			boundary = r.str("permissions_boundary")
		}
	}
	if boundary == "" {
		return plain(action, role)
	}
	return plain(action, role, "iam:PermissionsBoundary", boundary)
}

// unlessProtected adds the calls that delete data or its record, which a
// destroy needs, unless the database is deletion-protected: then deleting
// is an administrator's, and the deploy role is denied it.
func (s *stack) unlessProtected(cs []call, deletes ...call) []call {
	for _, r := range s.all("aws_db_instance") {
		if protected, _ := r.Values["deletion_protection"].(bool); protected {
			return cs
		}
	}
	return append(cs, deletes...)
}

// via is a call that a service makes with the caller's rights.
func via(c call, service string) call {
	c.ctx["kms:ViaService"] = []string{service + "." + region + ".amazonaws.com"}
	return c
}

func passRole(s *stack, role, service string) call {
	return plain("iam:PassRole", "arn:aws:iam::"+account+":role/"+s.name+"-"+role, "iam:PassedToService", service)
}

func slr(service string) call {
	return plain("iam:CreateServiceLinkedRole", "arn:aws:iam::"+account+":role/aws-service-role/"+service+"/AWSServiceRole", "iam:AWSServiceName", service)
}

// awsGrant is the grant RDS or ECR takes on the key for what it encrypts.
func awsGrant(s *stack) call {
	return s.using("kms:CreateGrant", keyARN, "kms:GrantIsForAWSResource", "true")
}

func bucket(actions ...string) func(s *stack, r resource) []call {
	return func(s *stack, r resource) []call {
		var cs []call
		for _, a := range actions {
			cs = append(cs, plain(a, "arn:aws:s3:::"+s.name+"-alb-logs-"+account))
		}
		return cs
	}
}

func strs(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// pipelineIdentity reports whether a resource is an administrator's: the
// pipeline's own (the OIDC provider, the plan and deploy roles and their
// policies, the boundaries) and the database's backups.
func pipelineIdentity(r resource) bool {
	return strings.HasPrefix(r.Address, "module.stack.module.cicd.") || strings.HasPrefix(r.Address, "module.stack.module.backup[")
}

func TestDeployRoleCanApplyAndDestroy(t *testing.T) {
	seen := map[string]bool{}
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			s := render(t, env)
			d := s.docs(t)
			var missing []string
			calls := 0
			for _, r := range s.resources {
				table := needs
				if pipelineIdentity(r) {
					table = adminOnly
				}
				seen[r.Type] = true
				f, ok := table[r.Type]
				if !ok {
					missing = append(missing, r.Type)
					continue
				}
				for _, c := range f(s, r) {
					calls++
					got := decide(t, d.deploy, nil, c)
					if pipelineIdentity(r) || table == nil {
						if got == doctor.Allowed {
							t.Errorf("%s: the deploy role may change the pipeline's own identity: %s", r.Address, c)
						}
						continue
					}
					if got != doctor.Allowed {
						t.Errorf("%s: the deploy role may not %s (%v)", r.Address, c, got)
					}
				}
			}
			for _, r := range s.all("aws_kms_key") {
				for _, c := range adminOnly["aws_kms_key"](s, r) {
					if got := decide(t, d.deploy, nil, c); got == doctor.Allowed {
						t.Errorf("the deploy role may %s: changing or deleting the key is an administrator's", c)
					}
				}
			}
			if len(missing) > 0 {
				sort.Strings(missing)
				t.Errorf("resource types without the calls their apply and destroy need (add them to needs or adminOnly in e2e/platform/needs_test.go): %v", missing)
			}
			t.Logf("%s: %d resources, %d calls checked", env, len(s.resources), calls)
		})
	}
	if t.Failed() {
		return // a stale entry is only known once both environments rendered
	}
	for typ := range needs {
		if !seen[typ] {
			t.Errorf("needs lists %s, which neither environment deploys: remove it", typ)
		}
	}
}
