variable "name" {
  description = "Name prefix for every resource of this stack, for example `pollstack-lean`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}


variable "subnet_ids" {
  description = "Private subnet IDs for the database subnet group, in at least two availability zones."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets (RDS requires two availability zones in a subnet group)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the database (PostgreSQL from the app only)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.security_group_ids) > 0
    error_message = "security_group_ids must list at least one security group."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the storage, the snapshots, the Performance Insights data and the RDS-managed master password secret."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "engine_version" {
  description = "PostgreSQL version: a major version (`17`) lets RDS pick the newest minor version and apply minor upgrades; the parameter group family follows the major version."
  type        = string
  default     = "17"
  nullable    = false

  validation {
    condition     = can(regex("^(1[4-9])(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be a supported PostgreSQL major version (14 or later), optionally with a minor version, for example 17 or 17.6."
  }
}

variable "instance_class" {
  description = "RDS instance class. db.t3.micro (about 13 USD a month in us-east-1) is burstable and fits a small site; a larger class costs more and holds more connections."
  type        = string
  default     = "db.t3.micro"
  nullable    = false

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like db.<family>.<size>, for example db.t3.micro."
  }
}

variable "allocated_storage_gb" {
  description = "Initial gp3 storage in GB (20 is the gp3 minimum for PostgreSQL)."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 65536
    error_message = "allocated_storage_gb must be between 20 and 65536."
  }
}

variable "max_allocated_storage_gb" {
  description = "Upper limit for storage autoscaling in GB; equal to allocated_storage_gb turns autoscaling off. Storage that grew cannot shrink again."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.max_allocated_storage_gb >= 20 && var.max_allocated_storage_gb <= 65536
    error_message = "max_allocated_storage_gb must be between 20 and 65536."
  }
}

variable "db_name" {
  description = "Name of the application database created in the instance."
  type        = string
  default     = "pollstack"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must start with a letter and hold at most 63 lower-case letters, digits or underscores."
  }
}

variable "master_username" {
  description = "Master user name. Its password is generated, stored and rotated by RDS in Secrets Manager and never passes through Terraform."
  type        = string
  default     = "pollstack"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.master_username)) && !contains(["postgres", "admin", "rdsadmin"], var.master_username)
    error_message = "master_username must start with a letter, hold at most 63 lower-case letters, digits or underscores, and not be a reserved name."
  }
}

variable "multi_az" {
  description = "Run a standby in a second availability zone with automatic failover (about 1-2 minutes). Doubles the instance and storage cost; without it, a zone outage or an instance failure means downtime until RDS replaces the instance."
  type        = bool
  default     = false
  nullable    = false
}

variable "deletion_protection" {
  description = "Refuse to delete the database until this is turned off. Turning it off makes `terraform destroy` (or a mistaken change that replaces the instance) delete the data, keeping only the final snapshot."
  type        = bool
  default     = true
  nullable    = false
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery; at least 7. Backup storage up to the size of the database is free, beyond it 0.095 USD per GB-month."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 7 and 35."
  }
}

variable "slow_query_ms" {
  description = "Statements that run longer than this many milliseconds are logged (log_min_duration_statement) and exported to CloudWatch Logs."
  type        = number
  default     = 500
  nullable    = false

  validation {
    condition     = var.slow_query_ms >= 0 && floor(var.slow_query_ms) == var.slow_query_ms
    error_message = "slow_query_ms must be a whole number of milliseconds, 0 or more."
  }
}

variable "monitoring_interval" {
  description = "Enhanced Monitoring interval in seconds (0 turns it off). OS-level metrics every 60 s cost little (CloudWatch Logs ingestion) and show CPU steal and memory pressure that instance metrics hide."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 0, 1, 5, 10, 15, 30 or 60."
  }
}

variable "performance_insights_enabled" {
  description = "Turn on Performance Insights (7 days of history free, encrypted with kms_key_arn). The micro-class restrictions apply to MySQL and MariaDB, not PostgreSQL."
  type        = bool
  default     = true
  nullable    = false
}

variable "skip_final_snapshot" {
  description = "Delete the database without a final snapshot. Only for throwaway environments: the data is gone with the instance."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "permissions_boundary_arn" {
  description = "ARN of the IAM policy set as permissions boundary on every role this module creates (the cicd module's service boundary: the role is assumed by an AWS service), or null for none. With a boundary, the deploy role may create and change these roles without being able to escalate its own rights."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}

variable "log_retention_days" {
  description = "Days to keep the database's exported logs (postgresql, upgrade) in CloudWatch Logs."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}
