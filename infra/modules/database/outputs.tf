output "db_instance_identifier" {
  description = "Identifier of the RDS instance."
  value       = aws_db_instance.this.identifier
}

output "db_instance_arn" {
  description = "ARN of the RDS instance."
  value       = aws_db_instance.this.arn
}

output "address" {
  description = "Host name of the database endpoint."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the database endpoint."
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Name of the application database."
  value       = aws_db_instance.this.db_name
}

output "master_username" {
  description = "Master user name (the password is in the secret, never in Terraform)."
  value       = aws_db_instance.this.username
}

# An ARN names the secret; reading it takes secretsmanager:GetSecretValue and
# kms:Decrypt, which only the ECS roles have. The password is never an output.
output "master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret, managed and rotated by RDS, that holds the master user name and password as JSON (`username`, `password`)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "master_user_secret_kms_key_id" {
  description = "KMS key that encrypts the master user secret."
  value       = aws_db_instance.this.master_user_secret[0].kms_key_id
}

output "secret_kms_key_arn" {
  description = "The KMS key RDS was told to encrypt the master user secret with (master_user_secret_kms_key_id)."
  value       = aws_db_instance.this.master_user_secret_kms_key_id
}

output "log_group_names" {
  description = "The CloudWatch log groups the database exports to."
  value       = [for g in aws_cloudwatch_log_group.exports : g.name]
}

output "resource_id" {
  description = "The instance's resource ID (db-...), the part of an rds-db:connect ARN that names this database."
  value       = aws_db_instance.this.resource_id
}
