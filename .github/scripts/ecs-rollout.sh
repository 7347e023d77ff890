#!/usr/bin/env bash
# deploy.yml, apply job: waits for the ECS service to settle on the task
# definition the apply registered, checks that it runs the pushed digest,
# smoke-tests /readyz through the load balancer, and says so plainly when the
# deployment circuit breaker rolled the service back.
set -euo pipefail
# shellcheck source=.github/scripts/terraform.sh
. "$(dirname "$0")/terraform.sh"
want=$(cat "$TF_ROOT/image.ref")
cluster=$(tf_output "$TF_OUT_CLUSTER")
service=$(tf_output "$TF_OUT_SERVICE")
url=$(tf_output "$TF_OUT_URL")
echo "url=$url" >>"$GITHUB_OUTPUT"

describe() { aws ecs describe-services --cluster "$cluster" --services "$service" --output json; }
# The task definition the apply registered: the service's newest deployment.
target=$(describe | jq -r '.services[0].deployments | max_by(.createdAt) | .taskDefinition')
image=$(aws ecs describe-task-definition --task-definition "$target" \
  --query "taskDefinition.containerDefinitions[?name=='$TF_CONTAINER_NAME'].image | [0]" --output text)
if [ "$image" != "$want" ]; then
  echo "::error::task definition $target runs $image, want $want"
  exit 1
fi
echo "task definition $target runs $image"

stable=0
aws ecs wait services-stable --cluster "$cluster" --services "$service" || stable=$?

state=$(describe)
primary=$(jq -r '.services[0].deployments[] | select(.status == "PRIMARY")' <<<"$state")
primary_td=$(jq -r '.taskDefinition' <<<"$primary")
rollout=$(jq -r '.rolloutState' <<<"$primary")
ours=$(jq -r --arg td "$target" '.services[0].deployments[] | select(.taskDefinition == $td) | "\(.rolloutState): \(.rolloutStateReason)"' <<<"$state")
if [ "$primary_td" != "$target" ]; then
  {
    echo "::error::deployment of $target failed and the circuit breaker rolled the service back to $primary_td ($rollout)."
    echo "::error::failed deployment: ${ours:-gone}"
    jq -r '.services[0].events[:10][] | "  \(.createdAt) \(.message)"' <<<"$state"
  } | tee -a "$GITHUB_STEP_SUMMARY"
  exit 1
fi
if [ "$stable" -ne 0 ] || [ "$rollout" != COMPLETED ]; then
  echo "::error::service $service did not become stable on $target (rollout $rollout, wait exit $stable)"
  jq -r '.services[0].events[:10][] | "  \(.createdAt) \(.message)"' <<<"$state"
  exit 1
fi
echo "service $service is stable on $target"

curl --fail --silent --show-error --max-time 10 \
  --retry 12 --retry-delay 5 --retry-all-errors "$url/readyz"
echo
echo "deployed $want; $url/readyz answers" | tee -a "$GITHUB_STEP_SUMMARY"
