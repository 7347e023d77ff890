output "vault_arn" {
  description = "ARN of the locked backup vault."
  value       = aws_backup_vault.this.arn
}

output "plan_id" {
  description = "ID of the daily backup plan."
  value       = aws_backup_plan.this.id
}
