#!/usr/bin/env bash
# deploy.yml, apply job (deploy role, after review): applies exactly the saved
# plan. Terraform refuses it if the state changed since it was made.
set -euo pipefail
# shellcheck source=.github/scripts/terraform.sh
. "$(dirname "$0")/terraform.sh"
tf_init
tf apply -input=false tfplan
