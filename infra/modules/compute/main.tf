data "aws_region" "current" {}

locals {
  container_name = "app"

  # One variable decides the architecture: the task definition runs on it and
  # the pipeline builds the image for the platform below (guard 2).
  image_platforms = {
    X86_64 = "linux/amd64"
    ARM64  = "linux/arm64"
  }

  fargate_memory = {
    256  = [512, 2048]
    512  = [1024, 4096]
    1024 = [2048, 8192]
    2048 = [4096, 16384]
    4096 = [8192, 30720]
  }

  environment = merge(var.environment, {
    POLLSTACK_ADDR = ":${var.app_port}"
    # The app logs in as its own least-privileged role with IAM database
    # authentication: no password anywhere, a token signed with the task
    # role for each new connection (the role may connect as this user only).
    DATABASE_URL          = "postgres://${var.db_app_user}@${var.db_host}:${var.db_port}/${var.db_name}?sslmode=verify-full"
    POLLSTACK_DB_IAM_AUTH = "true"
    # The app role may not run DDL: the migration task below migrates, once
    # per deploy, and the app only checks the schema's version.
    POLLSTACK_DB_MIGRATE = "false"
    # Tasks sit behind the load balancer, which ends TLS and sets
    # X-Forwarded-Proto: secure cookies and HSTS follow it.
    POLLSTACK_TRUST_PROXY  = "true"
    POLLSTACK_DRAIN_PERIOD = "${var.drain_period}s"
    # The Service dimension of the app's own metrics (EMF lines in the log),
    # which the stack's alarms and dashboard read.
    POLLSTACK_METRICS_SERVICE = var.name
    # The site's origin, as browsers see it.
    POLLSTACK_PUBLIC_URL = var.public_url
    # The ARN names the secret; the app reads the key with the task role.
    POLLSTACK_SERVER_KEY_SECRET_ARN = var.server_key_secret_arn
  })

  # Where each container logs: this module's group, a stream prefix each.
  log_configuration = {
    for prefix in [local.container_name, local.migrate_container_name] : prefix => {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = prefix
        mode                  = "non-blocking"
        max-buffer-size       = "25m"
      }
    }
  }

  linux_parameters = {
    initProcessEnabled = true
    capabilities       = { drop = ["ALL"] }
  }

  container_definitions = [{
    name                   = local.container_name
    image                  = var.image
    essential              = true
    user                   = var.container_user
    readonlyRootFilesystem = true
    # Spot gives two minutes' warning; the app fails readiness, drains, and
    # exits within this time after SIGTERM.
    stopTimeout = 120

    portMappings = [{
      containerPort = var.app_port
      protocol      = "tcp"
    }]

    environment = [for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]

    # The only writable path on a read-only root file system.
    mountPoints = [{
      sourceVolume  = "tmp"
      containerPath = "/tmp"
      readOnly      = false
    }]

    linuxParameters = local.linux_parameters

    # Guard 5: every container logs through awslogs to this module's group.
    logConfiguration = local.log_configuration[local.container_name]
  }]

  # The migration: `pollstack migrate --app-user` as the migrator, the role
  # that owns the database (made once by an administrator: docs/deploy.md),
  # with an IAM token signed by its own task role. No password: the
  # pipeline runs this task, so no override, revision or image of its
  # choosing can hand a password to anyone.
  migrate_container_name = "migrate"
  migrate_container_definitions = [{
    name                   = local.migrate_container_name
    image                  = var.image
    essential              = true
    user                   = var.container_user
    readonlyRootFilesystem = true
    command                = ["migrate"]

    environment = [
      { name = "DATABASE_URL", value = "postgres://${var.db_migrator_user}@${var.db_host}:${var.db_port}/${var.db_name}?sslmode=verify-full" },
      { name = "POLLSTACK_DB_APP_USER", value = var.db_app_user },
      { name = "POLLSTACK_DB_IAM_AUTH", value = "true" },
    ]

    linuxParameters  = local.linux_parameters
    logConfiguration = local.log_configuration[local.migrate_container_name]
  }]
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = var.use_fargate_spot ? "FARGATE_SPOT" : "FARGATE"
    weight            = 1
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${var.name}/app"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

#trivy:ignore:AVD-AWS-0036 POLLSTACK_SERVER_KEY_SECRET_ARN holds a secret's ARN, a name, not a value; the app reads the value with its role
resource "aws_ecs_task_definition" "app" {
  family                   = "${var.name}-app"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  container_definitions    = jsonencode(local.container_definitions)

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "tmp"
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.memory >= local.fargate_memory[var.cpu][0] && var.memory <= local.fargate_memory[var.cpu][1]
      error_message = "memory ${var.memory} MiB is not a Fargate combination with cpu ${var.cpu}."
    }
  }
}

# The one-off migration task: the same image, run once per deploy (below)
# before the service changes, with a task role of its own that may only
# sign the migrator's database tokens.
resource "aws_ecs_task_definition" "migrate" {
  family                   = "${var.name}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.migrate_task_role_arn
  container_definitions    = jsonencode(local.migrate_container_definitions)

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  tags = var.tags
}

# Each apply that registers a new migration task definition (a new image,
# that is each deploy) runs it and waits for it, after the database and the
# task definitions and before the service rolls out: no task of a new
# version starts on an old schema, and a failed migration fails the apply
# with the old tasks still serving. The pipeline's saved plan holds it, so
# it runs as the deploy role (ecs:RunTask on this family only).
resource "terraform_data" "migrate" {
  count = var.run_migrations ? 1 : 0

  triggers_replace = [aws_ecs_task_definition.migrate.arn]

  provisioner "local-exec" {
    command = "${path.module}/run-migration.sh"
    environment = {
      REGION           = data.aws_region.current.name
      CLUSTER          = aws_ecs_cluster.this.name
      TASK_DEFINITION  = aws_ecs_task_definition.migrate.arn
      CONTAINER        = local.migrate_container_name
      SUBNETS          = join(",", var.subnet_ids)
      SECURITY_GROUPS  = join(",", var.security_group_ids)
      ASSIGN_PUBLIC_IP = var.assign_public_ip ? "ENABLED" : "DISABLED"
      LOG_GROUP        = aws_cloudwatch_log_group.app.name
    }
  }

  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

resource "aws_ecs_service" "app" {
  #checkov:skip=CKV_AWS_333:assign_public_ip is a variable (default off); the lean environment runs tasks in public subnets without NAT, their security group admits only the load balancer, see docs/decisions.md
  name                               = "${var.name}-app"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.app.arn
  desired_count                      = var.min_capacity
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true

  dynamic "capacity_provider_strategy" {
    for_each = var.use_fargate_spot && var.on_demand_base_count > 0 ? [1] : []
    content {
      capacity_provider = "FARGATE"
      base              = var.on_demand_base_count
      weight            = 0
    }
  }

  capacity_provider_strategy {
    capacity_provider = var.use_fargate_spot ? "FARGATE_SPOT" : "FARGATE"
    weight            = 1
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # A deployment during which one of these alarms fires (the 5xx rates,
  # unhealthy hosts: module monitoring) rolls back, like one whose tasks
  # fail to start.
  dynamic "alarms" {
    for_each = length(var.deployment_alarm_names) > 0 ? [1] : []
    content {
      alarm_names = var.deployment_alarm_names
      enable      = true
      rollback    = true
    }
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = var.assign_public_ip
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = local.container_name
    container_port   = var.app_port
  }

  tags = var.tags

  # The autoscaler owns the number of tasks once the service exists.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_ecs_cluster_capacity_providers.this, terraform_data.migrate]
}

resource "aws_appautoscaling_target" "app" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.app.name}"
  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.max_capacity >= var.min_capacity
      error_message = "max_capacity must be at least min_capacity."
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  name               = "${var.name}-requests-per-target"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.app.service_namespace
  scalable_dimension = aws_appautoscaling_target.app.scalable_dimension
  resource_id        = aws_appautoscaling_target.app.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = var.request_count_resource_label
    }
  }
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.app.service_namespace
  scalable_dimension = aws_appautoscaling_target.app.scalable_dimension
  resource_id        = aws_appautoscaling_target.app.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
