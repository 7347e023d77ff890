variable "name" {
  description = "Name prefix for every resource of this stack, for example `pollstack-lean`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the images at rest."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "keep_tagged_images" {
  description = "How many tagged images to keep; older ones are expired (rollback reaches back this far)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.keep_tagged_images >= 1 && var.keep_tagged_images <= 1000
    error_message = "keep_tagged_images must be between 1 and 1000."
  }
}

variable "spare_untagged_artifacts" {
  description = "Untagged artifacts kept beyond two signed attestations per kept image (re-signed deploys of the same digest, leftovers of an interrupted push); older ones are expired."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.spare_untagged_artifacts >= 0 && var.spare_untagged_artifacts <= 1000
    error_message = "spare_untagged_artifacts must be between 0 and 1000."
  }
}

variable "force_delete" {
  description = "Let `terraform destroy` delete the repository while it still holds images. Convenient for throwaway stacks; loses every image."
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
