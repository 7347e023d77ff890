//go:build integration

package checks

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

// planRoot is an environment root as the apply job sees it: the image
// variable and two task definitions, the service's and the migration's,
// planned with the real hashicorp/aws provider (offline: nothing is read).
const planRoot = `terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

variable "image" { type = string }
variable "migrate_image" { type = string }

resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = jsonencode([{ name = "app", image = var.image, essential = true, memory = 512 }])
}

resource "aws_ecs_task_definition" "migrate" {
  family                = "migrate"
  container_definitions = jsonencode([{ name = "migrate", image = var.migrate_image, essential = true, memory = 512 }])
}
`

// The apply job applies a saved plan only when every image it deploys,
// the migration's included, is the image verify-image.sh verified
// (check_plan_images in .github/scripts/terraform.sh, run by
// terraform-apply.sh before `terraform apply`).
func TestApplyOnlyDeploysTheVerifiedImage(t *testing.T) {
	repo.RequireTools(t, "terraform", "jq", "bash")
	dir := t.TempDir()
	root := filepath.Join(dir, "infra", "envs")
	copyTree(t, repo.Path(".github", "scripts", "terraform.sh"), filepath.Join(dir, ".github", "scripts", "terraform.sh"))
	writeFile(t, filepath.Join(root, "main.tf"), planRoot)
	writeFile(t, filepath.Join(root, "lean.tfvars"), "")
	env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+repo.Path(".tools", "terraform.rc"), "TF_IN_AUTOMATION=1",
		"TF_ENV=lean", "TF_STATE_BUCKET=state", "AWS_REGION=us-east-1", "TF_STATE_KMS_KEY_ARN=arn:aws:kms:us-east-1:123456789012:key/test")
	terraform := func(args ...string) {
		t.Helper()
		cmd := exec.Command("terraform", append([]string{"-chdir=" + root}, args...)...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	terraform("init", "-input=false", "-backend=false")

	const (
		verified = "123456789012.dkr.ecr.us-east-1.amazonaws.com/pollstack@sha256:1111111111111111111111111111111111111111111111111111111111111111"
		other    = "123456789012.dkr.ecr.us-east-1.amazonaws.com/pollstack@sha256:2222222222222222222222222222222222222222222222222222222222222222"
	)
	for _, tc := range []struct {
		name, image, migrate, verifiedImage string
		ok                                  bool
	}{
		{"the verified image everywhere", verified, verified, verified, true},
		{"the migration runs another image", verified, other, verified, false},
		{"the service runs another image", other, verified, verified, false},
		{"nothing was verified", verified, verified, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			terraform("plan", "-input=false", "-out=tfplan", "-var", "image="+tc.image, "-var", "migrate_image="+tc.migrate)
			cmd := exec.Command("bash", "-c", ". .github/scripts/terraform.sh && check_plan_images tfplan")
			cmd.Dir = dir
			cmd.Env = append(env, "VERIFIED_IMAGE="+tc.verifiedImage)
			out, err := cmd.CombinedOutput()
			if (err == nil) != tc.ok {
				t.Fatalf("check_plan_images: %v, want success %v:\n%s", err, tc.ok, out)
			}
			if !tc.ok && tc.verifiedImage != "" && (!strings.Contains(string(out), other) || !strings.Contains(string(out), "not the verified image "+verified)) {
				t.Errorf("the refusal does not name the planned and the verified images:\n%s", out)
			}
		})
	}
}
