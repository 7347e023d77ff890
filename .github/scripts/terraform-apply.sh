#!/usr/bin/env bash
# deploy.yml, apply job (deploy role, after review): applies exactly the saved
# plan, once every image it deploys is VERIFIED_IMAGE (check_plan_images).
# Terraform refuses it if the state changed since it was made. The apply
# runs the migration task (infra/modules/compute/run-migration.sh, with the
# AWS CLI and jq of the runner) before it updates the service: its task
# definition is in the plan, so it was checked too.
set -euo pipefail
# shellcheck source=.github/scripts/terraform.sh
. "$(dirname "$0")/terraform.sh"
tf_init
check_plan_images tfplan
tf apply -input=false tfplan
