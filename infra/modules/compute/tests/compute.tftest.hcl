mock_provider "aws" {
  source = "../../mocks"
}

variables {
  name                         = "pollstack-test"
  image                        = "123456789012.dkr.ecr.us-east-1.amazonaws.com/pollstack-test@sha256:0000000000000000000000000000000000000000000000000000000000000000"
  execution_role_arn           = "arn:aws:iam::123456789012:role/pollstack-test-ecs-execution"
  task_role_arn                = "arn:aws:iam::123456789012:role/pollstack-test-ecs-task"
  migrate_task_role_arn        = "arn:aws:iam::123456789012:role/pollstack-test-ecs-migrate"
  server_key_secret_arn        = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pollstack-test-server-key-AbCdEf"
  public_url                   = "https://polls.example.com"
  db_host                      = "pollstack-test.abcdefghijkl.us-east-1.rds.amazonaws.com"
  db_name                      = "pollstack"
  log_kms_key_arn              = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  subnet_ids                   = ["subnet-0a", "subnet-0b"]
  security_group_ids           = ["sg-0app"]
  target_group_arn             = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/pollstack-test/0123456789abcdef"
  request_count_resource_label = "app/pollstack-test/0123456789abcdef/targetgroup/pollstack-test/0123456789abcdef"
  # Mocked AWS runs no task: the runs below apply without the migration run
  # (which calls the AWS CLI); migration_runs_before_the_service plans it.
  run_migrations = false
}

# Guard 5: every container logs with awslogs to this module's log group.
run "every_container_logs_to_the_module_log_group" {
  command = apply

  assert {
    condition = alltrue([
      for c in concat(jsondecode(aws_ecs_task_definition.app.container_definitions), jsondecode(aws_ecs_task_definition.migrate.container_definitions)) :
      try(c.logConfiguration.logDriver, "") == "awslogs"
      && try(c.logConfiguration.options["awslogs-group"], "") == aws_cloudwatch_log_group.app.name
      && try(c.logConfiguration.options["awslogs-region"], "") == "us-east-1"
    ])
    error_message = "every container definition needs logConfiguration.logDriver = awslogs with the module's log group"
  }

  assert {
    condition     = length(jsondecode(aws_ecs_task_definition.app.container_definitions)) > 0
    error_message = "the task definition has containers"
  }

  assert {
    condition     = aws_cloudwatch_log_group.app.retention_in_days == 365 && aws_cloudwatch_log_group.app.kms_key_id == var.log_kms_key_arn
    error_message = "the log group keeps logs for a year, encrypted with the given key"
  }
}

# Guard 2: the task definition's architecture and the image platform the
# pipeline builds for come from the one variable and agree.
run "architecture_default_is_x86" {
  command = apply

  assert {
    condition     = aws_ecs_task_definition.app.runtime_platform[0].cpu_architecture == "X86_64" && aws_ecs_task_definition.app.runtime_platform[0].operating_system_family == "LINUX"
    error_message = "the task runs on LINUX/X86_64 by default"
  }

  assert {
    condition     = output.image_platform == "linux/amd64"
    error_message = "X86_64 tasks need a linux/amd64 image"
  }

  assert {
    condition     = output.cpu_architecture == aws_ecs_task_definition.app.runtime_platform[0].cpu_architecture
    error_message = "the cpu_architecture output reports the task definition's"
  }
}

run "architecture_arm64" {
  command = apply

  variables {
    cpu_architecture = "ARM64"
  }

  assert {
    condition     = aws_ecs_task_definition.app.runtime_platform[0].cpu_architecture == "ARM64" && output.image_platform == "linux/arm64"
    error_message = "ARM64 tasks and a linux/arm64 image go together"
  }
}

run "rejects_other_architectures" {
  command = plan

  variables {
    cpu_architecture = "amd64"
  }

  expect_failures = [var.cpu_architecture]
}

run "container_hardening_and_secrets" {
  command = apply

  assert {
    condition = alltrue([
      for c in jsondecode(aws_ecs_task_definition.app.container_definitions) :
      c.readonlyRootFilesystem == true && !contains(["root", "0", "0:0"], c.user) && c.stopTimeout == 120
    ])
    error_message = "containers run as a non-root user on a read-only root file system, with a 120 s stop timeout"
  }

  assert {
    condition = alltrue([
      for c in concat(jsondecode(aws_ecs_task_definition.app.container_definitions), jsondecode(aws_ecs_task_definition.migrate.container_definitions)) :
      try(c.secrets, null) == null
    ])
    error_message = "no task gets a secret from ECS: the app and the migration log in to the database with IAM tokens"
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.migrate.container_definitions)[0].command == ["migrate"]
      && { for e in jsondecode(aws_ecs_task_definition.migrate.container_definitions)[0].environment : e.name => e.value } == {
        DATABASE_URL          = "postgres://pollstack_migrator@${var.db_host}:5432/pollstack?sslmode=verify-full"
        POLLSTACK_DB_APP_USER = "pollstack_app"
        POLLSTACK_DB_IAM_AUTH = "true"
      }
      && aws_ecs_task_definition.migrate.task_role_arn == var.migrate_task_role_arn
      && aws_ecs_task_definition.migrate.execution_role_arn == var.execution_role_arn
      && jsondecode(aws_ecs_task_definition.migrate.container_definitions)[0].readonlyRootFilesystem == true
      && jsondecode(aws_ecs_task_definition.migrate.container_definitions)[0].image == var.image
    )
    error_message = "the migration task runs `migrate` with the app's image as the migrator over TLS with IAM tokens, sets up pollstack_app, has its own task role and a read-only root file system"
  }

  assert {
    condition = {
      for e in jsondecode(aws_ecs_task_definition.app.container_definitions)[0].environment : e.name => e.value
      if startswith(e.name, "POLLSTACK_") || e.name == "DATABASE_URL"
      } == {
      POLLSTACK_ADDR                  = ":8080"
      DATABASE_URL                    = "postgres://pollstack_app@${var.db_host}:5432/pollstack?sslmode=verify-full"
      POLLSTACK_DB_IAM_AUTH           = "true"
      POLLSTACK_DB_MIGRATE            = "false"
      POLLSTACK_TRUST_PROXY           = "true"
      POLLSTACK_DRAIN_PERIOD          = "30s"
      POLLSTACK_PUBLIC_URL            = "https://polls.example.com"
      POLLSTACK_SERVER_KEY_SECRET_ARN = var.server_key_secret_arn
      POLLSTACK_METRICS_SERVICE       = var.name
    }
    error_message = "the app gets its address, the database endpoint as the app user with IAM authentication and no migrations, the proxy trust, its drain period, its metrics' Service and the server key's ARN as plain environment"
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.app.container_definitions)[0].portMappings[0].containerPort == 8080
    error_message = "the app listens on 8080"
  }
}

run "service_deploys_safely_on_spot" {
  command = apply

  assert {
    condition     = aws_ecs_service.app.deployment_circuit_breaker[0].enable && aws_ecs_service.app.deployment_circuit_breaker[0].rollback
    error_message = "the deployment circuit breaker rolls back a failed deployment"
  }

  assert {
    condition     = aws_ecs_service.app.deployment_minimum_healthy_percent == 100 && aws_ecs_service.app.deployment_maximum_percent == 200
    error_message = "deployments keep 100 % healthy and may go to 200 %"
  }

  assert {
    condition     = [for s in aws_ecs_service.app.capacity_provider_strategy : s.capacity_provider] == ["FARGATE_SPOT"]
    error_message = "Fargate Spot by default"
  }

  assert {
    condition     = aws_ecs_service.app.network_configuration[0].assign_public_ip == false
    error_message = "no public IP unless asked for"
  }

  assert {
    condition     = one([for s in aws_ecs_cluster.this.setting : s.value if s.name == "containerInsights"]) == "enabled"
    error_message = "Container Insights is on"
  }
}

run "on_demand_base" {
  command = plan

  variables {
    on_demand_base_count = 1
  }

  assert {
    condition     = one([for s in aws_ecs_service.app.capacity_provider_strategy : s.base if s.capacity_provider == "FARGATE"]) == 1
    error_message = "the on-demand base runs on FARGATE"
  }
}

run "rejects_latest_tag" {
  command = plan

  variables {
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/pollstack-test:latest"
  }

  expect_failures = [var.image]
}

run "rejects_secret_like_environment" {
  command = plan

  variables {
    environment = { DATABASE_PASSWORD = "x" }
  }

  expect_failures = [var.environment]
}

# A deployment that trips the given alarms rolls back, beside the circuit
# breaker; the app names its metrics after the stack.
run "deployment_rolls_back_on_alarms" {
  command = apply

  variables {
    deployment_alarm_names = ["pollstack-test-alb-5xx-rate", "pollstack-test-unhealthy-hosts"]
  }

  assert {
    condition = (
      aws_ecs_service.app.alarms[0].enable && aws_ecs_service.app.alarms[0].rollback
      && aws_ecs_service.app.alarms[0].alarm_names == toset(["pollstack-test-alb-5xx-rate", "pollstack-test-unhealthy-hosts"])
    )
    error_message = "the service rolls a deployment back when one of the deployment alarms fires"
  }

  assert {
    condition     = aws_ecs_service.app.deployment_circuit_breaker[0].enable && aws_ecs_service.app.deployment_circuit_breaker[0].rollback
    error_message = "the circuit breaker stays on beside the alarms"
  }

  assert {
    condition     = one([for e in jsondecode(aws_ecs_task_definition.app.container_definitions)[0].environment : e.value if e.name == "POLLSTACK_METRICS_SERVICE"]) == var.name
    error_message = "the app's EMF metrics carry the stack's name as their Service dimension"
  }
}

run "no_deployment_alarms_without_names" {
  command = apply

  assert {
    condition     = length(aws_ecs_service.app.alarms) == 0
    error_message = "without alarm names the service has no alarms block"
  }
}

# Each new migration task definition is run during the apply, before the
# service changes (planned only: a mocked apply would call the AWS CLI).
run "migration_runs_before_the_service" {
  command = plan

  variables {
    run_migrations = true
  }

  assert {
    condition     = length(terraform_data.migrate) == 1
    error_message = "with run_migrations the apply runs the migration task"
  }
}

run "rejects_bad_app_user" {
  command = plan

  variables {
    db_app_user = "app; DROP ROLE x"
  }

  expect_failures = [var.db_app_user]
}
