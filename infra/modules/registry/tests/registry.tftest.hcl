mock_provider "aws" {
  source = "../../mocks"
}

variables {
  name        = "pollstack-test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "immutable_scanned_encrypted" {
  command = apply

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "tags are immutable: a deployed tag always means the same image"
  }

  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "images are scanned on push"
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS" && aws_ecr_repository.this.encryption_configuration[0].kms_key == var.kms_key_arn
    error_message = "images are encrypted with the project key"
  }

  assert {
    condition     = [for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : r.selection.tagStatus] == ["untagged", "tagged"]
    error_message = "the lifecycle policy expires old untagged artifacts and old tagged images"
  }

  assert {
    condition     = alltrue([for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : r.action.type == "expire" && r.selection.countType == "imageCountMoreThan"])
    error_message = "every rule expires by count, never by age: the running image's signed attestations (untagged referrers) must outlive its first week"
  }

  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection.countNumber == 30 && jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.countNumber >= 2 * 30
    error_message = "the newest 30 tagged images are kept, and at least their two attestations each"
  }

  assert {
    condition     = aws_ecr_repository.this.force_delete == false
    error_message = "images are not deleted with the repository by default"
  }
}
