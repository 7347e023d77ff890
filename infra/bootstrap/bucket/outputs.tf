output "id" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.bucket
}

output "arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "versioning_id" {
  description = "ID of the versioning configuration (replication must wait for it)."
  value       = aws_s3_bucket_versioning.this.id
}
