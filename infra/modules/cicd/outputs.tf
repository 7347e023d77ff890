output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider the roles trust."
  value       = local.oidc_provider_arn
}

output "deploy_role_arn" {
  description = "ARN of the deploy role (repository variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.deploy.arn
}

output "plan_role_arn" {
  description = "ARN of the read-only plan role (repository variable AWS_PLAN_ROLE_ARN)."
  value       = aws_iam_role.plan.arn
}

output "permissions_boundary_arn" {
  description = "ARN of the boundary every role created by the pipeline must carry."
  value       = aws_iam_policy.boundary.arn
}

output "service_boundary_arn" {
  description = "ARN of the boundary of the roles AWS services assume for the stack (RDS Enhanced Monitoring, VPC flow logs): logs only."
  value       = aws_iam_policy.service_boundary.arn
}

output "deploy_subjects" {
  description = "The OIDC subjects the deploy role trusts: the immutable one, and the legacy one only with accept_legacy_subject."
  value       = local.deploy_subjects
}

output "plan_subjects" {
  description = "The OIDC subjects the plan role trusts."
  value       = local.plan_subjects
}

output "deploy_workflow_ref" {
  description = "The job_workflow_ref both roles require: the deploy workflow on the protected branch."
  value       = local.deploy_workflow_ref
}

output "db_init_policy" {
  description = "The database-init role's policy (JSON), for the stack's wiring tests: it reads the secret RDS made and decrypts it with the key the database module gave RDS."
  value       = aws_iam_role_policy.db_init.policy
}
