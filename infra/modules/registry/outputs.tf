output "repository_name" {
  description = "Name of the ECR repository."
  value       = aws_ecr_repository.this.name
}

output "repository_arn" {
  description = "ARN of the ECR repository."
  value       = aws_ecr_repository.this.arn
}

output "repository_url" {
  description = "URL of the repository (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`), to tag and push images."
  value       = aws_ecr_repository.this.repository_url
}
