mock_provider "aws" {
  source = "../../mocks"
}

variables {
  name                    = "pollstack-test"
  kms_key_arn             = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  runbook_url             = "https://github.com/pollstack/pollstack/blob/main/docs/runbook.md"
  lb_arn_suffix           = "app/pollstack-test/0123456789abcdef"
  target_group_arn_suffix = "targetgroup/pollstack-test/0123456789abcdef"
  cluster_name            = "pollstack-test"
  cluster_arn             = "arn:aws:ecs:us-east-1:123456789012:cluster/pollstack-test"
  service_name            = "pollstack-test-app"
  db_instance_identifier  = "pollstack-test"
}

# Every alarm tells someone: its alarm and OK actions are the topic.
run "every_alarm_has_an_action" {
  command = apply

  assert {
    condition = alltrue([
      for a in concat(values(aws_cloudwatch_metric_alarm.metric), values(aws_cloudwatch_metric_alarm.math), [aws_cloudwatch_metric_alarm.running_tasks]) :
      a.alarm_actions == toset([aws_sns_topic.alarms.arn]) && a.ok_actions == toset([aws_sns_topic.alarms.arn])
    ])
    error_message = "every alarm must notify the topic when it fires and when it clears"
  }

  assert {
    condition = toset(output.alarm_names) == toset([for k in [
      "alb-5xx-rate", "target-5xx-rate", "target-p99-latency", "unhealthy-hosts", "running-tasks",
      "db-cpu", "db-free-storage", "db-storage-growth", "db-freeable-memory", "db-connections", "vote-errors", "rate-limited",
    ] : "pollstack-test-${k}"])
    error_message = "the stack has the alarms the runbook lists (the WAF's only with a WAF)"
  }
}

# Every alarm's description links its own section of docs/runbook.md, and
# that section exists: a heading "### `<alarm>`" (its GitHub anchor is the
# alarm's key). The stopped-task message links its section too.
run "every_runbook_link_points_at_a_section" {
  command = apply

  variables {
    web_acl_name = "pollstack-test"
  }

  assert {
    condition = alltrue([
      for k, a in merge(aws_cloudwatch_metric_alarm.metric, aws_cloudwatch_metric_alarm.math, { "running-tasks" = aws_cloudwatch_metric_alarm.running_tasks }) :
      endswith(a.alarm_description, "Runbook: ${var.runbook_url}#${k}")
    ])
    error_message = "every alarm's description ends with the link to its runbook section"
  }

  assert {
    condition = alltrue([
      for a in concat(values(aws_cloudwatch_metric_alarm.metric), values(aws_cloudwatch_metric_alarm.math), [aws_cloudwatch_metric_alarm.running_tasks], [{ alarm_description = aws_cloudwatch_event_target.task_stopped.input_transformer[0].input_template }]) :
      strcontains(file("${path.module}/../../../docs/runbook.md"), "\n### `${regex("#([a-z0-9-]+)", a.alarm_description)[0]}`\n")
    ])
    error_message = "a runbook link points at a section that docs/runbook.md does not have (want a heading ### `<alarm>`)"
  }
}

run "topic_encrypted_with_the_stacks_key_and_open_to_its_publishers" {
  command = apply

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == var.kms_key_arn
    error_message = "the alarm topic is encrypted with the stack's key"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_sns_topic_policy.alarms.policy).Statement :
      s.Effect == "Allow" && s.Action == "sns:Publish"
      && toset(try(s.Principal.Service, [])) == toset(["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"])
      && try(s.Condition.StringEquals["aws:SourceAccount"], "") == "123456789012"
    ])
    error_message = "alarms, the task-state rule and the budget of this account may publish to the topic"
  }

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0
    error_message = "no e-mail subscription unless alarm_email is given"
  }
}

run "email_subscription_when_given" {
  command = apply

  variables {
    alarm_email = "oncall@example.com"
  }

  assert {
    condition     = aws_sns_topic_subscription.email[0].protocol == "email" && aws_sns_topic_subscription.email[0].endpoint == "oncall@example.com" && aws_sns_topic_subscription.email[0].topic_arn == aws_sns_topic.alarms.arn
    error_message = "alarm_email subscribes that address to the topic"
  }
}

# A deployment rolls back on the 5xx rates and unhealthy hosts (module
# compute takes these names).
run "deployment_alarms_are_the_5xx_and_unhealthy_host_alarms" {
  command = apply

  assert {
    condition     = toset(output.deployment_alarm_names) == toset(["pollstack-test-alb-5xx-rate", "pollstack-test-target-5xx-rate", "pollstack-test-unhealthy-hosts"])
    error_message = "the deployment alarms are the load balancer's and the app's 5xx rates and unhealthy hosts"
  }

  assert {
    condition = alltrue([
      for k in ["alb-5xx-rate", "target-5xx-rate"] :
      strcontains(one([for q in aws_cloudwatch_metric_alarm.math[k].metric_query : q.expression if q.return_data == true]), "100 * errors / requests")
    ])
    error_message = "the 5xx alarms watch the share of requests that failed"
  }
}

run "waf_alarm_only_with_a_waf" {
  command = apply

  variables {
    web_acl_name = "pollstack-test"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.metric["waf-blocked-requests"].namespace == "AWS/WAFV2" && aws_cloudwatch_metric_alarm.metric["waf-blocked-requests"].dimensions.WebACL == "pollstack-test"
    error_message = "with a web ACL, an alarm on its blocked requests"
  }
}

# Stopped tasks worth a look reach the topic with ECS's stopped reason.
run "stopped_tasks_reach_the_topic_with_their_reason" {
  command = apply

  assert {
    condition = (
      jsondecode(aws_cloudwatch_event_rule.task_stopped.event_pattern).source == ["aws.ecs"]
      && jsondecode(aws_cloudwatch_event_rule.task_stopped.event_pattern).detail.lastStatus == ["STOPPED"]
      && jsondecode(aws_cloudwatch_event_rule.task_stopped.event_pattern).detail.clusterArn == [var.cluster_arn]
      && contains(jsondecode(aws_cloudwatch_event_rule.task_stopped.event_pattern).detail["$or"][0].stopCode, "SpotInterruption")
    )
    error_message = "the rule matches this cluster's tasks that stopped, Spot interruptions included"
  }

  assert {
    condition     = aws_cloudwatch_event_target.task_stopped.arn == aws_sns_topic.alarms.arn
    error_message = "the rule writes to the topic"
  }

  assert {
    condition = (
      aws_cloudwatch_event_target.task_stopped.input_transformer[0].input_paths.reason == "$.detail.stoppedReason"
      && strcontains(aws_cloudwatch_event_target.task_stopped.input_transformer[0].input_template, "<reason>")
    )
    error_message = "the message carries the task's stopped reason"
  }
}

run "budget_with_forecast_alerts" {
  command = apply

  variables {
    budget_limit_usd = 75
    budget_emails    = ["finance@example.com"]
  }

  assert {
    condition     = aws_budgets_budget.monthly[0].limit_amount == "75.00" && aws_budgets_budget.monthly[0].time_unit == "MONTHLY" && aws_budgets_budget.monthly[0].budget_type == "COST"
    error_message = "a monthly cost budget of the given amount"
  }

  assert {
    condition = anytrue([
      for n in aws_budgets_budget.monthly[0].notification :
      n.notification_type == "FORECASTED" && n.threshold == 100
      && n.subscriber_email_addresses == toset(["finance@example.com"]) && n.subscriber_sns_topic_arns == toset([aws_sns_topic.alarms.arn])
    ])
    error_message = "a forecast above the budget writes to the given addresses and the topic"
  }
}

run "no_budget_without_an_amount" {
  command = apply

  assert {
    condition     = length(aws_budgets_budget.monthly) == 0 && output.budget_name == null
    error_message = "budget_limit_usd null: no budget"
  }
}

# The dashboard shows what the issue lists.
run "dashboard_shows_the_service" {
  command = apply

  assert {
    condition = toset([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.title]) == toset([
      "Requests per minute", "Response time (s)", "5xx per minute", "Votes per second",
      "Group commit: batch size and commit latency (ms)", "Open live-results streams",
      "Database CPU (%) and connections", "Tasks",
    ])
    error_message = "the dashboard shows requests, latency, 5xx, votes, batches, streams, the database and the tasks"
  }

  assert {
    condition = alltrue([
      for m in ["VotesAcknowledged", "VoteBatchSize", "VoteCommitLatency", "LiveStreams"] :
      strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "[\"Pollstack\",\"${m}\",\"Service\",\"pollstack-test\"")
    ])
    error_message = "the app's own figures come from the Pollstack namespace under this stack's Service"
  }
}

run "rejects_a_runbook_link_with_a_fragment" {
  command = plan

  variables {
    runbook_url = "https://example.com/runbook.md#top"
  }

  expect_failures = [var.runbook_url]
}

# Storage growth (issue 25): the fall of FreeStorageSpace, per day, from
# hourly minimums, against the variable; the level alarm stays beside it.
run "storage_growth_alarm_reads_the_hourly_fall_of_free_storage" {
  command = apply

  variables {
    db_storage_growth_bytes_per_day = 536870912
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.math["db-storage-growth"].threshold == 536870912 && aws_cloudwatch_metric_alarm.math["db-storage-growth"].comparison_operator == "GreaterThanThreshold"
    error_message = "the growth alarm fires above db_storage_growth_bytes_per_day"
  }

  assert {
    condition = anytrue([
      for q in aws_cloudwatch_metric_alarm.math["db-storage-growth"].metric_query :
      q.return_data == true && q.expression == "-RATE(free) * 86400"
      ]) && anytrue([
      for q in aws_cloudwatch_metric_alarm.math["db-storage-growth"].metric_query :
      q.id == "free" && length([for m in q.metric : m if m.metric_name == "FreeStorageSpace" && m.namespace == "AWS/RDS" && m.period == 3600 && m.dimensions["DBInstanceIdentifier"] == var.db_instance_identifier]) == 1
    ])
    error_message = "the growth alarm is the daily fall of the database's hourly minimum FreeStorageSpace"
  }
}
