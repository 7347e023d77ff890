# A private, versioned, KMS-encrypted, TLS-only bucket for Terraform state:
# the primary state bucket and its replica are both made from this.
#trivy:ignore:AVD-AWS-0089 server access logs would need a second bucket per region; CloudTrail records who read or wrote the state
resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:server access logs would need a second bucket per region; CloudTrail records who read or wrote the state
  #checkov:skip=CKV2_AWS_62:nothing consumes events of state writes
  #checkov:skip=CKV_AWS_144:replication is the enable_replication variable of infra/bootstrap; the replica bucket itself is not replicated again
  bucket = var.bucket_name

  # force_destroy stays false: a bucket that still holds state cannot be deleted.
  tags = var.tags
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      ], var.cloudtrail_trail_arn == null ? [] : [
      {
        # CloudTrail, writing for this one trail (aws:SourceArn), checks the
        # bucket and writes the account's log files; nothing else.
        Sid       = "CloudTrailChecksTheBucket"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:GetBucketAcl"
        Resource  = aws_s3_bucket.this.arn
        Condition = { StringEquals = { "aws:SourceArn" = var.cloudtrail_trail_arn } }
      },
      {
        Sid       = "CloudTrailWritesTheLogFiles"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.this.arn}/AWSLogs/${split(":", var.cloudtrail_trail_arn)[4]}/*"
        Condition = { StringEquals = { "aws:SourceArn" = var.cloudtrail_trail_arn } }
      },
    ])
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}
