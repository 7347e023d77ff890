variable "name" {
  description = "Name prefix for every resource of this stack, for example `pollstack-lean`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "image" {
  description = "Container image of the app, pinned by digest (`repo@sha256:...`) or by an immutable tag (`repo:git-sha`)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(@sha256:[a-f0-9]{64}|:[A-Za-z0-9_.-]{1,128})$", var.image)) && !endswith(var.image, ":latest")
    error_message = "image must be a registry/repository reference pinned by digest or by a tag other than latest."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture of the task (X86_64 or ARM64). It must match the platform the image is built for; the image_platform output gives the matching `linux/amd64` or `linux/arm64`."
  type        = string
  default     = "X86_64"
  nullable    = false

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "cpu" {
  description = "Task CPU units (256 = a quarter vCPU)."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.cpu)
    error_message = "cpu must be one of 256, 512, 1024, 2048 or 4096."
  }
}

variable "memory" {
  description = "Task memory in MiB; must be a Fargate combination with cpu (256: 512-2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720)."
  type        = number
  default     = 512
  nullable    = false

  validation {
    condition     = var.memory >= 512 && var.memory <= 30720 && var.memory % 512 == 0
    error_message = "memory must be a multiple of 512 MiB between 512 and 30720."
  }
}

variable "app_port" {
  description = "TCP port the app listens on (POLLSTACK_ADDR)."
  type        = number
  default     = 8080
  nullable    = false

  validation {
    condition     = var.app_port >= 1024 && var.app_port <= 65535
    error_message = "app_port must be an unprivileged port, 1024-65535."
  }
}

variable "container_user" {
  description = "User (uid:gid) the container runs as; never root."
  type        = string
  default     = "65532:65532"
  nullable    = false

  validation {
    condition     = can(regex("^[1-9][0-9]*(:[0-9]+)?$", var.container_user))
    error_message = "container_user must be a non-zero numeric uid, optionally with :gid."
  }
}

variable "execution_role_arn" {
  description = "ARN of the ECS task execution role (image pull, logs)."
  type        = string
  nullable    = false
}

variable "task_role_arn" {
  description = "ARN of the ECS task role the app runs with."
  type        = string
  nullable    = false
}

variable "migrate_task_role_arn" {
  description = "ARN of the migration task's role, which may only log in to the database as db_migrator_user (module security)."
  type        = string
  nullable    = false
}

variable "db_migrator_user" {
  description = "The database role that owns the schema, as whom the migration task migrates and sets up the app's role with IAM database authentication. An administrator makes it once (`pollstack migrate --init-roles`)."
  type        = string
  default     = "pollstack_migrator"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_migrator_user))
    error_message = "db_migrator_user must be a PostgreSQL role name of lower-case letters, digits and underscores."
  }
}

variable "db_app_user" {
  description = "The app's own database role, which the migration task grants only reading and writing the app's tables to; the app logs in as it with IAM database authentication (the task role needs `rds-db:connect` on it: module security)."
  type        = string
  default     = "pollstack_app"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_app_user))
    error_message = "db_app_user must be a PostgreSQL role name of lower-case letters, digits and underscores."
  }
}

variable "run_migrations" {
  description = "Run the migration task during each apply that registers a new one (each new image), before the service changes; needs the AWS CLI and jq where Terraform runs. false only where no task can run (mocked providers, the emulator): the app then refuses to start until the schema is at its version."
  type        = bool
  default     = true
  nullable    = false
}

variable "public_url" {
  description = "The site's origin as browsers see it (https://<domain>, or http://<load balancer name> without a domain): POLLSTACK_PUBLIC_URL."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^https?://[a-z0-9.-]+$", var.public_url))
    error_message = "public_url must be an origin: http:// or https:// and a host name, without a path."
  }
}

variable "server_key_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the app's server key, read by the task role: POLLSTACK_SERVER_KEY_SECRET_ARN."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^*]+$", var.server_key_secret_arn))
    error_message = "server_key_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "db_host" {
  description = "Database host name (in DATABASE_URL)."
  type        = string
  nullable    = false
}

variable "db_port" {
  description = "Database port (in DATABASE_URL)."
  type        = number
  default     = 5432
  nullable    = false
}

variable "db_name" {
  description = "Database name (in DATABASE_URL)."
  type        = string
  nullable    = false
}

variable "drain_period" {
  description = "Seconds the app keeps serving after SIGTERM with /readyz failing (POLLSTACK_DRAIN_PERIOD). Give it the target group's deregistration delay: shorter and the load balancer still sends requests to a task that stopped serving; drain plus the app's 20 s shutdown must fit the 120 s stop timeout."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.drain_period >= 0 && var.drain_period <= 90
    error_message = "drain_period must be between 0 and 90 seconds, so that drain and shutdown fit the 120 s stop timeout."
  }
}

variable "environment" {
  description = "Extra plain environment variables for the app. Never secrets: those come from the secret ARN."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.environment) : can(regex("^[A-Z][A-Z0-9_]*$", k)) && !can(regex("(PASSWORD|SECRET_JSON|TOKEN|PRIVATE_KEY)", k))])
    error_message = "environment keys must be upper-case names and must not look like secrets (PASSWORD, SECRET_JSON, TOKEN, PRIVATE_KEY)."
  }
}

variable "log_retention_days" {
  description = "Days to keep the app's logs in CloudWatch Logs."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the app's log group; null uses CloudWatch Logs' own encryption (no key cost, but no control over who can decrypt). Required input so that the choice is explicit."
  type        = string
}

variable "container_insights" {
  description = "Container Insights on the cluster: `enabled` (per-task metrics, about 0.30 USD per metric-month), `enhanced` (per-container detail, more metrics and cost) or `disabled` (free, only service-level metrics)."
  type        = string
  default     = "enabled"
  nullable    = false

  validation {
    condition     = contains(["enabled", "enhanced", "disabled"], var.container_insights)
    error_message = "container_insights must be enabled, enhanced or disabled."
  }
}

variable "use_fargate_spot" {
  description = "Run tasks on Fargate Spot (about 70 % cheaper; AWS may stop a task with a two-minute warning, which the app survives by draining in stop_timeout). false runs everything on on-demand Fargate."
  type        = bool
  default     = true
  nullable    = false
}

variable "on_demand_base_count" {
  description = "With use_fargate_spot: this many tasks always run on on-demand Fargate, so that a Spot capacity shortage never stops the service entirely. Each costs about 3.3 times a Spot task."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.on_demand_base_count >= 0 && floor(var.on_demand_base_count) == var.on_demand_base_count
    error_message = "on_demand_base_count must be a whole number, 0 or more."
  }
}

variable "subnet_ids" {
  description = "Subnets the tasks run in: private subnets behind NAT, or public subnets with assign_public_ip."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must list at least one subnet."
  }
}

variable "security_group_ids" {
  description = "Security groups of the tasks (ingress from the load balancer only)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.security_group_ids) > 0
    error_message = "security_group_ids must list at least one security group."
  }
}

variable "assign_public_ip" {
  description = "Give each task a public IP address. Needed in public subnets without NAT (to pull the image and reach AWS APIs); saves the NAT gateway's cost, while the security group still admits only the load balancer."
  type        = bool
  default     = false
  nullable    = false
}

variable "target_group_arn" {
  description = "ARN of the load balancer target group the service registers with."
  type        = string
  nullable    = false
}

variable "request_count_resource_label" {
  description = "`<load balancer ARN suffix>/<target group ARN suffix>`, for request-count-per-target autoscaling."
  type        = string
  nullable    = false
}

variable "health_check_grace_period_seconds" {
  description = "Seconds after a task starts during which failing load balancer health checks are ignored (migrations run at start)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 600
    error_message = "health_check_grace_period_seconds must be between 0 and 600."
  }
}

variable "min_capacity" {
  description = "Fewest tasks the autoscaler keeps running; 2 or more keeps the site up while a task is replaced or a Spot task is reclaimed."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.min_capacity >= 1 && floor(var.min_capacity) == var.min_capacity
    error_message = "min_capacity must be a whole number, 1 or more."
  }
}

variable "max_capacity" {
  description = "Most tasks the autoscaler may run; the ceiling on compute cost."
  type        = number
  default     = 4
  nullable    = false

  validation {
    condition     = var.max_capacity >= 1 && floor(var.max_capacity) == var.max_capacity
    error_message = "max_capacity must be a whole number, 1 or more."
  }
}

variable "requests_per_target" {
  description = "Target for ALB requests per task per minute; above it the service scales out."
  type        = number
  default     = 1000
  nullable    = false

  validation {
    condition     = var.requests_per_target > 0
    error_message = "requests_per_target must be positive."
  }
}

variable "cpu_target_percent" {
  description = "Target average CPU utilisation of the service; above it the service scales out."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be between 10 and 90."
  }
}

variable "deployment_alarm_names" {
  description = "CloudWatch alarms that roll a deployment back when they fire during it (module monitoring's deployment_alarm_names); empty: only the circuit breaker."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
  nullable    = false
}
