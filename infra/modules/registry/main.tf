resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

# Every image the pipeline pushes is tagged (with its commit); what is
# untagged is, above all, the signed attestations stored as OCI referrers of
# the images (two per deploy: SBOM and provenance). ECR's lifecycle rules
# count those as images, so an age rule on untagged images would delete the
# signatures of the running image a week after its deploy; a count rule
# keeps them as long as the tagged images they sign.
locals {
  attestations_per_image = 2
  keep_untagged          = local.attestations_per_image * var.keep_tagged_images + var.spare_untagged_artifacts
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep the ${local.keep_untagged} newest untagged artifacts (the kept images' signed attestations)"
        selection = {
          tagStatus   = "untagged"
          countType   = "imageCountMoreThan"
          countNumber = local.keep_untagged
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the ${var.keep_tagged_images} newest tagged images"
        selection = {
          tagStatus      = "tagged"
          tagPatternList = ["*"]
          countType      = "imageCountMoreThan"
          countNumber    = var.keep_tagged_images
        }
        action = { type = "expire" }
      },
    ]
  })
}
