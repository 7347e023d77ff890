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

output "deploy_subject" {
  description = "The only OIDC subject the deploy role trusts."
  value       = local.deploy_subject
}

output "plan_subject" {
  description = "The only OIDC subject the plan role trusts."
  value       = local.plan_subject
}
