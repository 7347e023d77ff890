# The pipeline reads these by name (.github/scripts/terraform.sh).
output "app_url" {
  description = "URL of the site."
  value       = module.stack.app_url
}

output "repository_url" {
  description = "ECR repository to push the image to."
  value       = module.stack.repository_url
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.stack.cluster_name
}

output "service_name" {
  description = "ECS service name."
  value       = module.stack.service_name
}

output "image_platform" {
  description = "Platform the image must be built for."
  value       = module.stack.image_platform
}

output "db_secret_arn" {
  description = "ARN of the RDS-managed database secret (never its value)."
  value       = module.stack.db_secret_arn
}

output "deploy_role_arn" {
  description = "AWS_DEPLOY_ROLE_ARN for GitHub Actions."
  value       = module.stack.deploy_role_arn
}

output "plan_role_arn" {
  description = "AWS_PLAN_ROLE_ARN for GitHub Actions."
  value       = module.stack.plan_role_arn
}

output "alarm_topic_arn" {
  description = "SNS topic of the stack's alarms, stopped tasks and budget: subscribe a pager or chat integration here."
  value       = module.stack.alarm_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the stack."
  value       = module.stack.dashboard_name
}

output "server_key_secret_arn" {
  description = "The app's server key secret; .github/scripts/server-key.sh writes its value."
  value       = module.stack.server_key_secret_arn
}

# e2e/platform reads these to know the tags each create request carries
# (the provider's default tags merged with the resource's own).
output "default_tags" {
  description = "Tags the provider adds to every resource that takes tags."
  value       = local.default_tags
}
