variable "name" {
  description = "Name prefix for every resource of this stack, for example `pollstack-lean`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "availability_zones" {
  description = "Availability zones to use; null takes the region's first two."
  type        = list(string)
  default     = null
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.0.0.0/16"
  nullable    = false
}

variable "cpu_architecture" {
  description = "CPU architecture of the tasks, X86_64 or ARM64; the image must be built for the matching platform (output image_platform)."
  type        = string
  default     = "X86_64"
  nullable    = false

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "image" {
  description = "The app image, pinned by digest (the pipeline passes `<repository_url>@sha256:...`). null uses `<repository_url>:initial`, a placeholder for the very first apply, before any image is pushed."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "The site's name (for example polls.example.com), or null for none: then there is no certificate and the site is plain HTTP on the load balancer's name."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone of domain_name (required with domain_name)."
  type        = string
  default     = null
}

variable "require_https" {
  description = "Refuse a plan without a domain (and so without HTTPS). true for any stack that handles real users' data."
  type        = bool
  default     = true
  nullable    = false
}

variable "tasks_in_public_subnets" {
  description = "Run tasks in the public subnets with public IPs (their security group still admits only the load balancer) instead of private subnets behind NAT. Saves the NAT gateways' cost (about 33 USD a month each); the tasks are directly addressable on the internet, though closed."
  type        = bool
  default     = false
  nullable    = false
}

variable "enable_nat_gateway" {
  description = "See the network module: NAT gateways for private subnets. Needed unless tasks_in_public_subnets."
  type        = bool
  default     = true
  nullable    = false
}

variable "one_nat_gateway_per_az" {
  description = "See the network module: one NAT gateway per zone (true) or one shared (false)."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_flow_logs" {
  description = "See the network module: VPC flow logs."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_interface_endpoints" {
  description = "Interface endpoints for ECR (API and images), Secrets Manager, CloudWatch Logs and STS in the private subnets: the tasks' AWS calls stay inside the VPC. About 73 USD a month for two zones (docs/decisions.md); the S3 gateway endpoint is always on (free)."
  type        = bool
  default     = true
  nullable    = false
}

variable "db_instance_class" {
  description = "See the database module: RDS instance class."
  type        = string
  default     = "db.t3.micro"
  nullable    = false
}

variable "db_multi_az" {
  description = "See the database module: Multi-AZ standby."
  type        = bool
  default     = false
  nullable    = false
}

variable "db_deletion_protection" {
  description = "See the database module: deletion protection."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_backup_vault" {
  description = "Back the database up daily into a locked AWS Backup vault (module backup) that the deploy role cannot change or empty. Costs the snapshots' storage (about 0.095 USD per GB-month); a locked vault outlives a teardown until its recovery points expire."
  type        = bool
  default     = true
  nullable    = false
}

variable "db_backup_retention_days" {
  description = "See the database module: days of backups."
  type        = number
  default     = 7
  nullable    = false
}

variable "db_monitoring_interval" {
  description = "See the database module: Enhanced Monitoring interval (0 = off)."
  type        = number
  default     = 60
  nullable    = false
}

variable "lb_deletion_protection" {
  description = "See the edge module: load balancer deletion protection."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_access_logs" {
  description = "See the edge module: ALB access logs."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_waf" {
  description = "See the edge module: AWS WAF in front of the load balancer."
  type        = bool
  default     = true
  nullable    = false
}

variable "task_cpu" {
  description = "See the compute module: task CPU units."
  type        = number
  default     = 256
  nullable    = false
}

variable "task_memory" {
  description = "See the compute module: task memory in MiB."
  type        = number
  default     = 512
  nullable    = false
}

variable "use_fargate_spot" {
  description = "See the compute module: Fargate Spot."
  type        = bool
  default     = true
  nullable    = false
}

variable "on_demand_base_count" {
  description = "See the compute module: tasks always on on-demand Fargate."
  type        = number
  default     = 0
  nullable    = false
}

variable "min_capacity" {
  description = "See the compute module: fewest tasks."
  type        = number
  default     = 1
  nullable    = false
}

variable "max_capacity" {
  description = "See the compute module: most tasks."
  type        = number
  default     = 4
  nullable    = false
}

variable "github_repository" {
  description = "See the cicd module: the GitHub repository (owner/name) that deploys this stack."
  type        = string
  nullable    = false
}

variable "github_owner_id" {
  description = "See the cicd module: numeric ID of the repository's owner (immutable OIDC subject)."
  type        = string
  nullable    = false
}

variable "github_repository_id" {
  description = "See the cicd module: numeric ID of the repository (immutable OIDC subject, repository_id claim)."
  type        = string
  nullable    = false
}

variable "accept_legacy_subject" {
  description = "See the cicd module: also accept the legacy name-only OIDC subject while a repository migrates."
  type        = bool
  default     = false
  nullable    = false
}

variable "deploy_environment" {
  description = "See the cicd module: the GitHub environment whose jobs may deploy."
  type        = string
  default     = "production"
  nullable    = false
}

variable "create_oidc_provider" {
  description = "See the cicd module: create the account's GitHub OIDC provider."
  type        = bool
  default     = true
  nullable    = false
}

variable "existing_oidc_provider_arn" {
  description = "See the cicd module: the account's existing GitHub OIDC provider."
  type        = string
  default     = null
}

variable "state_bucket_name" {
  description = "Name of the state bucket (infra/bootstrap); null means the bootstrap default, `pollstack-tfstate-<account ID>`."
  type        = string
  default     = null
}

variable "state_key" {
  description = "Key of this stack's state object, as given to `terraform init -backend-config=key=...`."
  type        = string
  nullable    = false
}

variable "alarm_email" {
  description = "See the monitoring module: an e-mail address subscribed to the alarm topic; null subscribes none."
  type        = string
  default     = null
}

variable "runbook_url" {
  description = "See the monitoring module: where people read docs/runbook.md; null: its page in github_repository on GitHub."
  type        = string
  default     = null
}

variable "budget_limit_usd" {
  description = "See the monitoring module: the account's monthly cost budget in USD (forecast alerts); null: no budget."
  type        = number
  default     = null
}

variable "budget_emails" {
  description = "See the monitoring module: addresses AWS Budgets writes to, besides the alarm topic."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "db_app_user" {
  description = "The app's own database role (see the compute module): made once by an administrator (`pollstack migrate --init-roles`), granted its rights by each migration, logged in to with IAM database authentication; of workload roles, the task role may connect as it only."
  type        = string
  default     = "pollstack_app"
  nullable    = false
}

variable "db_migrator_user" {
  description = "The database role that owns the schema and runs the migrations with IAM database authentication, made once by an administrator (`pollstack migrate --init-roles`, docs/deploy.md)."
  type        = string
  default     = "pollstack_migrator"
  nullable    = false
}

variable "run_migrations" {
  description = "Run the migration task during each apply that registers a new one, before the service changes (see the compute module). false only for mocked providers and the emulator, which cannot run a task."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
