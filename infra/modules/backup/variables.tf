variable "name" {
  description = "Name prefix for every resource of this stack, for example `pollstack-enterprise`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "db_instance_arn" {
  description = "ARN of the RDS instance to back up."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:rds:[a-z0-9-]+:[0-9]{12}:db:[a-z][a-z0-9-]*$", var.db_instance_arn))
    error_message = "db_instance_arn must be an RDS instance ARN (arn:...:rds:<region>:<account>:db:<identifier>)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the vault's recovery points."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "retention_days" {
  description = "Days each daily recovery point is kept, and the lock's minimum retention: no one deletes a recovery point younger than this. Backup storage costs about 0.095 USD per GB-month for RDS snapshots."
  type        = number
  default     = 35
  nullable    = false

  validation {
    condition     = var.retention_days >= 7 && var.retention_days <= 3650 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number of days between 7 and 3650."
  }
}

variable "max_retention_days" {
  description = "The lock's maximum retention: a backup rule that keeps recovery points longer is refused."
  type        = number
  default     = 400
  nullable    = false

  validation {
    condition     = var.max_retention_days >= 7 && var.max_retention_days <= 36500 && floor(var.max_retention_days) == var.max_retention_days
    error_message = "max_retention_days must be a whole number of days between 7 and 36500."
  }
}

variable "changeable_for_days" {
  description = "Days after the lock is set during which an administrator may still change or remove it (the lock's grace time, at least 3); after that the lock is in compliance mode and immutable."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.changeable_for_days >= 3 && var.changeable_for_days <= 36500 && floor(var.changeable_for_days) == var.changeable_for_days
    error_message = "changeable_for_days must be a whole number of days, at least 3 (AWS Backup's minimum)."
  }
}

variable "schedule" {
  description = "When the daily backup starts, as an AWS cron expression in UTC (after the database's own backup window)."
  type        = string
  default     = "cron(0 5 * * ? *)"
  nullable    = false

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.schedule))
    error_message = "schedule must be an AWS cron expression, cron(...)."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module (and to the recovery points)."
  type        = map(string)
  default     = {}
  nullable    = false
}
