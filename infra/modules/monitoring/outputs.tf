output "topic_arn" {
  description = "ARN of the SNS topic the alarms, the task-state rule and the budget write to; subscribe a pager or chat integration here."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Name of every alarm of the stack."
  value       = sort(concat([for a in aws_cloudwatch_metric_alarm.metric : a.alarm_name], [for a in aws_cloudwatch_metric_alarm.math : a.alarm_name], [aws_cloudwatch_metric_alarm.running_tasks.alarm_name]))
}

output "deployment_alarm_names" {
  description = "The alarms a deployment rolls back on (module compute's deployment_alarm_names): the 5xx rates and unhealthy hosts."
  value       = [for k in local.deployment_alarms : merge(aws_cloudwatch_metric_alarm.metric, aws_cloudwatch_metric_alarm.math)[k].alarm_name]
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "task_stopped_rule_name" {
  description = "Name of the EventBridge rule that reports stopped tasks to the topic."
  value       = aws_cloudwatch_event_rule.task_stopped.name
}

output "budget_name" {
  description = "Name of the monthly budget, or null when there is none."
  value       = one(aws_budgets_budget.monthly[*].name)
}

output "runbook_url" {
  description = "The runbook the alarms' descriptions link."
  value       = var.runbook_url
}
