mock_provider "aws" {
  source = "../../mocks"
}

variables {
  name               = "pollstack-test"
  subnet_ids         = ["subnet-0a", "subnet-0b"]
  security_group_ids = ["sg-0db"]
  kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

# Guard 3: credential and instance changes apply immediately; the password is
# managed by RDS in Secrets Manager, encrypted with the project key.
run "credentials_managed_by_rds_and_applied_immediately" {
  command = apply

  assert {
    condition     = aws_db_instance.this.apply_immediately == true
    error_message = "apply_immediately must be true: a credential or instance change must not wait for a maintenance window"
  }

  assert {
    condition     = aws_db_instance.this.manage_master_user_password == true && aws_db_instance.this.password == null
    error_message = "RDS must manage the master password in Secrets Manager; no password may be set through Terraform"
  }

  assert {
    condition     = aws_db_instance.this.master_user_secret_kms_key_id == var.kms_key_arn
    error_message = "the master user secret must be encrypted with the project key"
  }

  assert {
    condition     = output.master_user_secret_arn == "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf"
    error_message = "the module outputs the secret's ARN"
  }
}

run "secure_defaults" {
  command = apply

  assert {
    condition     = aws_db_instance.this.storage_encrypted && aws_db_instance.this.kms_key_id == var.kms_key_arn
    error_message = "storage is encrypted with the project key"
  }

  assert {
    condition     = aws_db_instance.this.publicly_accessible == false
    error_message = "the database is never publicly accessible"
  }

  assert {
    condition     = aws_db_instance.this.instance_class == "db.t3.micro" && aws_db_instance.this.storage_type == "gp3" && aws_db_instance.this.engine_version == "17"
    error_message = "db.t3.micro, gp3 and the current PostgreSQL major version by default"
  }

  assert {
    condition     = aws_db_instance.this.backup_retention_period >= 7 && aws_db_instance.this.copy_tags_to_snapshot && aws_db_instance.this.auto_minor_version_upgrade
    error_message = "at least 7 days of backups, tags copied to snapshots, minor upgrades on"
  }

  assert {
    condition     = aws_db_instance.this.deletion_protection && !aws_db_instance.this.skip_final_snapshot
    error_message = "deletion protection and a final snapshot by default"
  }

  assert {
    condition     = toset(aws_db_instance.this.enabled_cloudwatch_logs_exports) == toset(["postgresql", "upgrade"])
    error_message = "PostgreSQL and upgrade logs are exported"
  }

  assert {
    condition     = one([for p in aws_db_parameter_group.this.parameter : p.value if p.name == "rds.force_ssl"]) == "1"
    error_message = "the parameter group requires TLS (rds.force_ssl = 1)"
  }

  assert {
    condition     = one([for p in aws_db_parameter_group.this.parameter : p.value if p.name == "log_min_duration_statement"]) == "500"
    error_message = "slow queries are logged"
  }

  assert {
    condition     = aws_db_parameter_group.this.family == "postgres17"
    error_message = "the parameter group family follows the engine's major version"
  }
}

run "lean_choices" {
  command = plan

  variables {
    multi_az            = false
    deletion_protection = false
    monitoring_interval = 0
  }

  assert {
    condition     = aws_db_instance.this.apply_immediately == true && length(aws_iam_role.monitoring) == 0
    error_message = "lean choices never change apply_immediately"
  }
}

run "rejects_short_backups" {
  command = plan

  variables {
    backup_retention_days = 1
  }

  expect_failures = [var.backup_retention_days]
}

# The exported logs land in groups of this stack: a year, the project key.
run "exported_logs_kept_and_encrypted" {
  command = apply

  assert {
    condition     = toset([for g in aws_cloudwatch_log_group.exports : g.name]) == toset([for e in aws_db_instance.this.enabled_cloudwatch_logs_exports : "/aws/rds/instance/pollstack-test/${e}"])
    error_message = "every exported log has its log group, named as RDS names it"
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.exports : g.retention_in_days == 365 && g.kms_key_id == var.kms_key_arn])
    error_message = "the database's log groups keep a year of logs, encrypted with the project key"
  }
}
