output "app_url" {
  description = "URL of the site: https://<domain_name> with a domain, otherwise http://<load balancer name>."
  value       = local.app_url
}

output "repository_url" {
  description = "ECR repository to push the app image to."
  value       = module.registry.repository_url
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.compute.cluster_name
}

output "service_name" {
  description = "ECS service name."
  value       = module.compute.service_name
}

output "log_group_name" {
  description = "CloudWatch log group of the app."
  value       = module.compute.log_group_name
}

output "cpu_architecture" {
  description = "CPU architecture of the task definition."
  value       = module.compute.cpu_architecture
}

output "image_platform" {
  description = "Platform the image must be built for (linux/amd64 or linux/arm64)."
  value       = module.compute.image_platform
}

output "db_address" {
  description = "Database host name."
  value       = module.database.address
}

output "db_secret_arn" {
  description = "ARN of the RDS-managed database secret (the ARN, never the password)."
  value       = module.database.master_user_secret_arn
}

output "deploy_role_arn" {
  description = "Deploy role for GitHub Actions (AWS_DEPLOY_ROLE_ARN)."
  value       = module.cicd.deploy_role_arn
}

output "plan_role_arn" {
  description = "Read-only plan role for GitHub Actions (AWS_PLAN_ROLE_ARN)."
  value       = module.cicd.plan_role_arn
}

output "kms_key_arn" {
  description = "The project KMS key."
  value       = module.security.kms_key_arn
}

output "drain" {
  description = "The target group's deregistration delay and the app's drain period, which one value sets (docs/reliability.md)."
  value = {
    deregistration_delay = module.edge.deregistration_delay
    app_drain_period     = module.compute.drain_period
  }
}

output "alarm_topic_arn" {
  description = "SNS topic of the stack's alarms, stopped tasks and budget: subscribe a pager or chat integration here."
  value       = module.monitoring.topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the stack."
  value       = module.monitoring.dashboard_name
}

output "deployment_alarm_names" {
  description = "The alarms that roll a deployment back."
  value       = module.monitoring.deployment_alarm_names
}

output "server_key_secret_arn" {
  description = "The app's server key secret (its ARN; the pipeline writes its value, .github/scripts/server-key.sh)."
  value       = module.security.server_key_secret_arn
}
