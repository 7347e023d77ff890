#!/usr/bin/env bash
# deploy.yml, plan job (read-only plan role): plans the environment with the
# image the gates built, pinned by digest, and saves the plan for the apply job.
set -euo pipefail
# shellcheck source=.github/scripts/terraform.sh
. "$(dirname "$0")/terraform.sh"
: "${IMAGE_DIGEST:?the gates job gives the image digest}"

tf_init
# The repository exists from the first apply on (docs/deploy.md, first deploy).
repo=$(tf_output "$TF_OUT_REPOSITORY") || {
  echo "::error::output $TF_OUT_REPOSITORY is missing from the state of $TF_ROOT: apply the environment once by hand first (docs/deploy.md, first deploy)"
  exit 1
}
image="$repo@$IMAGE_DIGEST"
echo "$image" >"$TF_ROOT/image.ref"

# The plan role reads the state and may only write its lock object. The apply
# job applies this file; Terraform refuses it if the state moved since.
# The environment's choices come from its variable file; the roles' trust
# and state access are planned for this repository, this bucket and this
# state key, the same values as the first apply by hand (docs/deploy.md).
tf plan -input=false -out=tfplan \
  -var-file="$TF_VAR_FILE" \
  -var "$TF_IMAGE_VAR=$image" \
  -var "state_key=$TF_STATE_KEY" \
  -var "github_repository=$GITHUB_REPOSITORY" \
  -var "github_owner_id=$GITHUB_REPOSITORY_OWNER_ID" \
  -var "github_repository_id=$GITHUB_REPOSITORY_ID" \
  -var "state_bucket_name=$TF_STATE_BUCKET"
tf show -no-color tfplan >"$TF_ROOT/tfplan.txt"
{
  echo "### terraform plan: $TF_ENV"
  echo "image: \`$image\`"
  echo '```'
  grep -E '^(Plan|No changes)' "$TF_ROOT/tfplan.txt" || true
  echo '```'
} >>"$GITHUB_STEP_SUMMARY"
