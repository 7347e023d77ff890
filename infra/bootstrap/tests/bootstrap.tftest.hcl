mock_provider "aws" {
  source = "../mocks"
}

# The replica's key and bucket are in another region: mocks of their own.
mock_provider "aws" {
  alias = "replica"
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-west-2:123456789012:key/88888888-2222-3333-4444-555555555555" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::pollstack-tfstate-123456789012-replica" }
  }
}

run "state_bucket_is_private_versioned_encrypted_tls_only" {
  command = apply

  assert {
    condition     = module.state_bucket.id == "pollstack-tfstate-123456789012"
    error_message = "the bucket takes the name the environments expect"
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "the state key rotates"
  }

  assert {
    condition     = module.state_bucket.versioning_id != null && output.kms_key_arn == aws_kms_key.this.arn
    error_message = "the bucket is versioned and the state key is an output"
  }

  assert {
    condition     = length(module.replica_bucket) == 0 && length(aws_s3_bucket_replication_configuration.this) == 0
    error_message = "no replication unless asked for"
  }
}

run "replication" {
  command = apply

  variables {
    enable_replication = true
  }

  assert {
    condition     = aws_s3_bucket_replication_configuration.this[0].rule[0].destination[0].encryption_configuration[0].replica_kms_key_id == aws_kms_key.replica[0].arn
    error_message = "replicas are encrypted with the replica region's key"
  }
}

# Every setting of the state bucket, asserted one by one on the bucket
# module itself: turning any of them off fails this run.
run "every_state_bucket_setting" {
  command = apply

  module {
    source = "./bucket"
  }

  variables {
    bucket_name             = "pollstack-tfstate-123456789012"
    kms_key_arn             = "arn:aws:kms:us-east-1:123456789012:key/99999999-2222-3333-4444-555555555555"
    noncurrent_version_days = 90
    tags                    = {}
  }

  assert {
    condition = (aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.block_public_policy
    && aws_s3_bucket_public_access_block.this.ignore_public_acls && aws_s3_bucket_public_access_block.this.restrict_public_buckets)
    error_message = "all four public access blocks are on"
  }

  assert {
    condition     = one(aws_s3_bucket_ownership_controls.this.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "the bucket owner owns every object (ACLs off)"
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.this.versioning_configuration).status == "Enabled"
    error_message = "the state bucket is versioned"
  }

  assert {
    condition = one([for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : one(r.apply_server_side_encryption_by_default)]) == {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    } && one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled
    error_message = "objects are encrypted with the state key (aws:kms, not AES256), with a bucket key"
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.this.policy).Statement == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "the bucket policy denies every request without TLS, on the bucket and its objects"
  }

  assert {
    condition     = one(one(aws_s3_bucket_lifecycle_configuration.this.rule).noncurrent_version_expiration).noncurrent_days == 90
    error_message = "superseded state versions are kept noncurrent_version_days"
  }
}

# The audit trail records who read or wrote the state (the state bucket's
# object-level events) and every management call, in a bucket only that
# trail writes to, encrypted with the state key, with log file validation.
run "audit_trail_records_the_state" {
  command = apply

  assert {
    condition = (
      one(aws_cloudtrail.this[0].event_selector).read_write_type == "All"
      && one(aws_cloudtrail.this[0].event_selector).include_management_events
      && one(one(aws_cloudtrail.this[0].event_selector).data_resource).type == "AWS::S3::Object"
      && jsonencode(one(one(aws_cloudtrail.this[0].event_selector).data_resource).values) == jsonencode(["${module.state_bucket.arn}/"])
    )
    error_message = "the trail records the state bucket's object reads and writes and every management event"
  }

  assert {
    condition = (
      aws_cloudtrail.this[0].enable_log_file_validation && aws_cloudtrail.this[0].is_multi_region_trail
      && aws_cloudtrail.this[0].kms_key_id == aws_kms_key.this.arn && aws_cloudtrail.this[0].s3_bucket_name != module.state_bucket.id
    )
    error_message = "the trail covers every region, validates its log files and keeps them, encrypted, apart from the state"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.this.policy).Statement : try(s.Condition.StringEquals["aws:SourceArn"], "") == "arn:aws:cloudtrail:us-east-1:123456789012:trail/pollstack-audit"
      if try(s.Principal.Service, "") == "cloudtrail.amazonaws.com"
    ])
    error_message = "CloudTrail may use the state key for the audit trail only"
  }
}
