data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name
  p       = data.aws_partition.current.partition
  arn     = "arn:${local.p}"

  github_oidc_url   = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.this[0].arn : var.existing_oidc_provider_arn
  # GitHub's immutable subject names the owner and the repository with their
  # IDs: a repository deleted and re-created under the same name (by anyone)
  # gets another ID and never matches. The legacy subject, by names only, is
  # accepted only while a repository migrates (accept_legacy_subject).
  repo_owner          = split("/", var.github_repository)[0]
  repo_name           = split("/", var.github_repository)[1]
  immutable_repo      = "${local.repo_owner}@${var.github_owner_id}/${local.repo_name}@${var.github_repository_id}"
  deploy_contexts     = ["environment:${var.deploy_environment}"]
  plan_contexts       = ["ref:refs/heads/${var.plan_branch}"]
  deploy_subjects     = [for r in concat([local.immutable_repo], var.accept_legacy_subject ? [var.github_repository] : []) : "repo:${r}:${local.deploy_contexts[0]}"]
  plan_subjects       = [for r in concat([local.immutable_repo], var.accept_legacy_subject ? [var.github_repository] : []) : "repo:${r}:${local.plan_contexts[0]}"]
  deploy_workflow_ref = "${var.github_repository}/${var.deploy_workflow}@refs/heads/${var.plan_branch}"
  stack_tag           = "pollstack:stack"
  deploy_role_name    = "${var.name}-github-deploy"
  plan_role_name      = "${var.name}-github-plan"
  boundary_name       = "${var.name}-workload-boundary"
  boundary_arn        = "${local.arn}:iam::${local.account}:policy/${local.boundary_name}"
  service_boundary    = "${local.arn}:iam::${local.account}:policy/${var.name}-service-boundary"
  boundaries          = [local.boundary_arn, local.service_boundary]
  state_object_arns   = ["${local.arn}:s3:::${var.state_bucket_name}/${var.state_key}", "${local.arn}:s3:::${var.state_bucket_name}/${var.state_key}.tflock"]
  access_logs_bucket  = "${local.arn}:s3:::${var.name}-alb-logs-${local.account}"

  # The resources of this stack, by the names the modules give them.
  stack_roles       = "${local.arn}:iam::${local.account}:role/${var.name}-*"
  stack_log_groups  = [for g in ["/ecs/${var.name}/*", "/vpc/${var.name}/*", "/aws/rds/instance/${var.name}/*", "aws-waf-logs-${var.name}", "aws-waf-logs-${var.name}:*"] : "${local.arn}:logs:${local.region}:${local.account}:log-group:${g}"]
  stack_secrets     = "${local.arn}:secretsmanager:${local.region}:${local.account}:secret:${var.name}-*"
  rds_db            = "${local.arn}:rds:${local.region}:${local.account}:db:${var.name}"
  stack_budget      = "${local.arn}:budgets::${local.account}:budget/${var.name}-monthly"
  ec2               = "${local.arn}:ec2:${local.region}:${local.account}"
  vpc_arn           = "${local.ec2}:vpc/${var.vpc_id}"
  tag_is_this_stack = { "aws:ResourceTag/${local.stack_tag}" = var.name }
  db_init_role_name = "${var.name}-db-init"
  # The stack's own secrets (the server key); never the database's master
  # secret, which only the administrator's database-init role reads.
  workload_secrets = [local.stack_secrets]
  alarm_topic      = "${local.arn}:sns:${local.region}:${local.account}:${var.name}-alarms"
  backup_reads     = ["backup:DescribeBackupVault", "backup:GetBackupPlan", "backup:GetBackupSelection", "backup:ListTags", "backup:GetBackupVaultAccessPolicy", "backup:GetBackupVaultNotifications"]

  # What AWS services write with the roles they assume (RDS Enhanced
  # Monitoring, VPC flow logs): the stack's log groups, nothing else.
  write_logs_statement = {
    Sid    = "WriteLogs"
    Effect = "Allow"
    Action = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:PutRetentionPolicy", "logs:DescribeLogStreams", "logs:GetLogEvents"]
    Resource = concat(local.stack_log_groups, [for g in local.stack_log_groups : "${g}:*"], [
      "${local.arn}:logs:${local.region}:${local.account}:log-group:RDSOSMetrics",
      "${local.arn}:logs:${local.region}:${local.account}:log-group:RDSOSMetrics:*",
    ])
  }
  tagged_for_stack = { "aws:RequestTag/${local.stack_tag}" = var.name }

  # Trust: a GitHub OIDC token for STS, from this repository (by its
  # immutable IDs), with the exact subject, made by the deploy workflow on
  # the protected branch. A token without any of these claims matches no
  # StringEquals and is refused.
  trust = { for role, subjects in { deploy = local.deploy_subjects, plan = local.plan_subjects } : role => jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.github_oidc_url}:aud"              = var.oidc_audience
          "${local.github_oidc_url}:sub"              = subjects
          "${local.github_oidc_url}:repository_id"    = var.github_repository_id
          "${local.github_oidc_url}:job_workflow_ref" = local.deploy_workflow_ref
        }
      }
    }]
  }) }

  # Never for the pipeline, whatever an allow statement says.
  deny_account_settings = {
    Sid    = "NeverAccountBillingOrOrganizations"
    Effect = "Deny"
    Action = [
      "account:*", "aws-portal:*", "billing:*", "ce:*", "cur:*", "payments:*", "tax:*",
      "purchase-orders:*", "invoicing:*", "freetier:*", "organizations:*", "iam:CreateUser", "iam:CreateAccessKey",
      "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:CreateAccountAlias", "iam:DeleteAccountAlias",
      "iam:UpdateAccountPasswordPolicy", "iam:DeleteAccountPasswordPolicy", "sts:GetFederationToken",
    ]
    Resource = "*"
  }

  # The stack's own monthly budget is part of its monitoring; every other
  # budget of the account is an administrator's.
  deny_other_budgets = {
    Sid         = "NeverAnotherBudget"
    Effect      = "Deny"
    Action      = ["budgets:*"]
    NotResource = [local.stack_budget]
  }

  # The pipeline's own roles, the boundaries, the OIDC provider and the
  # backup role (module backup) are changed by an administrator only: the
  # deploy role cannot widen its own rights or stop the backups.
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
      "${local.arn}:iam::${local.account}:policy/${var.name}-github-*",
      local.boundary_arn,
      local.service_boundary,
      "${local.arn}:iam::${local.account}:role/${var.name}-backup",
      "${local.arn}:iam::${local.account}:role/${local.db_init_role_name}",
      "${local.arn}:iam::${local.account}:oidc-provider/${local.github_oidc_url}",
    ]
  }

  # The master password stays in Secrets Manager, rotated by RDS, read by
  # the administrator's database-init role only: the pipeline may not turn
  # that off to set a password of its own (which it could then use from a
  # task of its own), on this database or a new one.
  deny_master_password = {
    Sid       = "NeverTakeTheMasterPasswordOutOfSecretsManager"
    Effect    = "Deny"
    Action    = ["rds:CreateDBInstance", "rds:ModifyDBInstance", "rds:RestoreDBInstanceFromDBSnapshot", "rds:RestoreDBInstanceToPointInTime"]
    Resource  = "*"
    Condition = { Bool = { "rds:ManageMasterUserPassword" = "false" } }
  }

  # While the database is deletion-protected, the data is taken away by an
  # administrator only: not the instance, its snapshots or automated
  # backups, nor AWS Backup's plans, vaults and recovery points (module
  # backup, whose vault lock keeps copies whatever the database becomes).
  deny_data_loss = var.protect_database ? [{
    Sid    = "NeverDeleteTheDataOrItsBackups"
    Effect = "Deny"
    Action = [
      "rds:DeleteDBInstance", "rds:DeleteDBSnapshot", "rds:DeleteDBInstanceAutomatedBackup", "rds:DeleteDBClusterSnapshot",
      "rds:ModifyDBSnapshotAttribute", "backup:Create*", "backup:Delete*", "backup:Put*", "backup:Update*", "backup:Disassociate*",
      "backup:Start*", "backup:Stop*", "backup:TagResource", "backup:UntagResource", "backup-storage:*",
    ]
    Resource = "*"
  }] : []

  # The stack's log groups and flow logs, the record of what happened, are
  # never deleted or unencrypted by the pipeline while the data is protected.
  deny_log_loss = var.protect_database ? [{
    Sid      = "NeverDeleteTheStacksLogs"
    Effect   = "Deny"
    Action   = ["logs:DeleteLogGroup", "logs:DeleteLogStream", "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey", "ec2:DeleteFlowLogs"]
    Resource = "*"
  }] : []

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
    # State, image push, ECS rollout.
    "state-image-ecs" = concat(local.state_statements, [
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
          "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:ListTagsForResource",
          "ecr:GetLifecyclePolicy", "ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy", "ecr:PutImageScanningConfiguration",
          "ecr:PutImageTagMutability", "ecr:TagResource", "ecr:UntagResource", "ecr:CreateRepository", "ecr:DeleteRepository",
          "ecr:GetRepositoryPolicy",
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
        # The apply runs the one-off migration task (module compute,
        # terraform_data.migrate) on the stack's cluster, waits for it and
        # reads how it ended: that family only, that cluster only.
        Sid       = "RunTheMigrationTask"
        Effect    = "Allow"
        Action    = ["ecs:RunTask"]
        Resource  = ["${local.arn}:ecs:${local.region}:${local.account}:task-definition/${var.name}-migrate:*"]
        Condition = { ArnEquals = { "ecs:cluster" = "${local.arn}:ecs:${local.region}:${local.account}:cluster/${var.name}" } }
      },
      {
        # No ECS Exec into a task the pipeline starts (a shell beside the
        # migrator's token). Denied when asked for, so that a RunTask that
        # does not name the setting is not refused.
        Sid       = "NeverExecIntoTheMigration"
        Effect    = "Deny"
        Action    = ["ecs:RunTask"]
        Resource  = "*"
        Condition = { StringEquals = { "ecs:enable-execute-command" = "true" } }
      },
      {
        Sid      = "WatchTheMigrationTask"
        Effect   = "Allow"
        Action   = ["ecs:DescribeTasks", "ecs:StopTask"]
        Resource = ["${local.arn}:ecs:${local.region}:${local.account}:task/${var.name}/*"]
      },
      {
        Sid       = "PassOnlyTheEcsRolesToEcsTasks"
        Effect    = "Allow"
        Action    = ["iam:PassRole"]
        Resource  = var.ecs_role_arns
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
      {
        # RDS Enhanced Monitoring and VPC flow logs write with these roles.
        Sid       = "PassTheMonitoringRolesToTheirServices"
        Effect    = "Allow"
        Action    = ["iam:PassRole"]
        Resource  = ["${local.arn}:iam::${local.account}:role/${var.name}-rds-monitoring", "${local.arn}:iam::${local.account}:role/${var.name}-flow-logs"]
        Condition = { StringEquals = { "iam:PassedToService" = ["monitoring.rds.amazonaws.com", "vpc-flow-logs.amazonaws.com"] } }
      },
    ])

    # IAM roles of the stack (always within the boundary), service-linked
    # roles, secrets, and what the pipeline may never do.
    "iam-secrets" = [
      {
        Sid    = "StackRolesOnlyWithTheBoundary"
        Effect = "Allow"
        Action = [
          "iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
          "iam:PutRolePermissionsBoundary",
        ]
        Resource  = [local.stack_roles]
        Condition = { StringEquals = { "iam:PermissionsBoundary" = local.boundaries } }
      },
      {
        # No iam:UpdateAssumeRolePolicy: a trust policy is changed by an
        # administrator only (IAM has no condition key on its content).
        Sid    = "StackRolesReadAndTidy"
        Effect = "Allow"
        Action = [
          "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
          "iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRoleDescription",
        ]
        Resource = [local.stack_roles]
      },
      {
        Sid      = "ReadPipelineIdentity"
        Effect   = "Allow"
        Action   = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:GetOpenIDConnectProvider"]
        Resource = [local.boundary_arn, "${local.arn}:iam::${local.account}:policy/${var.name}-*", "${local.arn}:iam::${local.account}:oidc-provider/${local.github_oidc_url}"]
      },
      {
        # The server key: the pipeline writes a new random value (never reads
        # one; .github/scripts/server-key.sh); Terraform manages the secret's
        # settings. Only the task role may read it.
        Sid      = "StackSecretsWriteOnly"
        Effect   = "Allow"
        Action   = ["secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource", "secretsmanager:GetResourcePolicy"]
        Resource = [local.stack_secrets]
      },
      {
        # A resource policy that names the deploy role would let it read the
        # secret (in one account, either policy allowing is enough).
        Sid      = "NeverASecretsResourcePolicy"
        Effect   = "Deny"
        Action   = ["secretsmanager:PutResourcePolicy", "secretsmanager:DeleteResourcePolicy"]
        Resource = "*"
      },
      {
        # RDS creates, rotates and deletes the master password's secret on
        # the caller's behalf: only through RDS, only for this database.
        Sid       = "DatabaseSecretThroughRdsOnly"
        Effect    = "Allow"
        Action    = ["secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret", "secretsmanager:RotateSecret"]
        Resource  = ["${local.arn}:secretsmanager:${local.region}:${local.account}:secret:rds!db-*"]
        Condition = { Bool = { "aws:ViaAWSService" = "true" } }
      },
      {
        # The first ECS service, load balancer, database or scaling target of
        # an account needs its service's service-linked role.
        Sid       = "ServiceLinkedRolesOfTheStacksServices"
        Effect    = "Allow"
        Action    = ["iam:CreateServiceLinkedRole"]
        Resource  = "${local.arn}:iam::${local.account}:role/aws-service-role/*"
        Condition = { StringEquals = { "iam:AWSServiceName" = ["ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com"] } }
      },
      local.deny_account_settings,
      local.deny_other_budgets,
      local.deny_own_identity,
      {
        Sid      = "NeverRemoveABoundary"
        Effect   = "Deny"
        Action   = ["iam:DeleteRolePermissionsBoundary"]
        Resource = "*"
      },
    ]

    # The network: every call names what it creates (tagged for this stack
    # at creation) and what it uses (already this stack's); no ec2:Create*,
    # so CreateTags, CreateSnapshot and the like are not granted.
    "network" = [
      {
        # Describe calls have no resource-level permissions.
        Sid      = "Describe"
        Effect   = "Allow"
        Action   = ["ec2:Describe*"]
        Resource = "*"
      },
      {
        Sid       = "CreateTheVpcTagged"
        Effect    = "Allow"
        Action    = ["ec2:CreateVpc"]
        Resource  = ["${local.ec2}:vpc/*"]
        Condition = { StringEquals = local.tagged_for_stack }
      },
      {
        Sid       = "CreateGatewaysAndAddressesTagged"
        Effect    = "Allow"
        Action    = ["ec2:CreateInternetGateway", "ec2:AllocateAddress"]
        Resource  = ["${local.ec2}:internet-gateway/*", "${local.ec2}:elastic-ip/*"]
        Condition = { StringEquals = local.tagged_for_stack }
      },
      {
        Sid       = "CreateInsideTheVpcTagged"
        Effect    = "Allow"
        Action    = ["ec2:CreateSubnet", "ec2:CreateRouteTable", "ec2:CreateSecurityGroup"]
        Resource  = ["${local.ec2}:subnet/*", "${local.ec2}:route-table/*", "${local.ec2}:security-group/*"]
        Condition = { StringEquals = local.tagged_for_stack }
      },
      {
        Sid       = "CreateNatGatewaysTagged"
        Effect    = "Allow"
        Action    = ["ec2:CreateNatGateway"]
        Resource  = ["${local.ec2}:natgateway/*"]
        Condition = { StringEquals = local.tagged_for_stack }
      },
      {
        Sid       = "CreateFlowLogsTagged"
        Effect    = "Allow"
        Action    = ["ec2:CreateFlowLogs"]
        Resource  = ["${local.ec2}:vpc-flow-log/*"]
        Condition = { StringEquals = local.tagged_for_stack }
      },
      {
        Sid       = "CreateEndpointsTagged"
        Effect    = "Allow"
        Action    = ["ec2:CreateVpcEndpoint"]
        Resource  = ["${local.ec2}:vpc-endpoint/*"]
        Condition = { StringEquals = local.tagged_for_stack }
      },
      {
        Sid       = "SecurityGroupRulesTagged"
        Effect    = "Allow"
        Action    = ["ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress"]
        Resource  = ["${local.ec2}:security-group-rule/*"]
        Condition = { StringEquals = local.tagged_for_stack }
      },
      {
        # Tags only as part of those creations (tag on create).
        Sid      = "TagOnCreate"
        Effect   = "Allow"
        Action   = ["ec2:CreateTags"]
        Resource = "*"
        Condition = {
          StringEquals = merge(local.tagged_for_stack, {
            "ec2:CreateAction" = ["CreateVpc", "CreateSubnet", "CreateRouteTable", "CreateInternetGateway", "CreateNatGateway", "AllocateAddress", "CreateSecurityGroup", "CreateFlowLogs", "CreateVpcEndpoint", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress"]
          })
        }
      },
      {
        # What the calls above use and what later changes touch: resources
        # that already carry this stack's tag.
        Sid    = "UseAndChangeNetworkResourcesOfThisStack"
        Effect = "Allow"
        Action = [
          "ec2:CreateSubnet", "ec2:CreateRouteTable", "ec2:CreateSecurityGroup", "ec2:CreateNatGateway", "ec2:CreateFlowLogs", "ec2:CreateVpcEndpoint",
          "ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute", "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:ReplaceRouteTableAssociation",
          "ec2:AttachInternetGateway", "ec2:DetachInternetGateway", "ec2:AssociateAddress", "ec2:DisassociateAddress", "ec2:ReleaseAddress",
          "ec2:ModifyVpcAttribute", "ec2:ModifySubnetAttribute", "ec2:ModifyVpcEndpoint",
          "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
          "ec2:ModifySecurityGroupRules", "ec2:UpdateSecurityGroupRuleDescriptionsIngress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
          "ec2:DeleteVpc", "ec2:DeleteSubnet", "ec2:DeleteRouteTable", "ec2:DeleteInternetGateway", "ec2:DeleteNatGateway", "ec2:DeleteSecurityGroup",
          "ec2:DeleteFlowLogs", "ec2:DeleteVpcEndpoints", "ec2:CreateTags", "ec2:DeleteTags",
        ]
        Resource  = "*"
        Condition = { StringEquals = local.tag_is_this_stack }
      },
      {
        # The VPC's default security group is made by AWS, untagged: the
        # stack strips its rules and tags it, in this VPC only.
        Sid       = "DefaultSecurityGroupOfThisVpc"
        Effect    = "Allow"
        Action    = ["ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:CreateTags", "ec2:DeleteTags"]
        Resource  = ["${local.ec2}:security-group/*"]
        Condition = { ArnEquals = { "ec2:Vpc" = local.vpc_arn } }
      },
    ]

    # Load balancer, database, keys, logs.
    "platform" = concat([
      {
        # Describe calls have no resource-level permissions.
        Sid    = "Describe"
        Effect = "Allow"
        Action = [
          "elasticloadbalancing:Describe*", "rds:Describe*", "logs:DescribeLogGroups", "kms:ListAliases",
          "application-autoscaling:Describe*", "acm:ListCertificates", "wafv2:GetWebACLForResource", "wafv2:ListWebACLs",
        ]
        Resource = "*"
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
        # Named calls, not rds:*: no snapshot sharing (ModifyDBSnapshotAttribute),
        # copying or deleting; the final snapshot is taken, never removed.
        Sid    = "DatabaseOfThisStack"
        Effect = "Allow"
        Action = [
          "rds:CreateDBInstance", "rds:ModifyDBInstance", "rds:DeleteDBInstance", "rds:RebootDBInstance", "rds:AddTagsToResource",
          "rds:RemoveTagsFromResource", "rds:ListTagsForResource", "rds:CreateDBSubnetGroup", "rds:ModifyDBSubnetGroup",
          "rds:DeleteDBSubnetGroup", "rds:CreateDBParameterGroup", "rds:ModifyDBParameterGroup", "rds:DeleteDBParameterGroup",
          "rds:ResetDBParameterGroup", "rds:CreateDBSnapshot",
        ]
        Resource = [
          local.rds_db,
          "${local.arn}:rds:${local.region}:${local.account}:subgrp:${var.name}",
          "${local.arn}:rds:${local.region}:${local.account}:pg:${var.name}-*",
          "${local.arn}:rds:${local.region}:${local.account}:snapshot:${var.name}-final",
        ]
      },
      {
        Sid      = "LogGroupsOfThisStack"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource", "logs:TagLogGroup", "logs:ListTagsLogGroup"]
        Resource = local.stack_log_groups
      },
      {
        # WAF delivers its logs to CloudWatch Logs through a log delivery;
        # these calls have no resource-level permissions.
        Sid      = "WafLogDelivery"
        Effect   = "Allow"
        Action   = ["logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies"]
        Resource = "*"
      },
      {
        # KMS checks the tags of CreateKey as kms:TagResource on every key
        # (it cannot name a key that does not exist yet), so this allows
        # tagging any key with the stack's tag. That buys nothing: the
        # statements below name the stack's key by its ARN, never by a tag,
        # and the deny after them keeps other stacks' keys as they are.
        Sid       = "CreateKeysTaggedForThisStack"
        Effect    = "Allow"
        Action    = ["kms:CreateKey", "kms:TagResource"]
        Resource  = "*"
        Condition = { StringEquals = local.tagged_for_stack }
      },
      {
        # Not kms:PutKeyPolicy, kms:ScheduleKeyDeletion or kms:DisableKey:
        # the key behind the database, the registry and the logs is changed
        # or deleted by an administrator only.
        Sid    = "KeyOfThisStack"
        Effect = "Allow"
        Action = [
          "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation", "kms:ListResourceTags",
          "kms:TagResource", "kms:UntagResource", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias", "kms:UpdateKeyDescription",
        ]
        Resource = [var.kms_key_arn]
      },
      {
        # Data keys and decryption only for the services that encrypt the
        # stack's resources with the key, on the caller's behalf.
        Sid      = "KeyOfThisStackThroughItsServices"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource = [var.kms_key_arn]
        Condition = {
          StringEquals = { "kms:ViaService" = [for svc in ["rds", "secretsmanager", "ecr"] : "${svc}.${local.region}.amazonaws.com"] }
        }
      },
      {
        # The server key is write-only for the pipeline: Secrets Manager
        # names the secret it decrypts in the encryption context.
        Sid       = "NeverDecryptTheStacksSecrets"
        Effect    = "Deny"
        Action    = ["kms:Decrypt"]
        Resource  = "*"
        Condition = { StringLike = { "kms:EncryptionContext:SecretARN" = local.stack_secrets } }
      },
      {
        # Another stack's key or scaling target is never re-tagged or
        # untagged (for either, tagging on creation needs TagResource
        # checked against the request's tags only).
        Sid       = "NeverRetagAnotherStacksResources"
        Effect    = "Deny"
        Action    = ["kms:TagResource", "kms:UntagResource", "application-autoscaling:TagResource", "application-autoscaling:UntagResource"]
        Resource  = "*"
        Condition = { Null = { "aws:ResourceTag/${local.stack_tag}" = "false" }, StringNotEquals = local.tag_is_this_stack }
      },
      {
        # RDS, ECR and Secrets Manager take grants on the key for the
        # resources they encrypt; nobody else.
        Sid       = "GrantsForAwsResourcesOnly"
        Effect    = "Allow"
        Action    = ["kms:CreateGrant"]
        Resource  = [var.kms_key_arn]
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
      {
        Sid      = "KeyAliasOfThisStack"
        Effect   = "Allow"
        Action   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
        Resource = "${local.arn}:kms:${local.region}:${local.account}:alias/${var.name}"
      },
      {
        # Refresh reads the backup vault, plan and selection (module
        # backup, applied by an administrator); these reads name no tag.
        Sid      = "ReadTheBackups"
        Effect   = "Allow"
        Action   = local.backup_reads
        Resource = "*"
      },
      local.deny_master_password,
    ], local.deny_data_loss, local.deny_log_loss)

    # Alarms, the dashboard, the task-state rule, the alarm topic and the
    # monthly budget (module monitoring), all by the stack's names.
    "monitoring" = concat([
      {
        Sid      = "DescribeAlarms"
        Effect   = "Allow"
        Action   = ["cloudwatch:DescribeAlarms"]
        Resource = "*"
      },
      {
        Sid      = "AlarmsOfThisStack"
        Effect   = "Allow"
        Action   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"]
        Resource = "${local.arn}:cloudwatch:${local.region}:${local.account}:alarm:${var.name}-*"
      },
      {
        Sid      = "DashboardOfThisStack"
        Effect   = "Allow"
        Action   = ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"]
        Resource = "${local.arn}:cloudwatch::${local.account}:dashboard/${var.name}"
      },
      {
        Sid      = "TaskStateRuleOfThisStack"
        Effect   = "Allow"
        Action   = ["events:PutRule", "events:DescribeRule", "events:DeleteRule", "events:RemoveTargets", "events:ListTargetsByRule", "events:TagResource", "events:UntagResource", "events:ListTagsForResource"]
        Resource = "${local.arn}:events:${local.region}:${local.account}:rule/${var.name}-*"
      },
      {
        # A rule's events go to the stack's alarm topic only: never another
        # account's bus or any other target.
        Sid      = "RuleTargetsAreTheAlarmTopic"
        Effect   = "Allow"
        Action   = ["events:PutTargets"]
        Resource = "${local.arn}:events:${local.region}:${local.account}:rule/${var.name}-*"
        # events:TargetArn holds every target of the request: each must be
        # the topic, and a request must name one (ForAllValues alone would
        # pass a request without the key).
        Condition = {
          "ForAllValues:ArnEquals" = { "events:TargetArn" = local.alarm_topic }
          Null                     = { "events:TargetArn" = "false" }
        }
      },
      {
        Sid    = "AlarmTopicOfThisStack"
        Effect = "Allow"
        Action = ["sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic", "sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource"]
        # IAM authorizes a subscription's calls on its topic (AWS's data).
        Resource = local.alarm_topic
      },
      ], [for emails in [var.alarm_emails] : {
        # Subscriptions: the configured addresses, by e-mail, and nothing
        # else (no HTTPS endpoint, queue or function of someone else's).
        Sid       = "SubscribeTheAlarmAddresses"
        Effect    = "Allow"
        Action    = ["sns:Subscribe"]
        Resource  = local.alarm_topic
        Condition = { StringEquals = { "sns:Protocol" = "email", "sns:Endpoint" = emails } }
      } if length(emails) > 0], [
      {
        Sid      = "BudgetOfThisStack"
        Effect   = "Allow"
        Action   = ["budgets:ModifyBudget", "budgets:ViewBudget", "budgets:TagResource", "budgets:UntagResource", "budgets:ListTagsForResource"]
        Resource = local.stack_budget
      },
    ])

    # Access logs, WAF, autoscaling, certificates and DNS.
    "edge" = concat(local.dns_statements, [
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
        # AWS authorizes the association on the load balancer too, and its
        # removal on the load balancer alone.
        Sid      = "WafOnTheLoadBalancerOfThisStack"
        Effect   = "Allow"
        Action   = ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"]
        Resource = ["${local.arn}:elasticloadbalancing:${local.region}:${local.account}:loadbalancer/app/${var.name}/*"]
      },
      {
        # ELB's half of the association takes no resource; what it attaches
        # is bounded by wafv2:AssociateWebACL, on this stack's load balancer only.
        Sid      = "SetWebAclTakesNoResource"
        Effect   = "Allow"
        Action   = ["elasticloadbalancing:SetWebAcl"]
        Resource = "*"
      },
      {
        Sid       = "RegisterScalableTargetsTagged"
        Effect    = "Allow"
        Action    = ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"]
        Resource  = "${local.arn}:application-autoscaling:${local.region}:${local.account}:scalable-target/*"
        Condition = { StringEquals = local.tagged_for_stack }
      },
      {
        Sid       = "AutoscalingOfThisStack"
        Effect    = "Allow"
        Action    = ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy", "application-autoscaling:TagResource", "application-autoscaling:UntagResource", "application-autoscaling:ListTagsForResource"]
        Resource  = "${local.arn}:application-autoscaling:${local.region}:${local.account}:scalable-target/*"
        Condition = { StringEquals = local.tag_is_this_stack }
      },
      {
        # A certificate is requested with this stack's tag (aws:RequestTag,
        # the tags of the request) and managed only while it carries it.
        Sid       = "RequestCertificatesTaggedForThisStack"
        Effect    = "Allow"
        Action    = ["acm:RequestCertificate"]
        Resource  = "*"
        Condition = { StringEquals = local.tagged_for_stack }
      },
      {
        Sid       = "CertificatesOfThisStack"
        Effect    = "Allow"
        Action    = ["acm:DescribeCertificate", "acm:DeleteCertificate", "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate", "acm:ListTagsForCertificate"]
        Resource  = "${local.arn}:acm:${local.region}:${local.account}:certificate/*"
        Condition = { StringEquals = local.tag_is_this_stack }
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
      Action = concat([
        "ec2:Describe*", "ecs:Describe*", "ecs:List*", "elasticloadbalancing:Describe*", "rds:Describe*", "rds:ListTagsForResource",
        "logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup", "kms:DescribeKey", "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags", "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy",
        "ecr:ListTagsForResource", "ecr:DescribeImages", "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetOpenIDConnectProvider",
        "route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource", "acm:DescribeCertificate",
        "acm:ListTagsForCertificate", "application-autoscaling:Describe*", "application-autoscaling:ListTagsForResource",
        "wafv2:GetWebACL", "wafv2:GetLoggingConfiguration", "wafv2:GetWebACLForResource", "wafv2:ListTagsForResource",
        "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "logs:DescribeResourcePolicies", "logs:GetLogDelivery",
        "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:GetDashboard", "events:DescribeRule",
        "events:ListTargetsByRule", "events:ListTagsForResource", "sns:GetTopicAttributes", "sns:GetSubscriptionAttributes",
        "sns:ListTagsForResource",
      ], local.backup_reads)
      Resource = "*"
    },
    {
      Sid      = "ReadAccessLogBucketConfiguration"
      Effect   = "Allow"
      Action   = ["s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration", "s3:ListBucket"]
      Resource = [local.access_logs_bucket]
    },
    {
      Sid      = "ReadTheStacksBudget"
      Effect   = "Allow"
      Action   = ["budgets:ViewBudget", "budgets:ListTagsForResource"]
      Resource = local.stack_budget
    },
    local.deny_account_settings,
    local.deny_other_budgets,
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
      local.write_logs_statement,
      {
        # The stack's own secrets: no database's master secret, of this
        # stack or another.
        Sid      = "ReadTheStacksSecrets"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = local.workload_secrets
      },
      {
        # Secrets Manager decrypts on the reader's behalf, and names the
        # secret in the encryption context: only for the secrets above.
        Sid      = "DecryptTheStacksSecretsThroughSecretsManager"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = ["${local.arn}:kms:${local.region}:${local.account}:key/*"]
        Condition = {
          StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" }
          StringLike   = { "kms:EncryptionContext:SecretARN" = local.workload_secrets }
        }
      },
      {
        # IAM database authentication as the app's user or the migrator, on
        # this instance only; never as the master user.
        Sid      = "ConnectAsTheStacksDatabaseUsers"
        Effect   = "Allow"
        Action   = ["rds-db:connect"]
        Resource = [for user in [var.db_app_user, var.db_migrator_user] : "${local.arn}:rds-db:${local.region}:${local.account}:dbuser:${var.db_resource_id}/${user}"]
      },
    ]
  })

  tags = var.tags
}

# The most a role that an AWS service assumes for the stack (RDS Enhanced
# Monitoring, VPC flow logs) may do: write the stack's logs. Apart from the
# workload boundary, whose content names the database, so that the database's
# own monitoring role does not wait for the database.
resource "aws_iam_policy" "service_boundary" {
  name        = "${var.name}-service-boundary"
  description = "${var.name}: the most a service role created by the pipeline may do"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [local.write_logs_statement]
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

# The database-init role: the task role of the one-off task an
# administrator runs once per database (`pollstack migrate --init-roles`,
# scripts/init-database.sh) to make the migrator and app roles. It alone
# reads the master secret. Made by the administrator's first apply: it
# carries no boundary (the workload boundary names no master secret), so
# the deploy role could not create it, and may neither change it nor pass
# it to a task.
resource "aws_iam_role" "db_init" {
  name        = local.db_init_role_name
  description = "${var.name}: an administrator's one-off database-init task (reads the master secret)"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account }
        ArnLike      = { "aws:SourceArn" = "${local.arn}:ecs:${local.region}:${local.account}:*" }
      }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "db_init" {
  name = "read-the-master-secret"
  role = aws_iam_role.db_init.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadTheMasterSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [var.db_secret_arn]
      },
      {
        Sid      = "DecryptTheMasterSecretThroughSecretsManager"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = ["${local.arn}:kms:${local.region}:${local.account}:key/*"]
        Condition = {
          StringEquals = {
            "kms:ViaService"                  = "secretsmanager.${local.region}.amazonaws.com"
            "kms:EncryptionContext:SecretARN" = var.db_secret_arn
          }
        }
      },
    ]
  })
}
