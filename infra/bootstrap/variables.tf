variable "region" {
  description = "Region of the state bucket."
  type        = string
  default     = "us-east-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "bucket_name" {
  description = "Name of the state bucket; null means `pollstack-tfstate-<account ID>` (the name the environments expect by default)."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (lower-case letters, digits, hyphens)."
  }
}

variable "kms_alias" {
  description = "Alias of the state key; the cicd module's roles find the key by it."
  type        = string
  default     = "alias/pollstack-tfstate"
  nullable    = false

  validation {
    condition     = can(regex("^alias/[A-Za-z0-9/_-]+$", var.kms_alias)) && !startswith(var.kms_alias, "alias/aws/")
    error_message = "kms_alias must be alias/<name>, not an AWS-managed alias."
  }
}

variable "noncurrent_version_days" {
  description = "Days to keep superseded state versions (the way back from a bad apply)."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.noncurrent_version_days >= 7
    error_message = "noncurrent_version_days must be at least 7."
  }
}

variable "enable_cloudtrail" {
  description = "Record the account's management events and the state bucket's object reads and writes in a CloudTrail trail (its own bucket, the state key, log file validation). The first trail's management events are free; the state's data events cost 0.10 USD per 100,000, a few cents a month, plus the log files' storage. Off only where the account already has such a trail."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_replication" {
  description = "Replicate the state to a bucket in replica_region, encrypted with a key there. Survives the loss of a region (and costs a second copy plus inter-region transfer, cents for state files)."
  type        = bool
  default     = false
  nullable    = false
}

variable "replica_region" {
  description = "Region of the replica bucket, used with enable_replication."
  type        = string
  default     = "us-west-2"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.replica_region))
    error_message = "replica_region must be an AWS region name such as us-west-2."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = { Project = "pollstack", ManagedBy = "terraform" }
  nullable    = false
}
