data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# The database's backups, out of the deploy role's reach: a vault with a
# lock in compliance mode (after changeable_for_days nobody, not even the
# account's root, deletes a recovery point before its retention ends or
# removes the lock), a daily plan and a selection of the database. The
# pipeline's deploy role may read these, never change or delete them (module
# cicd): this module is applied by an administrator, like the pipeline's own
# identity.

resource "aws_iam_role" "backup" {
  name        = "${var.name}-backup"
  description = "${var.name}: AWS Backup snapshots the database into the locked vault"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "backup.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # For this account's backups only (confused deputy).
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "backup" {
  role       = aws_iam_role.backup.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
}

# The managed policy is AWS's and may grow; whatever it allows, this role
# never reads a secret (the platform tests take an AWS managed policy as
# allowing everything, so only this deny keeps the invariant that a secret
# is read by the roles that need it alone).
resource "aws_iam_role_policy" "no_secrets" {
  name = "never-read-secrets"
  role = aws_iam_role.backup.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "NeverReadSecrets"
      Effect   = "Deny"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = "*"
    }]
  })
}

resource "aws_backup_vault" "this" {
  name        = var.name
  kms_key_arn = var.kms_key_arn

  tags = var.tags
}

resource "aws_backup_vault_lock_configuration" "this" {
  backup_vault_name   = aws_backup_vault.this.name
  min_retention_days  = var.retention_days
  max_retention_days  = var.max_retention_days
  changeable_for_days = var.changeable_for_days

  lifecycle {
    precondition {
      condition     = var.retention_days <= var.max_retention_days
      error_message = "retention_days must not exceed max_retention_days: the lock would refuse the plan's own rule."
    }
  }
}

resource "aws_backup_plan" "this" {
  name = var.name

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.this.name
    schedule          = var.schedule

    lifecycle {
      delete_after = var.retention_days
    }

    recovery_point_tags = var.tags
  }

  tags = var.tags

  depends_on = [aws_backup_vault_lock_configuration.this]
}

resource "aws_backup_selection" "database" {
  name         = "${var.name}-database"
  plan_id      = aws_backup_plan.this.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = [var.db_instance_arn]
}
