data "aws_availability_zones" "available" {
  count = var.availability_zones == null ? 1 : 0
  state = "available"
}

data "aws_caller_identity" "current" {}

locals {
  azs  = coalesce(var.availability_zones, try(slice(data.aws_availability_zones.available[0].names, 0, 2), []))
  tags = merge(var.tags, { "pollstack:stack" = var.name })

  with_domain = var.domain_name != null
  app_url     = local.with_domain ? "https://${var.domain_name}" : "http://${module.edge.lb_dns_name}"

  # One value feeds the target group's deregistration delay and the app's
  # drain period: the app keeps serving exactly as long as the load balancer
  # may still send it requests.
  drain_seconds = 30
}

resource "terraform_data" "choices" {
  lifecycle {
    precondition {
      condition     = !var.require_https || local.with_domain
      error_message = "require_https is true: give domain_name and hosted_zone_id (HTTPS needs a certificate for a name)."
    }
    precondition {
      condition     = (var.domain_name == null) == (var.hosted_zone_id == null)
      error_message = "domain_name and hosted_zone_id go together."
    }
    precondition {
      condition     = var.tasks_in_public_subnets || var.enable_nat_gateway
      error_message = "tasks in private subnets need enable_nat_gateway to pull images and reach AWS APIs."
    }
  }
}

module "network" {
  source = "../network"

  name                     = var.name
  cidr_block               = var.cidr_block
  availability_zones       = local.azs
  enable_nat_gateway       = var.enable_nat_gateway
  one_nat_gateway_per_az   = var.one_nat_gateway_per_az
  enable_flow_logs         = var.enable_flow_logs
  interface_endpoints      = var.enable_interface_endpoints ? ["ecr.api", "ecr.dkr", "secretsmanager", "logs", "sts"] : []
  kms_key_arn              = module.security.kms_key_arn
  permissions_boundary_arn = module.cicd.service_boundary_arn
  tags                     = local.tags
}

module "security" {
  source = "../security"

  name                     = var.name
  vpc_id                   = module.network.vpc_id
  ecr_repository_arn       = module.registry.repository_arn
  log_group_arn            = module.compute.log_group_arn
  db_resource_id           = module.database.resource_id
  db_app_user              = var.db_app_user
  db_migrator_user         = var.db_migrator_user
  permissions_boundary_arn = module.cicd.permissions_boundary_arn
  tags                     = local.tags
}

module "registry" {
  source = "../registry"

  name        = var.name
  kms_key_arn = module.security.kms_key_arn
  tags        = local.tags
}

module "database" {
  source = "../database"

  name                     = var.name
  subnet_ids               = module.network.private_subnet_ids
  security_group_ids       = [module.security.db_security_group_id]
  kms_key_arn              = module.security.kms_key_arn
  instance_class           = var.db_instance_class
  multi_az                 = var.db_multi_az
  deletion_protection      = var.db_deletion_protection
  backup_retention_days    = var.db_backup_retention_days
  monitoring_interval      = var.db_monitoring_interval
  permissions_boundary_arn = module.cicd.service_boundary_arn
  tags                     = local.tags
}

# Applied by an administrator (like module cicd): the deploy role reads it only.
module "backup" {
  source = "../backup"
  count  = var.enable_backup_vault ? 1 : 0

  name            = var.name
  db_instance_arn = module.database.db_instance_arn
  kms_key_arn     = module.security.kms_key_arn
  tags            = local.tags
}

module "edge" {
  source = "../edge"

  name                 = var.name
  vpc_id               = module.network.vpc_id
  subnet_ids           = module.network.public_subnet_ids
  security_group_ids   = [module.security.alb_security_group_id]
  enable_https         = local.with_domain
  certificate_arn      = local.with_domain ? module.dns[0].certificate_arn : null
  deletion_protection  = var.lb_deletion_protection
  enable_access_logs   = var.enable_access_logs
  enable_waf           = var.enable_waf
  waf_log_kms_key_arn  = module.security.kms_key_arn
  deregistration_delay = local.drain_seconds
  tags                 = local.tags
}

module "dns" {
  source = "../dns"
  count  = local.with_domain ? 1 : 0

  zone_id     = var.hosted_zone_id
  domain_name = var.domain_name
  lb_dns_name = module.edge.lb_dns_name
  lb_zone_id  = module.edge.lb_zone_id
  tags        = local.tags
}

module "compute" {
  source = "../compute"

  name                         = var.name
  image                        = coalesce(var.image, "${module.registry.repository_url}:initial")
  cpu_architecture             = var.cpu_architecture
  cpu                          = var.task_cpu
  memory                       = var.task_memory
  execution_role_arn           = module.security.execution_role_arn
  task_role_arn                = module.security.task_role_arn
  migrate_task_role_arn        = module.security.migrate_task_role_arn
  db_migrator_user             = var.db_migrator_user
  db_app_user                  = var.db_app_user
  server_key_secret_arn        = module.security.server_key_secret_arn
  public_url                   = local.app_url
  db_host                      = module.database.address
  db_port                      = module.database.port
  db_name                      = module.database.db_name
  log_kms_key_arn              = module.security.kms_key_arn
  use_fargate_spot             = var.use_fargate_spot
  on_demand_base_count         = var.on_demand_base_count
  subnet_ids                   = var.tasks_in_public_subnets ? module.network.public_subnet_ids : module.network.private_subnet_ids
  assign_public_ip             = var.tasks_in_public_subnets
  security_group_ids           = [module.security.app_security_group_id]
  target_group_arn             = module.edge.target_group_arn
  request_count_resource_label = module.edge.request_count_resource_label
  min_capacity                 = var.min_capacity
  max_capacity                 = var.max_capacity
  drain_period                 = local.drain_seconds
  deployment_alarm_names       = module.monitoring.deployment_alarm_names

  # The first apply by hand has no image yet (`:initial` does not exist):
  # nothing to migrate; the pipeline's first deploy runs the migration.
  run_migrations = var.run_migrations && var.image != null
  tags           = local.tags
}

module "monitoring" {
  source = "../monitoring"

  name                    = var.name
  kms_key_arn             = module.security.kms_key_arn
  alarm_email             = var.alarm_email
  runbook_url             = coalesce(var.runbook_url, "https://github.com/${var.github_repository}/blob/main/docs/runbook.md")
  lb_arn_suffix           = module.edge.lb_arn_suffix
  target_group_arn_suffix = module.edge.target_group_arn_suffix
  cluster_name            = module.compute.cluster_name
  cluster_arn             = module.compute.cluster_arn
  service_name            = module.compute.service_name
  db_instance_identifier  = module.database.db_instance_identifier
  web_acl_name            = module.edge.web_acl_name
  budget_limit_usd        = var.budget_limit_usd
  budget_emails           = var.budget_emails
  tags                    = local.tags
}

module "cicd" {
  source = "../cicd"

  name                       = var.name
  github_repository          = var.github_repository
  github_owner_id            = var.github_owner_id
  github_repository_id       = var.github_repository_id
  accept_legacy_subject      = var.accept_legacy_subject
  db_app_user                = var.db_app_user
  db_migrator_user           = var.db_migrator_user
  db_secret_arn              = module.database.master_user_secret_arn
  db_resource_id             = module.database.resource_id
  kms_key_arn                = module.security.kms_key_arn
  protect_database           = var.db_deletion_protection
  alarm_emails               = var.alarm_email == null ? [] : [var.alarm_email]
  deploy_environment         = var.deploy_environment
  create_oidc_provider       = var.create_oidc_provider
  existing_oidc_provider_arn = var.existing_oidc_provider_arn
  state_bucket_name          = coalesce(var.state_bucket_name, "pollstack-tfstate-${data.aws_caller_identity.current.account_id}")
  state_key                  = var.state_key
  ecr_repository_arn         = module.registry.repository_arn
  ecs_role_arns              = [module.security.execution_role_arn, module.security.task_role_arn, module.security.migrate_task_role_arn]
  vpc_id                     = module.network.vpc_id
  hosted_zone_id             = var.hosted_zone_id
  tags                       = local.tags
}
