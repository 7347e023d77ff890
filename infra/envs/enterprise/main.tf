# enterprise: resilience and audit on top of the modules' secure defaults
# (docs/decisions.md).
provider "aws" {
  region = var.region

  default_tags {
    tags = { Project = "pollstack", Environment = "enterprise", ManagedBy = "terraform" }
  }
}

# The CPU architecture is declared once, in infra/platform.json: the image
# build reads the same file, so the image always matches the tasks.
locals {
  platform = jsondecode(file("${path.module}/../../platform.json"))
}

module "stack" {
  source = "../../modules/stack"

  name              = "pollstack-enterprise"
  state_key         = "pollstack/enterprise/terraform.tfstate"
  cpu_architecture  = local.platform.cpu_architecture
  image             = var.image
  github_repository = var.github_repository
  state_bucket_name = var.state_bucket_name
  domain_name       = var.domain_name
  hosted_zone_id    = var.hosted_zone_id

  create_oidc_provider = var.create_oidc_provider

  # HTTPS only; tasks in private subnets behind one NAT gateway per zone.
  require_https           = true
  tasks_in_public_subnets = false
  enable_nat_gateway      = true
  one_nat_gateway_per_az  = true
  availability_zones      = null
  enable_flow_logs        = true
  enable_access_logs      = true
  enable_waf              = true
  # Multi-AZ database with deletion protection and a month of backups.
  db_instance_class        = "db.t3.small"
  db_multi_az              = true
  db_deletion_protection   = true
  db_backup_retention_days = 30
  db_monitoring_interval   = 60
  lb_deletion_protection   = true
  # Two tasks at least, one of them always on on-demand Fargate.
  use_fargate_spot     = true
  on_demand_base_count = 1
  min_capacity         = 2
  max_capacity         = 10
}
