variable "name" {
  description = "Name of the stack, for example `pollstack-lean`: the prefix of every resource and the `Service` dimension of the app's own metrics (its POLLSTACK_METRICS_SERVICE)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "kms_key_arn" {
  description = "The stack's KMS key, which encrypts the alarm topic. Its key policy must let cloudwatch.amazonaws.com, events.amazonaws.com and budgets.amazonaws.com use it (module security does)."
  type        = string
  nullable    = false
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (AWS asks it to confirm once); null: no subscription, subscribe a pager or chat integration to the `topic_arn` output instead."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address or null."
  }
}

variable "runbook_url" {
  description = "Address of docs/runbook.md as people read it (for example its page on GitHub); every alarm's description links its section there."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^https://", var.runbook_url)) && !strcontains(var.runbook_url, "#")
    error_message = "runbook_url must be an https:// address without a #fragment."
  }
}

variable "lb_arn_suffix" {
  description = "ARN suffix of the load balancer (`app/NAME/ID`), the LoadBalancer dimension."
  type        = string
  nullable    = false
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the app's target group (`targetgroup/NAME/ID`), the TargetGroup dimension."
  type        = string
  nullable    = false
}

variable "cluster_name" {
  description = "Name of the ECS cluster."
  type        = string
  nullable    = false
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster, whose stopped tasks the task-state rule reports."
  type        = string
  nullable    = false
}

variable "service_name" {
  description = "Name of the ECS service."
  type        = string
  nullable    = false
}

variable "db_instance_identifier" {
  description = "Identifier of the RDS instance."
  type        = string
  nullable    = false
}

variable "web_acl_name" {
  description = "Name of the WAF web ACL (enterprise), for the blocked-requests alarm; null when there is no WAF."
  type        = string
  default     = null
}

variable "period_seconds" {
  description = "Period of the alarms' metrics; each alarm fires after evaluation_periods of them in a row."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = contains([60, 300], var.period_seconds)
    error_message = "period_seconds must be 60 or 300."
  }
}

variable "evaluation_periods" {
  description = "Periods in a row an alarm's condition must hold before it fires (the deployment alarms too: a deployment rolls back within about this many periods of going bad)."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.evaluation_periods >= 1 && var.evaluation_periods <= 10
    error_message = "evaluation_periods must be between 1 and 10."
  }
}

variable "error_rate_percent" {
  description = "Percentage of requests answered with 5xx (by the load balancer, or by the app) above which the 5xx alarms fire."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.error_rate_percent > 0 && var.error_rate_percent <= 100
    error_message = "error_rate_percent must be above 0 and at most 100."
  }
}

variable "min_requests" {
  description = "Fewest requests in a period for the 5xx rate to count: one failed request out of three is not an outage."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.min_requests >= 1
    error_message = "min_requests must be at least 1."
  }
}

variable "p99_latency_seconds" {
  description = "The app's p99 response time (TargetResponseTime) above which the latency alarm fires."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.p99_latency_seconds > 0
    error_message = "p99_latency_seconds must be positive."
  }
}

variable "db_cpu_percent" {
  description = "Database CPU utilisation above which its alarm fires (three 5-minute periods)."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.db_cpu_percent > 0 && var.db_cpu_percent <= 100
    error_message = "db_cpu_percent must be above 0 and at most 100."
  }
}

variable "db_free_storage_bytes" {
  description = "Free database storage below which its alarm fires (default 2 GiB of the 20 GiB gp3 volume)."
  type        = number
  default     = 2147483648
  nullable    = false

  validation {
    condition     = var.db_free_storage_bytes > 0
    error_message = "db_free_storage_bytes must be positive."
  }
}

variable "db_storage_growth_bytes_per_day" {
  description = "Growth of the database's used storage (the fall of FreeStorageSpace), in bytes a day, above which its alarm fires once it lasts evaluation_periods hours. The default, 1 GiB a day, fills the 20 GiB volume in about two weeks; the issue-25 attack grew it 40 MB a minute."
  type        = number
  default     = 1073741824
  nullable    = false

  validation {
    condition     = var.db_storage_growth_bytes_per_day > 0
    error_message = "db_storage_growth_bytes_per_day must be positive."
  }
}

variable "db_freeable_memory_bytes" {
  description = "Freeable database memory below which its alarm fires (default 64 MiB, for a 1 GiB db.t3.micro)."
  type        = number
  default     = 67108864
  nullable    = false

  validation {
    condition     = var.db_freeable_memory_bytes > 0
    error_message = "db_freeable_memory_bytes must be positive."
  }
}

variable "db_max_connections" {
  description = "Database connections above which its alarm fires: about 80 % of the instance's max_connections (db.t3.micro: about 80; each task holds up to its pool size)."
  type        = number
  default     = 64
  nullable    = false

  validation {
    condition     = var.db_max_connections >= 1
    error_message = "db_max_connections must be at least 1."
  }
}

variable "waf_blocked_requests" {
  description = "Requests the WAF blocks in a period above which its alarm fires: a flood or an attack under way."
  type        = number
  default     = 500
  nullable    = false

  validation {
    condition     = var.waf_blocked_requests >= 1
    error_message = "waf_blocked_requests must be at least 1."
  }
}

variable "vote_errors" {
  description = "Votes that failed on the server's side (5xx; the app's VoteErrors metric) in a period above which its alarm fires."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.vote_errors >= 0
    error_message = "vote_errors must be 0 or more."
  }
}

variable "rate_limited_requests" {
  description = "Requests the app refused with 429 (its RateLimited metric) in a period above which its alarm fires."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.rate_limited_requests >= 1
    error_message = "rate_limited_requests must be at least 1."
  }
}

variable "budget_limit_usd" {
  description = "Monthly cost budget of the account in USD; AWS Budgets warns when the month's forecast passes it, and when actual costs pass 80 % of it. null: no budget."
  type        = number
  default     = null

  validation {
    condition     = var.budget_limit_usd == null || try(var.budget_limit_usd > 0, false)
    error_message = "budget_limit_usd must be positive or null."
  }
}

variable "budget_emails" {
  description = "E-mail addresses AWS Budgets writes to (besides the alarm topic). At most 10."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.budget_emails) <= 10 && alltrue([for e in var.budget_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "budget_emails must be at most 10 e-mail addresses."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
  nullable    = false
}
