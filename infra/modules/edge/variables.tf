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
  description = "ID of the VPC of the target group."
  type        = string
  nullable    = false
}

variable "subnet_ids" {
  description = "Public subnets of the load balancer, in at least two availability zones."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets (an ALB needs two availability zones)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the load balancer."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.security_group_ids) > 0
    error_message = "security_group_ids must list at least one security group."
  }
}

variable "app_port" {
  description = "Port the app tasks listen on."
  type        = number
  default     = 8080
  nullable    = false

  validation {
    condition     = var.app_port >= 1024 && var.app_port <= 65535
    error_message = "app_port must be an unprivileged port, 1024-65535."
  }
}

variable "enable_https" {
  description = "Serve HTTPS with certificate_arn and redirect HTTP to it. false serves the site on plain HTTP only (a lean stack without a domain): anything sent, votes and cookies included, crosses the internet unencrypted."
  type        = bool
  default     = true
  nullable    = false
}

variable "certificate_arn" {
  description = "ARN of the ACM certificate of the HTTPS listener; required when enable_https is true."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener: TLS 1.3 with TLS 1.2 as the oldest accepted version."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  nullable    = false

  validation {
    condition     = startswith(var.ssl_policy, "ELBSecurityPolicy-TLS13-")
    error_message = "ssl_policy must be a TLS 1.3 policy (ELBSecurityPolicy-TLS13-*)."
  }
}

variable "desync_mitigation_mode" {
  description = "How the load balancer treats requests that could smuggle a second request (HTTP desync): `defensive` (AWS's recommendation) or `strictest` (also rejects merely unusual requests, which can break odd clients)."
  type        = string
  default     = "defensive"
  nullable    = false

  validation {
    condition     = contains(["defensive", "strictest"], var.desync_mitigation_mode)
    error_message = "desync_mitigation_mode must be defensive or strictest."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer until this is turned off. Costs nothing; turning it off lets `terraform destroy` remove it in one step."
  type        = bool
  default     = true
  nullable    = false
}

variable "idle_timeout" {
  description = "Seconds an idle connection stays open. The app's own idle timeout must be longer; server-sent event streams send a comment more often than this."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.idle_timeout >= 1 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be between 1 and 4000 seconds."
  }
}

variable "deregistration_delay" {
  description = "Seconds the load balancer keeps sending in-flight requests to a task being removed. Must end well inside Fargate Spot's two-minute warning; the app drains for as long after SIGTERM."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 90
    error_message = "deregistration_delay must be between 0 and 90 seconds (well inside the two-minute Spot warning)."
  }
}

variable "health_check_path" {
  description = "Path of the target group's health check; the app answers 200 on /readyz only when it can serve (and fails it first when draining)."
  type        = string
  default     = "/readyz"
  nullable    = false

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "enable_access_logs" {
  description = "Write ALB access logs to a new private, encrypted S3 bucket. Needed to investigate abuse; costs S3 storage (about 0.023 USD per GB-month, expired after access_logs_expiry_days)."
  type        = bool
  default     = true
  nullable    = false
}

variable "access_logs_expiry_days" {
  description = "Days after which access log objects are deleted."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.access_logs_expiry_days >= 1
    error_message = "access_logs_expiry_days must be 1 or more."
  }
}

variable "enable_waf" {
  description = "Put an AWS WAF web ACL in front of the load balancer (AWS managed common and known-bad-input rules, a per-IP rate limit). About 10 USD a month plus 0.60 USD per million requests; without it, application-layer attacks reach the app."
  type        = bool
  default     = true
  nullable    = false
}

variable "waf_rate_limit" {
  description = "Requests per IP address in any 5-minute window above which WAF blocks the address."
  type        = number
  default     = 2000
  nullable    = false

  validation {
    condition     = var.waf_rate_limit >= 100
    error_message = "waf_rate_limit must be at least 100 (the WAF minimum)."
  }
}

variable "waf_log_kms_key_arn" {
  description = "KMS key that encrypts the WAF log group (used with enable_waf)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
  nullable    = false
}
