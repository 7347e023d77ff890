# lean: the low-cost choices (docs/decisions.md). Everything else is the
# secure default of the modules.
provider "aws" {
  region = var.region

  default_tags {
    tags = { Project = "pollstack", Environment = "lean", ManagedBy = "terraform" }
  }
}

# The CPU architecture is declared once, in infra/platform.json: the image
# build reads the same file, so the image always matches the tasks.
locals {
  platform = jsondecode(file("${path.module}/../../platform.json"))
}

module "stack" {
  source = "../../modules/stack"

  name              = "pollstack-lean"
  state_key         = "pollstack/lean/terraform.tfstate"
  cpu_architecture  = local.platform.cpu_architecture
  image             = var.image
  github_repository = var.github_repository
  state_bucket_name = var.state_bucket_name
  domain_name       = var.domain_name
  hosted_zone_id    = var.hosted_zone_id

  create_oidc_provider = var.create_oidc_provider

  # No domain needed: plain HTTP on the load balancer's name until one is given.
  require_https = false
  # Tasks in public subnets with public IPs (security group: load balancer
  # only) instead of private subnets behind NAT gateways.
  tasks_in_public_subnets = true
  enable_nat_gateway      = false
  enable_flow_logs        = false
  enable_access_logs      = false
  enable_waf              = false
  # Single-AZ database that can be destroyed with the stack.
  db_multi_az            = false
  db_deletion_protection = false
  db_monitoring_interval = 0
  lb_deletion_protection = false
  # Everything on Fargate Spot, one to three tasks.
  use_fargate_spot     = true
  on_demand_base_count = 0
  min_capacity         = 1
  max_capacity         = 3
}
