variable "bucket_name" {
  description = "Name of the bucket."
  type        = string
  nullable    = false
}

variable "kms_key_arn" {
  description = "KMS key (in the bucket's region) that encrypts every object."
  type        = string
  nullable    = false
}

variable "noncurrent_version_days" {
  description = "Days to keep superseded object versions."
  type        = number
  nullable    = false
}

variable "tags" {
  description = "Tags of the bucket."
  type        = map(string)
  nullable    = false
}

variable "cloudtrail_trail_arn" {
  description = "ARN of the CloudTrail trail that writes its log files to this bucket (the bucket policy lets CloudTrail, for that trail only, check the bucket and write under AWSLogs/), or null for a bucket CloudTrail does not write to."
  type        = string
  default     = null

  validation {
    condition     = var.cloudtrail_trail_arn == null || can(regex("^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/[A-Za-z0-9._-]+$", var.cloudtrail_trail_arn))
    error_message = "cloudtrail_trail_arn must be a CloudTrail trail ARN."
  }
}
