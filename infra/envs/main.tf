# The one root of every environment: the same modules, the choices of the
# environment from its variable file (lean.tfvars, enterprise.tfvars; see
# docs/decisions.md for why one root and not two).
provider "aws" {
  region = var.region

  default_tags {
    tags = local.default_tags
  }
}

# The CPU architecture is declared once, in infra/platform.json: the image
# build reads the same file, so the image always matches the tasks.
locals {
  platform = jsondecode(file("${path.module}/../platform.json"))

  # Every resource that takes tags carries these besides its own.
  default_tags = { Project = "pollstack", Environment = var.environment, ManagedBy = "terraform" }
}

module "stack" {
  source = "../modules/stack"

  name              = "pollstack-${var.environment}"
  state_key         = coalesce(var.state_key, "pollstack/${var.environment}/terraform.tfstate")
  cpu_architecture  = local.platform.cpu_architecture
  image             = var.image
  github_repository = var.github_repository
  state_bucket_name = var.state_bucket_name
  domain_name       = var.domain_name
  hosted_zone_id    = var.hosted_zone_id
  run_migrations    = var.run_migrations

  github_owner_id            = var.github_owner_id
  github_repository_id       = var.github_repository_id
  accept_legacy_subject      = var.accept_legacy_subject
  create_oidc_provider       = var.create_oidc_provider
  existing_oidc_provider_arn = var.existing_oidc_provider_arn

  require_https              = var.require_https
  tasks_in_public_subnets    = var.tasks_in_public_subnets
  enable_nat_gateway         = var.enable_nat_gateway
  one_nat_gateway_per_az     = var.one_nat_gateway_per_az
  enable_flow_logs           = var.enable_flow_logs
  enable_interface_endpoints = var.enable_interface_endpoints
  enable_access_logs         = var.enable_access_logs
  enable_waf                 = var.enable_waf
  db_instance_class          = var.db_instance_class
  db_multi_az                = var.db_multi_az
  db_deletion_protection     = var.db_deletion_protection
  db_backup_retention_days   = var.db_backup_retention_days
  db_monitoring_interval     = var.db_monitoring_interval
  lb_deletion_protection     = var.lb_deletion_protection
  use_fargate_spot           = var.use_fargate_spot
  on_demand_base_count       = var.on_demand_base_count
  min_capacity               = var.min_capacity
  max_capacity               = var.max_capacity

  alarm_email      = var.alarm_email
  budget_limit_usd = var.budget_limit_usd
  budget_emails    = var.budget_emails
}
