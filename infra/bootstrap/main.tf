provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}

# Used only with enable_replication.
provider "aws" {
  alias  = "replica"
  region = var.replica_region

  default_tags {
    tags = var.tags
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account     = data.aws_caller_identity.current.account_id
  bucket_name = coalesce(var.bucket_name, "pollstack-tfstate-${local.account}")

  trail_name = "pollstack-audit"
  trail_arn  = "arn:${data.aws_partition.current.partition}:cloudtrail:${var.region}:${local.account}:trail/${local.trail_name}"

  # Administered through IAM in this account; besides, CloudTrail encrypts
  # the audit trail's log files with it (that trail only).
  key_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([{
      Sid       = "AccountAdministersKeyThroughIAM"
      Effect    = "Allow"
      Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${local.account}:root" }
      Action    = "kms:*"
      Resource  = "*"
      }], var.enable_cloudtrail ? [{
      Sid       = "CloudTrailEncryptsTheAuditTrail"
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = ["kms:GenerateDataKey*", "kms:DescribeKey"]
      Resource  = "*"
      Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } }
    }] : [])
  })
}

resource "aws_kms_key" "this" {
  description             = "Terraform state of pollstack"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = local.key_policy
}

resource "aws_kms_alias" "this" {
  name          = var.kms_alias
  target_key_id = aws_kms_key.this.key_id
}

module "state_bucket" {
  source = "./bucket"

  bucket_name             = local.bucket_name
  kms_key_arn             = aws_kms_key.this.arn
  noncurrent_version_days = var.noncurrent_version_days
  tags                    = var.tags
}

# Audit trail ------------------------------------------------------------------

# Who read or wrote the state, and every management call of the account:
# the state bucket's object-level (data) events and all management events,
# in every region, with log file validation, in a bucket of their own. The
# deploy role has no CloudTrail permission at all: it can neither stop nor
# narrow the trail.
module "trail_bucket" {
  source = "./bucket"
  count  = var.enable_cloudtrail ? 1 : 0

  bucket_name             = "${local.bucket_name}-trail"
  kms_key_arn             = aws_kms_key.this.arn
  noncurrent_version_days = var.noncurrent_version_days
  cloudtrail_trail_arn    = local.trail_arn
  tags                    = var.tags
}

#trivy:ignore:AVD-AWS-0162 the trail is read from S3 (Athena or the console's event history); a CloudWatch Logs copy would double the cost of every event
resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV2_AWS_10:the trail is read from S3 (Athena or the console's event history); a CloudWatch Logs copy would double the cost of every event
  #checkov:skip=CKV_AWS_252:nothing consumes a notification per delivered log file
  count = var.enable_cloudtrail ? 1 : 0

  name                          = local.trail_name
  s3_bucket_name                = module.trail_bucket[0].id
  kms_key_id                    = aws_kms_key.this.arn
  enable_log_file_validation    = true
  is_multi_region_trail         = true
  include_global_service_events = true

  event_selector {
    read_write_type           = "All"
    include_management_events = true

    data_resource {
      type   = "AWS::S3::Object"
      values = ["${module.state_bucket.arn}/"]
    }
  }

  depends_on = [module.trail_bucket]
}

# Cross-region replication ----------------------------------------------------

resource "aws_kms_key" "replica" {
  count    = var.enable_replication ? 1 : 0
  provider = aws.replica

  description             = "Terraform state of pollstack (replica)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = local.key_policy
}

module "replica_bucket" {
  source = "./bucket"
  count  = var.enable_replication ? 1 : 0
  providers = {
    aws = aws.replica
  }

  bucket_name             = "${local.bucket_name}-replica"
  kms_key_arn             = aws_kms_key.replica[0].arn
  noncurrent_version_days = var.noncurrent_version_days
  tags                    = var.tags
}

resource "aws_iam_role" "replication" {
  count = var.enable_replication ? 1 : 0

  name = "pollstack-tfstate-replication"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
}

resource "aws_iam_role_policy" "replication" {
  count = var.enable_replication ? 1 : 0

  name = "replicate-state"
  role = aws_iam_role.replication[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadSourceConfiguration"
        Effect   = "Allow"
        Action   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
        Resource = [module.state_bucket.arn]
      },
      {
        Sid      = "ReadSourceVersions"
        Effect   = "Allow"
        Action   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
        Resource = ["${module.state_bucket.arn}/*"]
      },
      {
        Sid      = "WriteReplica"
        Effect   = "Allow"
        Action   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
        Resource = ["${module.replica_bucket[0].arn}/*"]
      },
      {
        Sid       = "DecryptSource"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = [aws_kms_key.this.arn]
        Condition = { StringLike = { "kms:ViaService" = "s3.${var.region}.amazonaws.com" } }
      },
      {
        Sid       = "EncryptReplica"
        Effect    = "Allow"
        Action    = ["kms:Encrypt", "kms:GenerateDataKey"]
        Resource  = [aws_kms_key.replica[0].arn]
        Condition = { StringLike = { "kms:ViaService" = "s3.${var.replica_region}.amazonaws.com" } }
      },
    ]
  })
}

resource "aws_s3_bucket_replication_configuration" "this" {
  count = var.enable_replication ? 1 : 0

  bucket = module.state_bucket.id
  role   = aws_iam_role.replication[0].arn

  rule {
    id     = "state-to-replica"
    status = "Enabled"
    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = module.replica_bucket[0].arn
      storage_class = "STANDARD"
      encryption_configuration {
        replica_kms_key_id = aws_kms_key.replica[0].arn
      }
    }
  }

  depends_on = [module.state_bucket, module.replica_bucket]
}
