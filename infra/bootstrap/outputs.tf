output "bucket_name" {
  description = "The state bucket: the repository variable TF_STATE_BUCKET and `-backend-config=bucket=...`."
  value       = module.state_bucket.id
}

output "kms_key_arn" {
  description = "The state key: `-backend-config=kms_key_id=...`, so that state objects are encrypted with it."
  value       = aws_kms_key.this.arn
}

output "replica_bucket_name" {
  description = "The replica bucket, or null without replication."
  value       = one(module.replica_bucket[*].id)
}

output "backend_config" {
  description = "The -backend-config arguments of `terraform init` for an environment (replace <env>)."
  value       = "-backend-config=bucket=${module.state_bucket.id} -backend-config=key=pollstack/<env>/terraform.tfstate -backend-config=region=${var.region} -backend-config=kms_key_id=${aws_kms_key.this.arn}"
}

output "trail_arn" {
  description = "The audit trail (state bucket data events, management events), or null without enable_cloudtrail."
  value       = one(aws_cloudtrail.this[*].arn)
}
