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
