mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/99999999-2222-3333-4444-555555555555" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::pollstack-tfstate-123456789012" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/pollstack-tfstate-replication" }
  }
}

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
