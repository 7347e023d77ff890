output "kms_key_arn" {
  description = "ARN of the project KMS key (database storage and secret, registry, log groups)."
  value       = aws_kms_key.this.arn
}

output "kms_key_id" {
  description = "ID of the project KMS key."
  value       = aws_kms_key.this.key_id
}

output "kms_alias_name" {
  description = "Alias of the project KMS key."
  value       = aws_kms_alias.this.name
}

output "alb_security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.alb.id
}

output "app_security_group_id" {
  description = "Security group of the app tasks."
  value       = aws_security_group.app.id
}

output "db_security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.db.id
}

output "execution_role_arn" {
  description = "ARN of the ECS task execution role (image pull, logs)."
  value       = aws_iam_role.execution.arn
}

output "execution_role_name" {
  description = "Name of the ECS task execution role."
  value       = aws_iam_role.execution.name
}

output "task_role_arn" {
  description = "ARN of the ECS task role, assumed by the running app."
  value       = aws_iam_role.task.arn
}

output "task_role_name" {
  description = "Name of the ECS task role."
  value       = aws_iam_role.task.name
}

output "execution_role_policy" {
  description = "The execution role's inline policy document (JSON), for tests and reviews."
  value       = aws_iam_role_policy.execution.policy
}

output "task_role_policy" {
  description = "The task role's inline policy document (JSON), for tests and reviews."
  value       = aws_iam_role_policy.task.policy
}

output "server_key_secret_arn" {
  description = "ARN of the secret that holds the app's server key (its value is written by the pipeline, never by Terraform)."
  value       = aws_secretsmanager_secret.server_key.arn
}

output "migrate_task_role_arn" {
  description = "ARN of the migration task's role (IAM database authentication as the migrator)."
  value       = aws_iam_role.migrate.arn
}
