variable "name" {
  description = "Name prefix for every resource of this stack, for example `pollstack-lean`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC, /16 to /24. Public subnets take the first half of the range split in 16, private subnets the second half."
  type        = string
  default     = "10.0.0.0/16"
  nullable    = false

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 24
    error_message = "cidr_block must be a valid IPv4 CIDR block between /16 and /24."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread the subnets over, one public and one private subnet in each; at least two (the load balancer and a Multi-AZ database need two)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 8 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list 2 to 8 distinct zones."
  }
}

variable "enable_nat_gateway" {
  description = "Create NAT gateways so that private subnets reach the internet (container images, AWS APIs). Costs about 33 USD a month per gateway plus 0.045 USD per GB; without it, workloads that need egress must run in public subnets."
  type        = bool
  default     = false
  nullable    = false
}

variable "one_nat_gateway_per_az" {
  description = "With enable_nat_gateway: one NAT gateway per availability zone (true, survives the loss of a zone) or a single shared one (false, about a third of the cost for three zones, but one zone's outage cuts egress everywhere)."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_flow_logs" {
  description = "Record VPC flow logs (all traffic) in a CloudWatch log group. Needed for incident response; costs 0.50 USD per GB ingested. Turning it off saves that cost and loses the network audit trail."
  type        = bool
  default     = true
  nullable    = false
}

variable "flow_logs_retention_days" {
  description = "Days to keep VPC flow logs."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow log group. Required when enable_flow_logs is true; the key policy must let CloudWatch Logs use it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
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

variable "enable_s3_gateway_endpoint" {
  description = "Route S3 (and so ECR's image layers) through a gateway endpoint. Free; keeps that traffic off NAT and the internet."
  type        = bool
  default     = true
  nullable    = false
}

variable "interface_endpoints" {
  description = "AWS services reached from the private subnets through interface endpoints (for example ecr.api, ecr.dkr, secretsmanager, logs, sts). Each costs about 7.30 USD a month per zone plus 0.01 USD per GB, and keeps that traffic off NAT; empty: none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.interface_endpoints : can(regex("^[a-z0-9.-]+$", e))])
    error_message = "interface_endpoints must list service names such as ecr.api or secretsmanager."
  }
}
