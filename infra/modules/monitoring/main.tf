data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  alb_dimensions = { LoadBalancer = var.lb_arn_suffix }
  tg_dimensions  = { LoadBalancer = var.lb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  db_dimensions  = { DBInstanceIdentifier = var.db_instance_identifier }
  app_dimensions = { Service = var.name }

  # The app's own metrics arrive as Embedded Metric Format lines in its log
  # (internal/metrics): namespace Pollstack, dimension Service = the stack.
  app_namespace = "Pollstack"

  # Alarms on one metric each. The key is the alarm's name after the
  # stack's, and the heading of its section in docs/runbook.md.
  metric_alarms = merge({
    "target-p99-latency" = {
      summary   = "the app's p99 response time is above ${var.p99_latency_seconds} s"
      namespace = "AWS/ApplicationELB", metric = "TargetResponseTime", dimensions = local.tg_dimensions
      statistic = null, extended_statistic = "p99", period = var.period_seconds
      operator  = "GreaterThanThreshold", threshold = var.p99_latency_seconds
    }
    "unhealthy-hosts" = {
      summary   = "a task fails the load balancer's health check"
      namespace = "AWS/ApplicationELB", metric = "UnHealthyHostCount", dimensions = local.tg_dimensions
      statistic = "Maximum", extended_statistic = null, period = var.period_seconds
      operator  = "GreaterThanThreshold", threshold = 0
    }
    "db-cpu" = {
      summary   = "the database's CPU is above ${var.db_cpu_percent} %"
      namespace = "AWS/RDS", metric = "CPUUtilization", dimensions = local.db_dimensions
      statistic = "Average", extended_statistic = null, period = 300
      operator  = "GreaterThanThreshold", threshold = var.db_cpu_percent
    }
    "db-free-storage" = {
      summary   = "the database has less than ${floor(var.db_free_storage_bytes / 1048576)} MiB of storage left"
      namespace = "AWS/RDS", metric = "FreeStorageSpace", dimensions = local.db_dimensions
      statistic = "Minimum", extended_statistic = null, period = 300
      operator  = "LessThanThreshold", threshold = var.db_free_storage_bytes
    }
    "db-freeable-memory" = {
      summary   = "the database has less than ${floor(var.db_freeable_memory_bytes / 1048576)} MiB of memory free"
      namespace = "AWS/RDS", metric = "FreeableMemory", dimensions = local.db_dimensions
      statistic = "Minimum", extended_statistic = null, period = 300
      operator  = "LessThanThreshold", threshold = var.db_freeable_memory_bytes
    }
    "db-connections" = {
      summary   = "the database has more than ${var.db_max_connections} connections"
      namespace = "AWS/RDS", metric = "DatabaseConnections", dimensions = local.db_dimensions
      statistic = "Maximum", extended_statistic = null, period = var.period_seconds
      operator  = "GreaterThanThreshold", threshold = var.db_max_connections
    }
    "vote-errors" = {
      summary   = "more than ${var.vote_errors} votes failed on our side (5xx) in a period"
      namespace = local.app_namespace, metric = "VoteErrors", dimensions = local.app_dimensions
      statistic = "Sum", extended_statistic = null, period = var.period_seconds
      operator  = "GreaterThanThreshold", threshold = var.vote_errors
    }
    "rate-limited" = {
      summary   = "the app refused more than ${var.rate_limited_requests} requests with 429 in a period"
      namespace = local.app_namespace, metric = "RateLimited", dimensions = local.app_dimensions
      statistic = "Sum", extended_statistic = null, period = var.period_seconds
      operator  = "GreaterThanThreshold", threshold = var.rate_limited_requests
    }
    }, var.web_acl_name == null ? {} : {
    "waf-blocked-requests" = {
      summary   = "the WAF blocked more than ${var.waf_blocked_requests} requests in a period"
      namespace = "AWS/WAFV2", metric = "BlockedRequests", dimensions = { WebACL = var.web_acl_name, Region = local.region, Rule = "ALL" }
      statistic = "Sum", extended_statistic = null, period = var.period_seconds
      operator  = "GreaterThanThreshold", threshold = var.waf_blocked_requests
    }
  })

  # Alarms on an expression of several metrics: a rate, or a difference.
  # `expression` names the queries in `metrics` (id => [namespace, metric,
  # dimensions, statistic]).
  math_alarms = {
    "alb-5xx-rate" = {
      summary    = "more than ${var.error_rate_percent} % of requests get a 5xx from the load balancer itself (no healthy task, a task that closed the connection)"
      expression = "IF(requests >= ${var.min_requests}, 100 * errors / requests, 0)"
      label      = "load balancer 5xx, % of requests"
      threshold  = var.error_rate_percent
      period     = var.period_seconds
      metrics = {
        errors   = ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", local.alb_dimensions, "Sum"]
        requests = ["AWS/ApplicationELB", "RequestCount", local.alb_dimensions, "Sum"]
      }
    }
    "target-5xx-rate" = {
      summary    = "more than ${var.error_rate_percent} % of requests get a 5xx from the app"
      expression = "IF(requests >= ${var.min_requests}, 100 * errors / requests, 0)"
      label      = "app 5xx, % of requests"
      threshold  = var.error_rate_percent
      period     = var.period_seconds
      metrics = {
        errors   = ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", local.tg_dimensions, "Sum"]
        requests = ["AWS/ApplicationELB", "RequestCount", local.tg_dimensions, "Sum"]
      }
    }
    # Growth, not the level: a client filling the database (voter codes,
    # polls) shows days before the free-storage alarm, and while the
    # retention job (--retention) should be keeping the size flat. RATE is
    # per second between hourly minimums; the alarm needs evaluation_periods
    # hours of it in a row, so a vacuum or a busy hour passes.
    "db-storage-growth" = {
      summary    = "the database's used storage grows faster than ${floor(var.db_storage_growth_bytes_per_day / 1048576)} MiB a day"
      expression = "-RATE(free) * 86400"
      label      = "database storage growth, bytes a day"
      threshold  = var.db_storage_growth_bytes_per_day
      period     = 3600
      metrics = {
        free = ["AWS/RDS", "FreeStorageSpace", local.db_dimensions, "Minimum"]
      }
    }
  }

  # A deployment that trips these rolls back (module compute's
  # deployment_alarm_names), beside the circuit breaker, which sees only
  # tasks that fail to start.
  deployment_alarms = ["alb-5xx-rate", "target-5xx-rate", "unhealthy-hosts"]
}

# The topic every alarm, the task-state rule and the budget write to.
resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

resource "aws_sns_topic_policy" "alarms" {
  arn = aws_sns_topic.alarms.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountManagesTheTopic"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${local.account_id}:root" }
        Action    = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish", "sns:DeleteTopic", "sns:AddPermission", "sns:RemovePermission"]
        Resource  = aws_sns_topic.alarms.arn
      },
      {
        Sid       = "AlarmsRulesAndBudgetsOfThisAccountPublish"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"] }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms.arn
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${var.name}: ${each.value.summary}. Runbook: ${var.runbook_url}#${each.key}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended_statistic
  period              = each.value.period
  evaluation_periods  = var.evaluation_periods
  comparison_operator = each.value.operator
  threshold           = each.value.threshold
  # No data is no news: a quiet site, or a metric the app has not yet sent.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]
  ok_actions         = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "math" {
  for_each = local.math_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${var.name}: ${each.value.summary}. Runbook: ${var.runbook_url}#${each.key}"
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "result"
    expression  = each.value.expression
    label       = each.value.label
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics
    content {
      id = metric_query.key
      metric {
        namespace   = metric_query.value[0]
        metric_name = metric_query.value[1]
        dimensions  = metric_query.value[2]
        stat        = metric_query.value[3]
        period      = each.value.period
      }
    }
  }

  tags = var.tags
}

# Fewer tasks than the service wants. Its own resource, not one of the
# math alarms: it reads the service, and the service reads the deployment
# alarms among those.
resource "aws_cloudwatch_metric_alarm" "running_tasks" {
  alarm_name          = "${var.name}-running-tasks"
  alarm_description   = "${var.name}: fewer tasks run than the service wants. Runbook: ${var.runbook_url}#running-tasks"
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "result"
    expression  = "desired - running"
    label       = "tasks missing"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { desired = "DesiredTaskCount", running = "RunningTaskCount" }
    content {
      id = metric_query.key
      metric {
        namespace   = "ECS/ContainerInsights"
        metric_name = metric_query.value
        dimensions  = { ClusterName = var.cluster_name, ServiceName = var.service_name }
        stat        = "Average"
        period      = var.period_seconds
      }
    }
  }

  tags = var.tags
}

# Tasks that stop for a reason worth a look: a Spot interruption, a task
# that failed to start, an essential container that exited, a failed health
# check. The message carries ECS's own stopped reason.
resource "aws_cloudwatch_event_rule" "task_stopped" {
  name        = "${var.name}-task-stopped"
  description = "${var.name}: an app task stopped by Spot, a failure or a health check"
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn = [var.cluster_arn]
      lastStatus = ["STOPPED"]
      "$or" = [
        { stopCode = ["SpotInterruption", "TaskFailedToStart", "EssentialContainerExited"] },
        { stoppedReason = [{ prefix = "Task failed ELB health checks" }, { prefix = "Task failed container health checks" }] },
      ]
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "task_stopped" {
  rule = aws_cloudwatch_event_rule.task_stopped.name
  arn  = aws_sns_topic.alarms.arn

  input_transformer {
    input_paths = {
      task   = "$.detail.taskArn"
      group  = "$.detail.group"
      code   = "$.detail.stopCode"
      reason = "$.detail.stoppedReason"
    }
    input_template = "\"${var.name}: task <task> of <group> stopped (<code>): <reason>. Runbook: ${var.runbook_url}#task-stopped\""
  }
}

resource "aws_budgets_budget" "monthly" {
  count = var.budget_limit_usd == null ? 0 : 1

  # The account named, not left to the provider's own lookup (which a
  # provider configured to skip it cannot do).
  account_id   = local.account_id
  name         = "${var.name}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.budget_limit_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "FORECASTED"
    subscriber_email_addresses = var.budget_emails
    subscriber_sns_topic_arns  = [aws_sns_topic.alarms.arn]
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 80
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = var.budget_emails
    subscriber_sns_topic_arns  = [aws_sns_topic.alarms.arn]
  }

  tags = var.tags
}
