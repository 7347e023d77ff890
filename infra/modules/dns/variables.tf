variable "zone_id" {
  description = "ID of the existing Route 53 public hosted zone that holds domain_name."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^Z[A-Z0-9]{1,31}$", var.zone_id))
    error_message = "zone_id must be a Route 53 hosted zone ID (Z...)."
  }
}

variable "domain_name" {
  description = "Fully qualified name of the site, for example `polls.example.com`; the certificate covers it and an alias record points it at the load balancer."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lower-case fully qualified domain name without a trailing dot."
  }
}

variable "lb_dns_name" {
  description = "DNS name of the load balancer the alias record points at."
  type        = string
  nullable    = false
}

variable "lb_zone_id" {
  description = "Hosted zone ID of the load balancer (for the alias record)."
  type        = string
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
  nullable    = false
}
