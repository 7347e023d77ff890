terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }

  # Applied once per account by an administrator, with local state: this root
  # creates the bucket every other root keeps its state in. Keep the local
  # terraform.tfstate safe (or migrate it into the bucket afterwards).
}
