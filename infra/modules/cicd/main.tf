data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name
  p       = data.aws_partition.current.partition
  arn     = "arn:${local.p}"

  github_oidc_url    = "token.actions.githubusercontent.com"
  oidc_provider_arn  = var.create_oidc_provider ? aws_iam_openid_connect_provider.this[0].arn : var.existing_oidc_provider_arn
  deploy_subject     = "repo:${var.github_repository}:environment:${var.deploy_environment}"
  plan_subject       = "repo:${var.github_repository}:ref:refs/heads/${var.plan_branch}"
  stack_tag          = "pollstack:stack"
  deploy_role_name   = "${var.name}-github-deploy"
  plan_role_name     = "${var.name}-github-plan"
  boundary_name      = "${var.name}-workload-boundary"
  boundary_arn       = "${local.arn}:iam::${local.account}:policy/${local.boundary_name}"
  state_object_arns  = ["${local.arn}:s3:::${var.state_bucket_name}/${var.state_key}", "${local.arn}:s3:::${var.state_bucket_name}/${var.state_key}.tflock"]
  access_logs_bucket = "${local.arn}:s3:::${var.name}-alb-logs-${local.account}"

  # The resources of this stack, by the names the modules give them.
  stack_roles      = "${local.arn}:iam::${local.account}:role/${var.name}-*"
  stack_log_groups = [for g in ["/ecs/${var.name}/*", "/vpc/${var.name}/*", "aws-waf-logs-${var.name}", "aws-waf-logs-${var.name}:*"] : "${local.arn}:logs:${local.region}:${local.account}:log-group:${g}"]

  # Trust: a GitHub OIDC token for STS, from this repository, with the exact subject.
  trust = { for role, subject in { deploy = local.deploy_subject, plan = local.plan_subject } : role => jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.github_oidc_url}:aud" = var.oidc_audience
          "${local.github_oidc_url}:sub" = subject
        }
      }
    }]
  }) }

  # Never for the pipeline, whatever an allow statement says.
  deny_account_settings = {
    Sid    = "NeverAccountBillingOrOrganizations"
    Effect = "Deny"
    Action = [
      "account:*", "aws-portal:*", "billing:*", "ce:*", "cur:*", "budgets:*", "payments:*", "tax:*",
      "purchase-orders:*", "invoicing:*", "freetier:*", "organizations:*", "iam:CreateUser", "iam:CreateAccessKey",
      "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:CreateAccountAlias", "iam:DeleteAccountAlias",
      "iam:UpdateAccountPasswordPolicy", "iam:DeleteAccountPasswordPolicy", "sts:GetFederationToken",
    ]
    Resource = "*"
  }

  # The pipeline's own roles, the boundary and the OIDC provider are changed by
  # an administrator only: the deploy role cannot widen its own rights.
  deny_own_identity = {
    Sid    = "NeverChangeThePipelinesOwnIdentity"
    Effect = "Deny"
    Action = [
      "iam:Put*", "iam:Attach*", "iam:Detach*", "iam:Delete*", "iam:Update*", "iam:Create*", "iam:Tag*",
      "iam:Untag*", "iam:SetDefaultPolicyVersion", "iam:AddClientIDToOpenIDConnectProvider",
      "iam:RemoveClientIDFromOpenIDConnectProvider",
    ]
    Resource = [
      "${local.arn}:iam::${local.account}:role/${local.deploy_role_name}",
      "${local.arn}:iam::${local.account}:role/${local.plan_role_name}",
      local.boundary_arn,
      "${local.arn}:iam::${local.account}:oidc-provider/${local.github_oidc_url}",
    ]
  }

  state_statements = [
    {
      Sid       = "ListStateBucket"
      Effect    = "Allow"
      Action    = ["s3:ListBucket"]
      Resource  = ["${local.arn}:s3:::${var.state_bucket_name}"]
      Condition = { StringLike = { "s3:prefix" = [var.state_key, "${var.state_key}.tflock"] } }
    },
    {
      Sid       = "StateKey"
      Effect    = "Allow"
      Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      Resource  = ["${local.arn}:kms:${local.region}:${local.account}:key/*"]
      Condition = { "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = var.state_kms_key_alias } }
    },
  ]

  deploy_policies = {
    # State, image push, ECS rollout, IAM roles of the stack.
    "state-image-ecs-iam" = concat(local.state_statements, [
      {
        Sid      = "ReadWriteStateAndLock"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = local.state_object_arns
      },
      {
        Sid      = "RegistryLogin"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
      {
        Sid    = "PushAndManageTheRepository"
        Effect = "Allow"
        # GetDownloadUrlForLayer and BatchGetImage (which also lists the
        # referrers): the apply job reads the image's signed attestations
        # back before applying (.github/scripts/verify-image.sh).
        Action = [
          "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
          "ecr:PutImage", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:ListTagsForResource",
          "ecr:GetLifecyclePolicy", "ecr:PutLifecyclePolicy", "ecr:PutImageScanningConfiguration", "ecr:TagResource",
          "ecr:UntagResource", "ecr:CreateRepository", "ecr:GetRepositoryPolicy",
        ]
        Resource = [var.ecr_repository_arn]
      },
      {
        # Task definitions have no resource-level permissions for these calls.
        Sid      = "TaskDefinitions"
        Effect   = "Allow"
        Action   = ["ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition"]
        Resource = "*"
      },
      {
        Sid    = "ClusterAndService"
        Effect = "Allow"
        Action = [
          "ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters", "ecs:PutClusterCapacityProviders", "ecs:UpdateCluster",
          "ecs:UpdateClusterSettings", "ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService", "ecs:DescribeServices",
          "ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource",
        ]
        Resource = [
          "${local.arn}:ecs:${local.region}:${local.account}:cluster/${var.name}",
          "${local.arn}:ecs:${local.region}:${local.account}:service/${var.name}/*",
          "${local.arn}:ecs:${local.region}:${local.account}:task-definition/${var.name}-*:*",
        ]
      },
      {
        Sid       = "PassOnlyTheEcsRolesToEcsTasks"
        Effect    = "Allow"
        Action    = ["iam:PassRole"]
        Resource  = var.ecs_role_arns
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
      {
        Sid    = "StackRolesOnlyWithTheBoundary"
        Effect = "Allow"
        Action = [
          "iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
          "iam:PutRolePermissionsBoundary",
        ]
        Resource  = [local.stack_roles]
        Condition = { StringEquals = { "iam:PermissionsBoundary" = local.boundary_arn } }
      },
      {
        Sid    = "StackRolesReadAndTidy"
        Effect = "Allow"
        Action = [
          "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
          "iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
        ]
        Resource = [local.stack_roles]
      },
      {
        Sid      = "ReadPipelineIdentity"
        Effect   = "Allow"
        Action   = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:GetOpenIDConnectProvider"]
        Resource = [local.boundary_arn, "${local.arn}:iam::${local.account}:policy/${var.name}-*", "${local.arn}:iam::${local.account}:oidc-provider/${local.github_oidc_url}"]
      },
      local.deny_account_settings,
      local.deny_own_identity,
      {
        Sid      = "NeverRemoveABoundary"
        Effect   = "Deny"
        Action   = ["iam:DeleteRolePermissionsBoundary"]
        Resource = "*"
      },
    ])

    # Network, load balancer, database, keys, logs, DNS, WAF, autoscaling.
    "platform" = concat(local.dns_statements, [
      {
        # Describe calls have no resource-level permissions.
        Sid    = "Describe"
        Effect = "Allow"
        Action = [
          "ec2:Describe*", "elasticloadbalancing:Describe*", "rds:Describe*", "logs:DescribeLogGroups", "kms:ListAliases",
          "application-autoscaling:Describe*", "acm:ListCertificates", "wafv2:GetWebACLForResource", "wafv2:ListWebACLs",
        ]
        Resource = "*"
      },
      {
        Sid       = "CreateNetworkResourcesTaggedForThisStack"
        Effect    = "Allow"
        Action    = ["ec2:Create*", "ec2:AllocateAddress"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:RequestTag/${local.stack_tag}" = var.name } }
      },
      {
        Sid    = "ChangeNetworkResourcesOfThisStack"
        Effect = "Allow"
        Action = [
          "ec2:Create*", "ec2:Delete*", "ec2:Modify*", "ec2:Associate*", "ec2:Disassociate*", "ec2:Attach*", "ec2:Detach*",
          "ec2:Authorize*", "ec2:Revoke*", "ec2:Replace*", "ec2:ReleaseAddress", "ec2:UpdateSecurityGroupRuleDescriptions*",
          "ec2:DeleteTags",
        ]
        Resource  = "*"
        Condition = { StringEquals = { "aws:ResourceTag/${local.stack_tag}" = var.name } }
      },
      {
        Sid       = "TagOnCreate"
        Effect    = "Allow"
        Action    = ["ec2:CreateTags"]
        Resource  = "*"
        Condition = { StringEquals = { "ec2:CreateAction" = ["CreateVpc", "CreateSubnet", "CreateRouteTable", "CreateInternetGateway", "CreateNatGateway", "AllocateAddress", "CreateSecurityGroup", "CreateFlowLogs", "CreateSecurityGroupIngressRule", "CreateSecurityGroupEgressRule"] } }
      },
      {
        Sid    = "LoadBalancerOfThisStack"
        Effect = "Allow"
        Action = ["elasticloadbalancing:*"]
        Resource = [
          "${local.arn}:elasticloadbalancing:${local.region}:${local.account}:loadbalancer/app/${var.name}/*",
          "${local.arn}:elasticloadbalancing:${local.region}:${local.account}:targetgroup/${var.name}-*/*",
          "${local.arn}:elasticloadbalancing:${local.region}:${local.account}:listener/app/${var.name}/*",
          "${local.arn}:elasticloadbalancing:${local.region}:${local.account}:listener-rule/app/${var.name}/*",
        ]
      },
      {
        Sid    = "DatabaseOfThisStack"
        Effect = "Allow"
        Action = ["rds:*"]
        Resource = [
          "${local.arn}:rds:${local.region}:${local.account}:db:${var.name}",
          "${local.arn}:rds:${local.region}:${local.account}:subgrp:${var.name}",
          "${local.arn}:rds:${local.region}:${local.account}:pg:${var.name}-*",
          "${local.arn}:rds:${local.region}:${local.account}:snapshot:${var.name}-*",
        ]
      },
      {
        Sid      = "LogGroupsOfThisStack"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource", "logs:TagLogGroup", "logs:ListTagsLogGroup"]
        Resource = local.stack_log_groups
      },
      {
        Sid       = "CreateKeysTaggedForThisStack"
        Effect    = "Allow"
        Action    = ["kms:CreateKey"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:RequestTag/${local.stack_tag}" = var.name } }
      },
      {
        Sid    = "KeysOfThisStack"
        Effect = "Allow"
        Action = [
          "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation",
          "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CreateAlias",
          "kms:DeleteAlias", "kms:UpdateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey*", "kms:UpdateKeyDescription",
        ]
        Resource  = "${local.arn}:kms:${local.region}:${local.account}:key/*"
        Condition = { StringEquals = { "aws:ResourceTag/${local.stack_tag}" = var.name } }
      },
      {
        Sid      = "KeyAliasOfThisStack"
        Effect   = "Allow"
        Action   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
        Resource = "${local.arn}:kms:${local.region}:${local.account}:alias/${var.name}"
      },
      {
        Sid      = "AccessLogBucketOfThisStack"
        Effect   = "Allow"
        Action   = ["s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucket*", "s3:PutBucket*", "s3:DeleteBucketPolicy", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration"]
        Resource = [local.access_logs_bucket]
      },
      {
        Sid      = "WafOfThisStack"
        Effect   = "Allow"
        Action   = ["wafv2:*"]
        Resource = ["${local.arn}:wafv2:${local.region}:${local.account}:regional/webacl/${var.name}/*", "${local.arn}:wafv2:${local.region}:${local.account}:regional/managedruleset/*/*"]
      },
      {
        Sid       = "AutoscalingOfThisStack"
        Effect    = "Allow"
        Action    = ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy", "application-autoscaling:TagResource", "application-autoscaling:ListTagsForResource"]
        Resource  = "${local.arn}:application-autoscaling:${local.region}:${local.account}:scalable-target/*"
        Condition = { StringEquals = { "aws:ResourceTag/${local.stack_tag}" = var.name } }
      },
      {
        Sid       = "CertificatesTaggedForThisStack"
        Effect    = "Allow"
        Action    = ["acm:RequestCertificate", "acm:DescribeCertificate", "acm:DeleteCertificate", "acm:AddTagsToCertificate", "acm:ListTagsForCertificate"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:ResourceTag/${local.stack_tag}" = var.name } }
      },
    ])
  }

  # Route 53 records, only in the zone of the stack's domain.
  dns_statements = [for s in [
    {
      Sid      = "RecordsInTheStacksZone"
      Effect   = "Allow"
      Action   = ["route53:ChangeResourceRecordSets", "route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
      Resource = ["${local.arn}:route53:::hostedzone/${coalesce(var.hosted_zone_id, "none")}"]
    },
    {
      Sid      = "DnsChanges"
      Effect   = "Allow"
      Action   = ["route53:GetChange"]
      Resource = ["${local.arn}:route53:::change/*"]
    },
  ] : s if var.hosted_zone_id != null]

  plan_statements = concat(local.state_statements, [
    {
      Sid      = "ReadState"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = [local.state_object_arns[0]]
    },
    {
      # Planning takes the state lock: it writes and removes the lock object.
      Sid      = "StateLock"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      Resource = [local.state_object_arns[1]]
    },
    {
      # Refresh reads configuration only: no object data, no secret values,
      # no log events. These read calls have no resource-level permissions.
      Sid    = "ReadConfiguration"
      Effect = "Allow"
      Action = [
        "ec2:Describe*", "ecs:Describe*", "ecs:List*", "elasticloadbalancing:Describe*", "rds:Describe*", "rds:ListTagsForResource",
        "logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup", "kms:DescribeKey", "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags", "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy",
        "ecr:ListTagsForResource", "ecr:DescribeImages", "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetOpenIDConnectProvider",
        "route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource", "acm:DescribeCertificate",
        "acm:ListTagsForCertificate", "application-autoscaling:Describe*", "application-autoscaling:ListTagsForResource",
        "wafv2:GetWebACL", "wafv2:GetLoggingConfiguration", "wafv2:GetWebACLForResource", "wafv2:ListTagsForResource",
      ]
      Resource = "*"
    },
    {
      Sid      = "ReadAccessLogBucketConfiguration"
      Effect   = "Allow"
      Action   = ["s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration", "s3:ListBucket"]
      Resource = [local.access_logs_bucket]
    },
    local.deny_account_settings,
  ])
}

# The account's GitHub OIDC provider. Guard 4: the audience is exactly
# sts.amazonaws.com. AWS trusts GitHub's certificate chain itself; the
# thumbprint is kept for older API behaviour.
resource "aws_iam_openid_connect_provider" "this" {
  count = var.create_oidc_provider ? 1 : 0

  url             = "https://${local.github_oidc_url}"
  client_id_list  = [var.oidc_audience]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]

  tags = var.tags
}

# The most any role of the stack's workloads may do, whatever policy the
# deploy role attaches to it.
resource "aws_iam_policy" "boundary" {
  name        = local.boundary_name
  description = "${var.name}: the most any role created by the pipeline may do"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "RegistryLogin"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
      {
        Sid      = "PullTheAppImage"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = [var.ecr_repository_arn]
      },
      {
        Sid    = "WriteLogs"
        Effect = "Allow"
        Action = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:PutRetentionPolicy", "logs:DescribeLogStreams", "logs:GetLogEvents"]
        Resource = concat(local.stack_log_groups, [for g in local.stack_log_groups : "${g}:*"], [
          "${local.arn}:logs:${local.region}:${local.account}:log-group:RDSOSMetrics",
          "${local.arn}:logs:${local.region}:${local.account}:log-group:RDSOSMetrics:*",
        ])
      },
      {
        Sid      = "ReadRdsManagedSecrets"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = ["${local.arn}:secretsmanager:${local.region}:${local.account}:secret:rds!*"]
      },
      {
        Sid       = "DecryptThroughSecretsManager"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = ["${local.arn}:kms:${local.region}:${local.account}:key/*"]
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" } }
      },
    ]
  })

  tags = var.tags
}

resource "aws_iam_role" "deploy" {
  name                 = local.deploy_role_name
  description          = "${var.name}: GitHub Actions deploy (environment ${var.deploy_environment} of ${var.github_repository})"
  assume_role_policy   = local.trust["deploy"]
  max_session_duration = var.max_session_duration

  tags = var.tags
}

resource "aws_iam_policy" "deploy" {
  for_each = local.deploy_policies

  name        = "${var.name}-github-deploy-${each.key}"
  description = "${var.name}: deploy role, ${each.key}"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = each.value
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = aws_iam_policy.deploy

  role       = aws_iam_role.deploy.name
  policy_arn = each.value.arn
}

resource "aws_iam_role" "plan" {
  name                 = local.plan_role_name
  description          = "${var.name}: GitHub Actions read-only plan (branch ${var.plan_branch} of ${var.github_repository})"
  assume_role_policy   = local.trust["plan"]
  max_session_duration = var.max_session_duration

  tags = var.tags
}

resource "aws_iam_role_policy" "plan" {
  name = "read-only-plan"
  role = aws_iam_role.plan.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.plan_statements
  })
}
