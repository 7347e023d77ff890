mock_provider "aws" {
  source = "../../mocks"
}

variables {
  name            = "pollstack-test"
  db_instance_arn = "arn:aws:rds:us-east-1:123456789012:db:pollstack-test"
  kms_key_arn     = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

# The database is backed up daily into a vault whose lock keeps every
# recovery point for the retention, whatever a credential asks later.
run "database_backed_up_into_a_locked_vault" {
  command = apply

  assert {
    condition     = aws_backup_selection.database.resources == toset([var.db_instance_arn]) && aws_backup_selection.database.iam_role_arn == aws_iam_role.backup.arn
    error_message = "the selection backs up the database with the backup role"
  }

  assert {
    condition = (
      aws_backup_vault_lock_configuration.this.min_retention_days == var.retention_days
      && one(aws_backup_plan.this.rule).lifecycle[0].delete_after == var.retention_days
      && one(aws_backup_plan.this.rule).target_vault_name == aws_backup_vault.this.name
    )
    error_message = "the plan keeps recovery points in the locked vault exactly as long as the lock's minimum"
  }

  assert {
    condition     = jsondecode(aws_iam_role.backup.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "only AWS Backup, for this account, assumes the backup role"
  }
}

run "rejects_a_lock_shorter_than_a_week" {
  command = plan

  variables {
    retention_days = 1
  }

  expect_failures = [var.retention_days]
}

run "rejects_a_lock_without_grace_time" {
  command = plan

  variables {
    changeable_for_days = 0
  }

  expect_failures = [var.changeable_for_days]
}
