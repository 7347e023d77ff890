data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  # Log groups of this stack that CloudWatch Logs may encrypt with the key.
  log_group_arn_patterns = [
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/${var.name}*",
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/vpc/${var.name}/*",
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:aws-waf-logs-${var.name}*",
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/rds/instance/${var.name}/*",
  ]

  # Reading a secret encrypted with the stack's key takes GetSecretValue on
  # the secret and kms:Decrypt on the key. Decrypt is allowed only when
  # Secrets Manager asks (kms:ViaService) for that very secret: Secrets
  # Manager puts the secret's ARN in the encryption context, so a role that
  # reads one secret cannot decrypt another one encrypted with the same key.
  # The database's master secret is read by no role of this module: the
  # administrator's database-init role only (module cicd).
  read_secret_statements = { for sid, secret in {
    ServerKey = aws_secretsmanager_secret.server_key.arn
    } : sid => [
    {
      Sid      = "Read${sid}"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = [secret]
    },
    {
      Sid      = "Decrypt${sid}ThroughSecretsManager"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = [aws_kms_key.this.arn]
      Condition = {
        StringEquals = {
          "kms:ViaService"                  = "secretsmanager.${local.region}.amazonaws.com"
          "kms:EncryptionContext:SecretARN" = secret
        }
      }
    },
  ] }

  ecs_tasks_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:*" }
      }
    }]
  })
}

# KMS -----------------------------------------------------------------------

resource "aws_kms_key" "this" {
  description             = "${var.name}: database storage and secret, container registry, log groups, alarm topic"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.kms_deletion_window_days

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Lets IAM policies in this account grant use of the key; without it
        # the key becomes unmanageable. Every other use goes through IAM.
        Sid       = "AccountAdministersKeyThroughIAM"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsEncryptsThisStacksLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike      = { "kms:EncryptionContext:aws:logs:arn" = local.log_group_arn_patterns }
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
      {
        # The alarm topic (module monitoring) is encrypted with this key:
        # CloudWatch alarms, EventBridge rules and AWS Budgets need it to
        # publish there. Only SNS uses the data keys they make.
        Sid       = "AlarmsRulesAndBudgetsPublishToEncryptedTopics"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        # For this account's alarms, rules and budgets only (confused deputy).
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

# Security groups: internet -> ALB -> app -> database ------------------------

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:attached to the load balancer by the edge module
  name        = "${var.name}-alb"
  description = "${var.name} load balancer: HTTP and HTTPS from the allowed ranges, app port to the app"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_security_group" "app" {
  #checkov:skip=CKV2_AWS_5:attached to the ECS service by the compute module
  name        = "${var.name}-app"
  description = "${var.name} app tasks: app port from the load balancer only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-app" })
}

resource "aws_security_group" "db" {
  #checkov:skip=CKV2_AWS_5:attached to the RDS instance by the database module
  name        = "${var.name}-db"
  description = "${var.name} database: PostgreSQL from the app tasks only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-db" })
}

# The only rules that name CIDR ranges: the public listeners.
#trivy:ignore:AVD-AWS-0107 a public web site: the load balancer takes HTTP and HTTPS from the internet; HTTP only redirects when HTTPS is on
resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:a public web site takes HTTP on port 80 to redirect it to HTTPS (or, lean without a domain, to serve it; see docs/decisions.md)
  for_each = toset(var.alb_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from ${each.value} (redirected to HTTPS when a certificate is configured)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value

  tags = var.tags
}

#trivy:ignore:AVD-AWS-0107 a public web site: the load balancer takes HTTPS from the internet
resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = toset(var.alb_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the app tasks on the app port"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.app.id

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  security_group_id            = aws_security_group.app.id
  description                  = "App port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.alb.id

  tags = var.tags
}

#trivy:ignore:AVD-AWS-0104 tasks pull images and call ECR, Secrets Manager and CloudWatch Logs over HTTPS; without VPC endpoints those have no fixed address ranges
resource "aws_vpc_security_group_egress_rule" "app_https" {
  security_group_id = aws_security_group.app.id
  description       = "HTTPS to AWS APIs and the container registry"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "app_to_db" {
  security_group_id            = aws_security_group.app.id
  description                  = "PostgreSQL to the database"
  ip_protocol                  = "tcp"
  from_port                    = var.db_port
  to_port                      = var.db_port
  referenced_security_group_id = aws_security_group.db.id

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "db_from_app" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the app tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.db_port
  to_port                      = var.db_port
  referenced_security_group_id = aws_security_group.app.id

  tags = var.tags
}

# ECS roles -----------------------------------------------------------------

# Used by the ECS agent to start the tasks: pull the image, create the log
# stream. It resolves no secret: the app reads its server key with the task
# role, and the database takes IAM tokens.
resource "aws_iam_role" "execution" {
  name                 = "${var.name}-ecs-execution"
  permissions_boundary = var.permissions_boundary_arn
  description          = "${var.name}: ECS agent starts the tasks (image pull, logs)"
  assume_role_policy   = local.ecs_tasks_trust

  tags = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name = "start-app-task"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # GetAuthorizationToken has no resource-level permissions.
        Sid      = "RegistryLogin"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
      {
        Sid      = "PullAppImage"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = [var.ecr_repository_arn]
      },
      {
        Sid      = "WriteAppLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${var.log_group_arn}:log-stream:*"]
      },
    ]
  })
}

# Assumed by the running app: it logs in to the database as its own role with
# IAM database authentication, and reads the server key.
resource "aws_iam_role" "task" {
  name                 = "${var.name}-ecs-task"
  permissions_boundary = var.permissions_boundary_arn
  description          = "${var.name}: the running app (database as the app user by IAM, server key)"
  assume_role_policy   = local.ecs_tasks_trust

  tags = var.tags
}

resource "aws_iam_role_policy" "task" {
  name = "app-runtime"
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        # A token for the app's role on this instance, never for the master
        # user or another database's users.
        Sid      = "ConnectAsTheAppUser"
        Effect   = "Allow"
        Action   = ["rds-db:connect"]
        Resource = ["arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:${var.db_resource_id}/${var.db_app_user}"]
      },
    ], local.read_secret_statements["ServerKey"])
  })
}

# Assumed by the one-off migration task: it logs in as the migrator, the
# role that owns the database (made once by an administrator with
# `pollstack migrate --init-roles`), with IAM database authentication. No
# password: the pipeline runs this task with code it ships, so nothing it
# can reach may hold the master password.
resource "aws_iam_role" "migrate" {
  name                 = "${var.name}-ecs-migrate"
  permissions_boundary = var.permissions_boundary_arn
  description          = "${var.name}: the migration task (database as the migrator by IAM)"
  assume_role_policy   = local.ecs_tasks_trust

  tags = var.tags
}

resource "aws_iam_role_policy" "migrate" {
  name = "migrate"
  role = aws_iam_role.migrate.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ConnectAsTheMigrator"
      Effect   = "Allow"
      Action   = ["rds-db:connect"]
      Resource = ["arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:${var.db_resource_id}/${var.db_migrator_user}"]
    }]
  })
}

# The server key ------------------------------------------------------------

# A random key the app signs with (POLLSTACK_SERVER_KEY_SECRET_ARN). Terraform
# makes the secret, never its value: the pipeline writes a fresh random value
# when the secret has none (.github/scripts/server-key.sh), so the key is in
# no state file, and only the task role may read it: it alone has
# GetSecretValue on it and kms:Decrypt with its encryption context. No
# resource policy: the deploy role that applies this module could rewrite it
# to let itself read the key, so it may not put one (module cicd).
resource "aws_secretsmanager_secret" "server_key" {
  #checkov:skip=CKV2_AWS_57:rotated by writing a new value with .github/scripts/server-key.sh --rotate (every session and token signed with the old key ends); a scheduled rotation would do that unannounced
  name                    = "${var.name}-server-key"
  description             = "${var.name}: the app's server key (random, 48 bytes base64); read only by the task role"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = 7

  tags = var.tags
}
