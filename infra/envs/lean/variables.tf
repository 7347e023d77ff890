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

variable "state_bucket_name" {
  description = "State bucket made by infra/bootstrap; null means pollstack-tfstate-<account ID>."
  type        = string
  default     = null
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false when another stack in the account already did)."
  type        = bool
  default     = true
  nullable    = false
}

variable "domain_name" {
  description = "The site's name, or null to serve plain HTTP on the load balancer's name (see docs/decisions.md)."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone of domain_name."
  type        = string
  default     = null
}
