#!/usr/bin/env bash
# CI only: the build machines install hashicorp/aws from a local filesystem
# mirror (scripts/terraform-rc.sh). On a GitHub runner, make one: let
# `terraform init` download the locked provider into a plugin cache, which has
# the unpacked mirror layout, and point TF_PROVIDER_MIRROR at it.
set -euo pipefail
mirror=${RUNNER_TEMP:?runs in GitHub Actions}/terraform-mirror
mkdir -p "$mirror"
lock=$(find infra -name .terraform.lock.hcl -not -path '*/.terraform/*' 2>/dev/null | sort | head -1)
root=${lock%/*}
if [ -z "$lock" ]; then
  echo "terraform-mirror: no Terraform root under infra/; nothing to mirror"
  exit 0
fi
TF_PLUGIN_CACHE_DIR=$mirror terraform -chdir="$root" init -backend=false -input=false -lockfile=readonly >/dev/null
rm -rf "$root/.terraform"
echo "TF_PROVIDER_MIRROR=$mirror" >>"$GITHUB_ENV"
echo "terraform-mirror: hashicorp/aws mirrored from $root's lock file into $mirror"
