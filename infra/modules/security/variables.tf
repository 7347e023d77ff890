variable "name" {
  description = "Name prefix for every resource of this stack, for example `pollstack-lean`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the security groups belong to."
  type        = string
  nullable    = false
}

variable "app_port" {
  description = "TCP port the application container listens on."
  type        = number
  default     = 8080
  nullable    = false

  validation {
    condition     = var.app_port >= 1024 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be an unprivileged port, 1024-65535 (the container runs as a non-root user)."
  }
}

variable "db_port" {
  description = "TCP port of the PostgreSQL database."
  type        = number
  default     = 5432
  nullable    = false

  validation {
    condition     = var.db_port >= 1 && var.db_port <= 65535 && floor(var.db_port) == var.db_port
    error_message = "db_port must be a TCP port, 1-65535."
  }
}

variable "alb_ingress_cidrs" {
  description = "IPv4 ranges allowed to reach the load balancer on ports 80 and 443. The default is the whole internet, as for any public web site; narrow it for an internal deployment."
  type        = list(string)
  default     = ["0.0.0.0/0"]
  nullable    = false

  validation {
    condition     = length(var.alb_ingress_cidrs) > 0 && alltrue([for c in var.alb_ingress_cidrs : can(cidrhost(c, 0))])
    error_message = "alb_ingress_cidrs must list at least one valid IPv4 CIDR block."
  }
}

variable "kms_deletion_window_days" {
  description = "Days KMS waits before deleting the key once its deletion is scheduled; the window in which a mistaken deletion can be cancelled."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the one ECR repository the execution role may pull from."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/.+$", var.ecr_repository_arn))
    error_message = "ecr_repository_arn must be an ECR repository ARN."
  }
}

variable "log_group_arn" {
  description = "ARN of the one CloudWatch log group the execution role may write container logs to (without the trailing `:*`)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:[^*]+$", var.log_group_arn))
    error_message = "log_group_arn must be a CloudWatch Logs log group ARN without wildcards."
  }
}

variable "db_resource_id" {
  description = "The database instance's resource ID (`db-...`): the task role may connect to it as db_app_user only, the migration task's role as db_migrator_user only."
  type        = string
  nullable    = false
}

variable "db_app_user" {
  description = "The app's database role, which the task role may log in as with IAM database authentication (`rds-db:connect`)."
  type        = string
  default     = "pollstack_app"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_app_user))
    error_message = "db_app_user must be a PostgreSQL role name of lower-case letters, digits and underscores."
  }
}

variable "db_migrator_user" {
  description = "The database role that owns the schema and runs the migrations, which the migration task's role may log in as with IAM database authentication."
  type        = string
  default     = "pollstack_migrator"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_migrator_user))
    error_message = "db_migrator_user must be a PostgreSQL role name of lower-case letters, digits and underscores."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "permissions_boundary_arn" {
  description = "ARN of the IAM policy set as permissions boundary on every role this module creates (the cicd module's workload boundary), or null for none. With a boundary, the deploy role may create and change these roles without being able to escalate its own rights."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}
