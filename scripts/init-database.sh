#!/usr/bin/env bash
# Makes the database roles pollstack runs as, once per database, as the
# master user: `pollstack migrate --init-roles` in a one-off ECS task with
# the administrator's database-init role (module cicd), the only role that
# reads the master secret. Run it with an administrator's session after the
# first apply of an environment and before the pipeline's first deploy (or
# before the first deploy of this release on an existing database); every
# later migration runs as pollstack_migrator with IAM tokens, and nothing the
# pipeline can reach holds the master password (docs/decisions.md).
#
# Usage: AWS_REGION=us-east-1 scripts/init-database.sh pollstack-lean
# IMAGE: an image of the stack's repository to run (default: this commit's,
# built with scripts/image.sh and pushed by digest with your session).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/init-database.sh <stack name, e.g. pollstack-lean>}
: "${AWS_REGION:?set AWS_REGION}"
aws_json() { aws --region "$AWS_REGION" --output json "$@"; }

db=$(aws_json rds describe-db-instances --db-instance-identifier "$name" --query 'DBInstances[0]')
secret=$(jq -r '.MasterUserSecret.SecretArn // empty' <<<"$db")
[ -n "$secret" ] || { echo "database $name keeps no master password in Secrets Manager" >&2; exit 1; }
url=$(jq -r '"postgres://\(.Endpoint.Address):\(.Endpoint.Port)/\(.DBName)?sslmode=verify-full"' <<<"$db")

migrate=$(aws_json ecs describe-task-definition --task-definition "$name-migrate" --query taskDefinition)
network=$(aws_json ecs describe-services --cluster "$name" --services "$name-app" --query 'services[0].networkConfiguration.awsvpcConfiguration')
role=$(aws_json iam get-role --role-name "$name-db-init" --query Role.Arn | jq -r .)

image=${IMAGE:-}
if [ -z "$image" ]; then
  repo=$(jq -r '.containerDefinitions[0].image | sub("[@:][^/]*$"; "")' <<<"$migrate")
  scripts/image.sh
  image=$(aws ecr get-login-password --region "$AWS_REGION" |
    go run ./cmd/image push --archive dist/pollstack.oci.tar --repo "$repo" --tag "init-$(git rev-parse --short HEAD)" \
      --username AWS --password-stdin)
fi
echo "initialising the roles of $name's database with $image"

# The migration's task definition, with the database-init role as its task
# role, the master secret's ARN (read by that role, never by ECS into the
# environment) and --init-roles for the two roles the migration names: the
# user of its DATABASE_URL and its POLLSTACK_DB_APP_USER.
definition=$(jq --arg family "$name-db-init" --arg role "$role" --arg image "$image" --arg url "$url" --arg secret "$secret" '
  (.containerDefinitions[0].environment | from_entries) as $env |
  {family: $family, taskRoleArn: $role, executionRoleArn, networkMode, requiresCompatibilities, cpu, memory, runtimePlatform,
   containerDefinitions: [.containerDefinitions[0] | .image = $image | .command = ["migrate"] | del(.secrets) | .environment = [
     {name: "DATABASE_URL", value: $url},
     {name: "POLLSTACK_DB_SECRET_ARN", value: $secret},
     {name: "POLLSTACK_DB_INIT_ROLES", value: "true"},
     {name: "POLLSTACK_DB_MIGRATOR_USER", value: ($env.DATABASE_URL | capture("^postgres://(?<user>[^@]+)@").user)},
     {name: "POLLSTACK_DB_APP_USER", value: $env.POLLSTACK_DB_APP_USER}]]}' <<<"$migrate")
task_definition=$(aws_json ecs register-task-definition --cli-input-json "$definition" --query taskDefinition.taskDefinitionArn | jq -r .)
trap 'aws --region "$AWS_REGION" ecs deregister-task-definition --task-definition "$task_definition" >/dev/null' EXIT

REGION=$AWS_REGION CLUSTER=$name TASK_DEFINITION=$task_definition \
  CONTAINER=$(jq -r '.containerDefinitions[0].name' <<<"$migrate") \
  SUBNETS=$(jq -r '.subnets | join(",")' <<<"$network") \
  SECURITY_GROUPS=$(jq -r '.securityGroups | join(",")' <<<"$network") \
  ASSIGN_PUBLIC_IP=$(jq -r '.assignPublicIp' <<<"$network") \
  LOG_GROUP=$(jq -r '.containerDefinitions[0].logConfiguration.options["awslogs-group"]' <<<"$migrate") \
  infra/modules/compute/run-migration.sh
