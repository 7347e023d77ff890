# The whole stack with mocked AWS: the modules wired together as the
# environments use them. The guards here check the wiring, not one module.
mock_provider "aws" {
  source = "../../mocks"
}

variables {
  name                 = "pollstack-test"
  github_repository    = "pollstack/pollstack"
  state_key            = "pollstack/test/terraform.tfstate"
  domain_name          = "polls.example.com"
  hosted_zone_id       = "Z0123456789ABCDEFGHIJ"
  github_owner_id      = "1001"
  github_repository_id = "2002"
  # Mocked AWS runs no task: the migration task is registered, not run.
  run_migrations = false
}

run "enterprise_like" {
  command = apply

  variables {
    db_multi_az          = true
    on_demand_base_count = 1
    min_capacity         = 2
  }

  # Guard 1, wired: the one role that reads the master secret (the
  # administrator's database-init role) reads the very secret RDS made and
  # may decrypt it, through Secrets Manager, with the very key the database
  # module gives RDS; the ECS roles read no master secret.
  assert {
    condition = length([
      for s in jsondecode(module.cicd.db_init_policy).Statement : s
      if contains(flatten([s.Action]), "kms:Decrypt")
      && anytrue([for r in flatten([s.Resource]) : startswith(module.database.secret_kms_key_arn, trimsuffix(r, "*"))])
      && try(s.Condition.StringEquals["kms:ViaService"], "") == "secretsmanager.us-east-1.amazonaws.com"
      && try(s.Condition.StringEquals["kms:EncryptionContext:SecretARN"], "") == module.database.master_user_secret_arn
    ]) == 1
    error_message = "the database-init role must be able to kms:Decrypt (via Secrets Manager, for that secret) the key that encrypts the database secret"
  }

  assert {
    condition = length([
      for s in jsondecode(module.cicd.db_init_policy).Statement : s
      if contains(flatten([s.Action]), "secretsmanager:GetSecretValue") && flatten([s.Resource]) == [module.database.master_user_secret_arn]
    ]) == 1
    error_message = "the database-init role must be able to read the secret the database module outputs"
  }

  assert {
    condition     = !strcontains(module.security.execution_role_policy, module.database.master_user_secret_arn)
    error_message = "the execution role reads no master secret"
  }

  # Guard 2, wired: the architecture variable reaches the task definition.
  assert {
    condition     = output.cpu_architecture == var.cpu_architecture && output.image_platform == "linux/amd64"
    error_message = "the task definition runs on cpu_architecture and the image platform matches it"
  }

  assert {
    condition     = output.app_url == "https://polls.example.com"
    error_message = "with a domain the site is HTTPS on that name"
  }

  assert {
    condition     = output.db_secret_arn == "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf"
    error_message = "the stack outputs the secret's ARN"
  }
  # The deployment alarms of module monitoring are the ones the service
  # rolls back on, and they watch this stack's load balancer.
  assert {
    condition     = toset(module.compute.deployment_alarm_names) == toset(output.deployment_alarm_names) && length(output.deployment_alarm_names) == 3
    error_message = "the service rolls back on the monitoring module's deployment alarms (5xx rates, unhealthy hosts)"
  }

  assert {
    condition     = startswith(module.monitoring.runbook_url, "https://github.com/pollstack/pollstack/blob/main/docs/runbook.md")
    error_message = "the alarms link the repository's runbook"
  }
}

run "lean_like" {
  command = apply

  variables {
    cpu_architecture        = "ARM64"
    domain_name             = null
    hosted_zone_id          = null
    require_https           = false
    tasks_in_public_subnets = true
    enable_nat_gateway      = false
    enable_flow_logs        = false
    enable_access_logs      = false
    enable_waf              = false
    db_deletion_protection  = false
  }

  assert {
    condition     = output.app_url == "http://pollstack-test-123.us-east-1.elb.amazonaws.com"
    error_message = "without a domain the site is plain HTTP on the load balancer's name"
  }

  assert {
    condition     = output.cpu_architecture == "ARM64" && output.image_platform == "linux/arm64"
    error_message = "ARM64 reaches the task definition and the image platform"
  }

  assert {
    condition     = output.drain.app_drain_period == "${output.drain.deregistration_delay}s"
    error_message = "the app drains for exactly the target group's deregistration delay"
  }
}

run "https_is_required_unless_waived" {
  command = plan

  variables {
    domain_name    = null
    hosted_zone_id = null
  }

  expect_failures = [terraform_data.choices]
}
