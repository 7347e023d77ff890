# shellcheck shell=bash
# Sourced by the deploy scripts: the Terraform root of the environment and
# `terraform init` against the remote state. The names of the root's outputs
# and image variable are set here, once.
set -euo pipefail

: "${TF_ENV:?set the repository variable TF_ENV (lean or enterprise)}"
: "${TF_STATE_BUCKET:?set the repository variable TF_STATE_BUCKET}"
: "${AWS_REGION:?set the repository variable AWS_REGION}"
# Without kms_key_id the S3 backend writes state with S3-managed keys,
# overriding the bucket's KMS default: the state must use the project key.
: "${TF_STATE_KMS_KEY_ARN:?set the repository variable TF_STATE_KMS_KEY_ARN (the bootstrap output kms_key_arn)}"

# One root for every environment; the environment's choices are its
# variable file (docs/decisions.md).
TF_ROOT=infra/envs
TF_VAR_FILE=$TF_ENV.tfvars
# The state object: the cicd module scopes both roles to exactly this key,
# and the plan passes the same key to it (state_key).
TF_STATE_KEY=${TF_STATE_KEY:-pollstack/$TF_ENV/terraform.tfstate}
[ -f "$TF_ROOT/$TF_VAR_FILE" ] || { echo "::error::no environment $TF_ENV: $TF_ROOT/$TF_VAR_FILE does not exist (TF_ENV is lean or enterprise)"; exit 1; }

# The root module's interface that the pipeline relies on.
TF_IMAGE_VAR=${TF_IMAGE_VAR:-image}
TF_OUT_REPOSITORY=${TF_OUT_REPOSITORY:-repository_url}
TF_OUT_CLUSTER=${TF_OUT_CLUSTER:-cluster_name}
TF_OUT_SERVICE=${TF_OUT_SERVICE:-service_name}
TF_OUT_URL=${TF_OUT_URL:-app_url}
# The app's container in the task definition (infra/modules/compute).
TF_CONTAINER_NAME=${TF_CONTAINER_NAME:-app}

tf() { terraform -chdir="$TF_ROOT" "$@"; }

# The committed lock file says which providers, with their hashes: init
# never changes it.
tf_init() {
  tf init -input=false -lockfile=readonly \
    -backend-config="bucket=$TF_STATE_BUCKET" \
    -backend-config="key=$TF_STATE_KEY" \
    -backend-config="region=$AWS_REGION" \
    -backend-config="encrypt=true" \
    -backend-config="use_lockfile=true" \
    -backend-config="kms_key_id=$TF_STATE_KMS_KEY_ARN"
}

tf_output() { tf output -raw "$1"; }

# check_plan_images PLAN: every image the saved plan deploys (the image
# variable and the containers of every ECS task definition it registers,
# the migration's too) is VERIFIED_IMAGE, the image verify-image.sh
# verified; anything else stops the apply before it starts.
check_plan_images() {
  : "${VERIFIED_IMAGE:?verify-image.sh runs first and gives the verified image}"
  local images
  images=$(tf show -json "$1" | jq -r --arg v "$TF_IMAGE_VAR" '
    [.variables[$v].value]
    + [.resource_changes[]? | select(.type == "aws_ecs_task_definition")
       | .change.after.container_definitions // empty | fromjson | .[].image]
    | unique | .[]')
  if [ "$images" != "$VERIFIED_IMAGE" ]; then
    echo "::error::the plan deploys $(echo "$images" | paste -sd ' '), not the verified image $VERIFIED_IMAGE: not applying it"
    return 1
  fi
  echo "the plan deploys the verified image $VERIFIED_IMAGE"
}
