output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.app.name
}

output "task_definition_family" {
  description = "Family of the app's task definition."
  value       = aws_ecs_task_definition.app.family
}

output "task_definition_arn" {
  description = "ARN (with revision) of the app's task definition."
  value       = aws_ecs_task_definition.app.arn
}

output "container_name" {
  description = "Name of the app container."
  value       = local.container_name
}

output "log_group_name" {
  description = "CloudWatch log group of the app's container logs."
  value       = aws_cloudwatch_log_group.app.name
}

output "log_group_arn" {
  description = "ARN of the app's log group (without `:*`)."
  value       = aws_cloudwatch_log_group.app.arn
}

output "cpu_architecture" {
  description = "CPU architecture of the task definition (X86_64 or ARM64)."
  value       = aws_ecs_task_definition.app.runtime_platform[0].cpu_architecture
}

output "image_platform" {
  description = "The container platform the image must be built for (`linux/amd64` or `linux/arm64`), derived from cpu_architecture."
  value       = local.image_platforms[var.cpu_architecture]
}

output "drain_period" {
  description = "The app's drain period after SIGTERM, as its container's POLLSTACK_DRAIN_PERIOD says."
  value       = one([for e in jsondecode(aws_ecs_task_definition.app.container_definitions)[0].environment : e.value if e.name == "POLLSTACK_DRAIN_PERIOD"])
}

output "deployment_alarm_names" {
  description = "The alarms the service rolls a deployment back on, as the service has them (empty: only the circuit breaker)."
  value       = try(sort(tolist(aws_ecs_service.app.alarms[0].alarm_names)), [])
}

output "migrate_task_definition_arn" {
  description = "ARN (with revision) of the one-off migration task's definition (`pollstack migrate --app-user`), which each apply runs before the service changes when run_migrations is on."
  value       = aws_ecs_task_definition.migrate.arn
}
