#!/usr/bin/env bash
# Runs the one-off migration task and waits for it to end: terraform_data.migrate
# (main.tf) calls this during the apply, before the service changes. It fails,
# and so fails the apply, unless the migration container exits 0. Needs the
# AWS CLI and jq; the caller's credentials (the deploy role) may run this
# task definition on this cluster only.
set -euo pipefail
: "${REGION:?}" "${CLUSTER:?}" "${TASK_DEFINITION:?}" "${CONTAINER:?}" "${SUBNETS:?}" "${SECURITY_GROUPS:?}" "${ASSIGN_PUBLIC_IP:?}" "${LOG_GROUP:?}"

ecs() { aws ecs --region "$REGION" --output json "$@"; }

started=$(ecs run-task --cluster "$CLUSTER" --task-definition "$TASK_DEFINITION" \
  --launch-type FARGATE --count 1 --started-by terraform-migrate \
  --network-configuration "awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$SECURITY_GROUPS],assignPublicIp=$ASSIGN_PUBLIC_IP}")
task=$(jq -r '.tasks[0].taskArn // empty' <<<"$started")
if [ -z "$task" ]; then
  echo "migration task did not start: $(jq -c '.failures' <<<"$started")" >&2
  exit 1
fi
echo "migration task $task started ($TASK_DEFINITION)"

# Waits up to 10 minutes; a task still running then is stopped, and fails.
if ! aws ecs wait tasks-stopped --region "$REGION" --cluster "$CLUSTER" --tasks "$task"; then
  ecs stop-task --cluster "$CLUSTER" --task "$task" --reason "migration took longer than the wait" >/dev/null || true
  echo "migration task $task did not finish within 10 minutes: stopped" >&2
  exit 1
fi

stopped=$(ecs describe-tasks --cluster "$CLUSTER" --tasks "$task")
code=$(jq -r --arg c "$CONTAINER" '.tasks[0].containers[] | select(.name == $c) | .exitCode // "none"' <<<"$stopped")
if [ "$code" != 0 ]; then
  reason=$(jq -r '.tasks[0].stoppedReason // "unknown"' <<<"$stopped")
  echo "migration failed: container $CONTAINER exit code $code ($reason); its log: group $LOG_GROUP, stream $CONTAINER/$CONTAINER/${task##*/}" >&2
  exit 1
fi
echo "migration task $task succeeded"
