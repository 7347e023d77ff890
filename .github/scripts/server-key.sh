#!/usr/bin/env bash
# deploy.yml, apply job (deploy role), and once by hand after the first
# apply: gives the app's server key secret a random value when it has none;
# with --rotate, a new one (every session and token signed with the old key
# ends). 48 random bytes, base64, go from openssl to Secrets Manager through a
# pipe: never an argument, a file, a log line or Terraform state. The deploy
# role may write this secret, never read it; only the task role reads it.
set -euo pipefail
# shellcheck source=.github/scripts/terraform.sh
. "$(dirname "$0")/terraform.sh"
rotate=false
[ "${1:-}" = --rotate ] && rotate=true

[ -d "$TF_ROOT/.terraform" ] || tf_init >/dev/null
arn=$(tf_output server_key_secret_arn)
# shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
versions=$(aws secretsmanager describe-secret --secret-id "$arn" --query 'length(keys(VersionIdsToStages || `{}`))' --output text)
if [ "$versions" != 0 ] && [ "$rotate" = false ]; then
  echo "server key: $arn has a value; kept"
  exit 0
fi
openssl rand -base64 48 | tr -d '\n' |
  aws secretsmanager put-secret-value --secret-id "$arn" --secret-string file:///dev/stdin --query VersionId --output text >/dev/null
echo "server key: wrote a new random value to $arn" | tee -a "${GITHUB_STEP_SUMMARY:-/dev/null}"
