#!/usr/bin/env bash
# Planted: an init that may rewrite the lock file.
set -euo pipefail
terraform -chdir=infra/envs init -input=false
