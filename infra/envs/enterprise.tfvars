# enterprise: resilience and audit on top of the modules' secure defaults
# (docs/decisions.md). HTTPS only: add the site's name and its hosted zone
# here (not secret; the pipeline plans with this file):
#   domain_name    = "polls.example.com"
#   hosted_zone_id = "Z0123456789ABCDEFGHIJ"
# terraform -chdir=infra/envs plan -var-file=enterprise.tfvars
environment = "enterprise"

# HTTPS only; tasks in private subnets behind one NAT gateway per zone.
require_https           = true
tasks_in_public_subnets = false
enable_nat_gateway      = true
one_nat_gateway_per_az  = true
# The tasks' AWS calls (ECR, Secrets Manager, CloudWatch Logs, STS) stay
# inside the VPC through interface endpoints; S3 through the gateway.
enable_interface_endpoints = true
enable_flow_logs           = true
enable_access_logs         = true
enable_waf                 = true

# Multi-AZ database with deletion protection and a month of backups.
db_instance_class        = "db.t3.small"
db_multi_az              = true
db_deletion_protection   = true
db_backup_retention_days = 30
# Daily backups in a locked AWS Backup vault that the deploy token can
# neither change nor empty.
enable_backup_vault    = true
db_monitoring_interval = 60
lb_deletion_protection = true

# Two tasks at least, one of them always on on-demand Fargate.
use_fargate_spot     = true
on_demand_base_count = 1
min_capacity         = 2
max_capacity         = 10

# Alarms go to the stack's SNS topic (output alarm_topic_arn); give
# alarm_email (-var) to subscribe an address. The monthly budget: about 197 USD a month at list price (docs/decisions.md): the forecast passing 300 is worth a look.
budget_limit_usd = 300
