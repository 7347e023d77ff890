# lean: the low-cost choices (docs/decisions.md). Everything not named here
# is the secure default of the modules.
# terraform -chdir=infra/envs plan -var-file=lean.tfvars
environment = "lean"

# No domain needed: plain HTTP on the load balancer's name until one is given.
require_https = false
# Tasks in public subnets with public IPs (security group: load balancer
# only) instead of private subnets behind NAT gateways.
tasks_in_public_subnets = true
enable_nat_gateway      = false
one_nat_gateway_per_az  = false
# Tasks in public subnets reach AWS directly: no interface endpoints (the
# S3 gateway endpoint, free, is always there).
enable_interface_endpoints = false
enable_flow_logs           = false
enable_access_logs         = false
enable_waf                 = false

# Single-AZ database that can be destroyed with the stack.
db_instance_class        = "db.t3.micro"
db_multi_az              = false
db_deletion_protection   = false
db_backup_retention_days = 7
enable_backup_vault      = false
db_monitoring_interval   = 0
lb_deletion_protection   = false

# Everything on Fargate Spot, one to three tasks.
use_fargate_spot     = true
on_demand_base_count = 0
min_capacity         = 1
max_capacity         = 3

# Alarms go to the stack's SNS topic (output alarm_topic_arn); give
# alarm_email (-var) to subscribe an address. The monthly budget: about 63 USD a month at list price (docs/decisions.md): the forecast passing 100 is worth a look.
budget_limit_usd = 100
