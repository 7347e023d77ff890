terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }

  # Partial configuration: bucket, key and region come at init time, e.g.
  #   terraform init -backend-config=bucket=pollstack-tfstate-<account> \
  #     -backend-config=key=pollstack/<env>/terraform.tfstate -backend-config=region=us-east-1
  # State is locked with S3-native lock files (no DynamoDB table).
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
