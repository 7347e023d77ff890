# The environment as its variable file makes it, on mocked AWS: terraform
# test runs once per variable file (scripts/terraform-check.sh:
# terraform test -var-file=lean.tfvars, then enterprise.tfvars). The Go tests
# in e2e/platform render the same run with mocks named for each
# environment, to check its choices and evaluate its IAM documents.
mock_provider "aws" {
  source = "../mocks"
}

variables {
  github_owner_id      = "1001"
  github_repository_id = "2002"
  # Mocked AWS runs no task: the migration task is registered, not run.
  run_migrations = false
  # enterprise serves HTTPS only: its variable file leaves the name to the
  # operator, the test gives one.
  domain_name    = var.environment == "enterprise" ? "polls.example.com" : null
  hosted_zone_id = var.environment == "enterprise" ? "Z0123456789ABCDEFGHIJ" : null
}

run "environment" {
  command = apply

  assert {
    condition     = output.image_platform == "linux/amd64" || output.image_platform == "linux/arm64"
    error_message = "the image platform follows infra/platform.json"
  }

  assert {
    condition     = startswith(output.app_url, var.require_https ? "https://" : "http://")
    error_message = "the site's URL is HTTPS exactly where the environment requires it"
  }
}
