# Who and where: the operator's values, the same kind in every environment.

variable "environment" {
  description = "Which environment this is (`lean` or `enterprise`): names the stack (`pollstack-<environment>`) and its state key. Set by the environment's variable file."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["lean", "enterprise"], var.environment)
    error_message = "environment must be lean or enterprise (give -var-file=lean.tfvars or -var-file=enterprise.tfvars)."
  }
}

variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "image" {
  description = "App image pinned by digest (<repository_url>@sha256:...), passed by the pipeline; null deploys a placeholder tag before the first push."
  type        = string
  default     = null
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may plan and deploy."
  type        = string
  default     = "pollstack/pollstack"
  nullable    = false
}

variable "github_owner_id" {
  description = "Numeric ID of the repository's owner (a workflow's github.repository_owner_id; the pipeline passes it): the roles trust GitHub's immutable subject."
  type        = string
  nullable    = false
}

variable "github_repository_id" {
  description = "Numeric ID of the repository (github.repository_id; the pipeline passes it)."
  type        = string
  nullable    = false
}

variable "accept_legacy_subject" {
  description = "Also accept the legacy name-only OIDC subject while the repository moves to immutable subjects."
  type        = bool
  default     = false
  nullable    = false
}

variable "state_bucket_name" {
  description = "State bucket made by infra/bootstrap; null means pollstack-tfstate-<account ID>."
  type        = string
  default     = null
}

variable "state_key" {
  description = "Key of this environment's state object, as given to `terraform init -backend-config=key=...`; null means pollstack/<environment>/terraform.tfstate. The pipeline roles may touch only this object."
  type        = string
  default     = null
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false when another stack in the account already did; then give existing_oidc_provider_arn)."
  type        = bool
  default     = true
  nullable    = false
}

variable "existing_oidc_provider_arn" {
  description = "The account's existing GitHub OIDC provider, when create_oidc_provider is false."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "The site's name, or null to serve plain HTTP on the load balancer's name (only where require_https is false; see docs/decisions.md)."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone of domain_name."
  type        = string
  default     = null
}

variable "run_migrations" {
  description = "See the compute module: each apply that ships a new image runs the migration task before the service changes (needs the AWS CLI and jq). false only for mocked providers and the emulator."
  type        = bool
  default     = true
  nullable    = false
}

# The environment's choices: no defaults, so that each variable file states
# every one of them and a plan without a variable file fails. Each is the
# stack variable of the same name; docs/decisions.md sets them side by side.

variable "require_https" {
  description = "See the stack module: refuse a plan without a domain (and so without HTTPS)."
  type        = bool
  nullable    = false
}

variable "tasks_in_public_subnets" {
  description = "See the stack module: tasks in public subnets with public IPs instead of private subnets behind NAT."
  type        = bool
  nullable    = false
}

variable "enable_nat_gateway" {
  description = "See the stack module: NAT gateways for the private subnets."
  type        = bool
  nullable    = false
}

variable "one_nat_gateway_per_az" {
  description = "See the stack module: one NAT gateway per zone (true) or one shared (false)."
  type        = bool
  nullable    = false
}

variable "enable_flow_logs" {
  description = "See the stack module: VPC flow logs."
  type        = bool
  nullable    = false
}

variable "enable_interface_endpoints" {
  description = "See the stack module: interface endpoints for ECR, Secrets Manager, CloudWatch Logs and STS in the private subnets."
  type        = bool
  nullable    = false
}

variable "enable_access_logs" {
  description = "See the stack module: ALB access logs."
  type        = bool
  nullable    = false
}

variable "enable_waf" {
  description = "See the stack module: AWS WAF in front of the load balancer."
  type        = bool
  nullable    = false
}

variable "db_instance_class" {
  description = "See the stack module: RDS instance class."
  type        = string
  nullable    = false
}

variable "db_multi_az" {
  description = "See the stack module: Multi-AZ standby."
  type        = bool
  nullable    = false
}

variable "db_deletion_protection" {
  description = "See the stack module: database deletion protection."
  type        = bool
  nullable    = false
}

variable "enable_backup_vault" {
  description = "See the stack module: the database's backups in a locked vault, out of the pipeline's reach."
  type        = bool
  nullable    = false
}

variable "db_backup_retention_days" {
  description = "See the stack module: days of database backups."
  type        = number
  nullable    = false
}

variable "db_monitoring_interval" {
  description = "See the stack module: Enhanced Monitoring interval (0 = off)."
  type        = number
  nullable    = false
}

variable "lb_deletion_protection" {
  description = "See the stack module: load balancer deletion protection."
  type        = bool
  nullable    = false
}

variable "use_fargate_spot" {
  description = "See the stack module: Fargate Spot."
  type        = bool
  nullable    = false
}

variable "on_demand_base_count" {
  description = "See the stack module: tasks always on on-demand Fargate."
  type        = number
  nullable    = false
}

variable "min_capacity" {
  description = "See the stack module: fewest tasks."
  type        = number
  nullable    = false
}

variable "max_capacity" {
  description = "See the stack module: most tasks."
  type        = number
  nullable    = false
}

variable "alarm_email" {
  description = "See the monitoring module: an e-mail address subscribed to the alarm topic (AWS asks it to confirm); null subscribes none."
  type        = string
  default     = null
}

variable "budget_limit_usd" {
  description = "See the monitoring module: the account's monthly cost budget in USD; AWS Budgets warns when the month's forecast passes it. Each variable file sets one; null (-var budget_limit_usd=null) makes none."
  type        = number
}

variable "budget_emails" {
  description = "See the monitoring module: addresses AWS Budgets writes to, besides the alarm topic."
  type        = list(string)
  default     = []
  nullable    = false
}
