locals {
  ecs_service = ["ClusterName", var.cluster_name, "ServiceName", var.service_name]
  lb          = ["LoadBalancer", var.lb_arn_suffix]
  tg          = ["LoadBalancer", var.lb_arn_suffix, "TargetGroup", var.target_group_arn_suffix]
  db          = ["DBInstanceIdentifier", var.db_instance_identifier]
  app         = ["Service", var.name]

  # Each widget: a title and its metrics, in CloudWatch's dashboard syntax.
  widgets = [
    { title = "Requests per minute", metrics = [concat(["AWS/ApplicationELB", "RequestCount"], local.lb, [{ stat = "Sum" }])] },
    { title = "Response time (s)", metrics = [
      concat(["AWS/ApplicationELB", "TargetResponseTime"], local.tg, [{ stat = "p50", label = "p50" }]),
      concat(["AWS/ApplicationELB", "TargetResponseTime"], local.tg, [{ stat = "p99", label = "p99" }]),
    ] },
    { title = "5xx per minute", metrics = [
      concat(["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"], local.lb, [{ stat = "Sum", label = "load balancer" }]),
      concat(["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"], local.tg, [{ stat = "Sum", label = "app" }]),
    ] },
    { title = "Votes per second", metrics = [
      [{ expression = "acked / PERIOD(acked)", label = "acknowledged", id = "vps" }],
      concat([local.app_namespace, "VotesAcknowledged"], local.app, [{ stat = "Sum", id = "acked", visible = false }]),
      concat([local.app_namespace, "VoteErrors"], local.app, [{ stat = "Sum", label = "failed (per minute)" }]),
      concat([local.app_namespace, "RateLimited"], local.app, [{ stat = "Sum", label = "rate-limited requests (per minute)" }]),
    ] },
    { title = "Group commit: batch size and commit latency (ms)", metrics = [
      concat([local.app_namespace, "VoteBatchSize"], local.app, [{ stat = "Average", label = "votes per batch" }]),
      concat([local.app_namespace, "VoteCommitLatency"], local.app, [{ stat = "Average", label = "commit ms", yAxis = "right" }]),
    ] },
    { title = "Open live-results streams", metrics = [concat([local.app_namespace, "LiveStreams"], local.app, [{ stat = "Sum" }])] },
    { title = "Database CPU (%) and connections", metrics = [
      concat(["AWS/RDS", "CPUUtilization"], local.db, [{ stat = "Average", label = "CPU %" }]),
      concat(["AWS/RDS", "DatabaseConnections"], local.db, [{ stat = "Maximum", label = "connections", yAxis = "right" }]),
    ] },
    { title = "Tasks", metrics = [
      concat(["ECS/ContainerInsights", "RunningTaskCount"], local.ecs_service, [{ stat = "Average", label = "running" }]),
      concat(["ECS/ContainerInsights", "DesiredTaskCount"], local.ecs_service, [{ stat = "Average", label = "desired" }]),
    ] },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = [for i, w in local.widgets : {
      type   = "metric"
      x      = (i % 2) * 12
      y      = floor(i / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = w.title
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        metrics = w.metrics
      }
    }]
  })
}
