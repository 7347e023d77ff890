#!/usr/bin/env bash
# Offline checks of the Terraform under infra/: `terraform fmt -check`, then
# `terraform init -backend=false` and `terraform validate` of every module,
# the bootstrap root and every environment, then `terraform test` (mock
# providers: no AWS account, no network) of every module that has tests.
# Providers come only from the machine's local mirror (scripts/terraform-rc.sh);
# the plugin cache makes every init after the first a symlink, not a copy.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

die() { echo "terraform-check: $*" >&2; exit 1; }

command -v terraform >/dev/null ||
  die "terraform is not installed; install Terraform 1.11 or later (https://developer.hashicorp.com/terraform/install)"
rc=${TF_CLI_CONFIG_FILE:-$PWD/.tools/terraform.rc}
case $rc in /*) ;; *) rc=$PWD/$rc ;; esac
if [ ! -f "$rc" ]; then
  scripts/terraform-rc.sh "$rc" >/dev/null ||
    die "no local provider mirror: install hashicorp/aws under /opt/tf-plugins/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/ (or set TF_PROVIDER_MIRROR), then run make tools"
fi
mirror=$(sed -n 's/^ *path *= *"\(.*\)"/\1/p' "$rc" | head -1)
[ -n "$mirror" ] && [ -d "$mirror/registry.terraform.io/hashicorp/aws" ] ||
  die "the provider mirror named in $rc ($mirror) has no hashicorp/aws; reinstall the mirror or rerun scripts/terraform-rc.sh $rc"
cache=$(sed -n 's/^plugin_cache_dir *= *"\(.*\)"/\1/p' "$rc")
[ -z "$cache" ] || mkdir -p "$cache"
export TF_CLI_CONFIG_FILE=$rc TF_IN_AUTOMATION=1 TF_INPUT=0
tf_version=$(terraform version | head -1 | sed -n 's/^Terraform v\([0-9.]*\).*/\1/p')
[ "$(printf '%s\n1.11.0\n' "$tf_version" | sort -V | head -1)" = 1.11.0 ] ||
  die "Terraform $tf_version is too old; install 1.11 or later (https://developer.hashicorp.com/terraform/install)"


log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Runs a terraform command in a directory; shows its output only on failure.
run() {
  local dir=$1
  shift
  if ! terraform -chdir="$dir" "$@" -no-color >"$log" 2>&1; then
    cat "$log" >&2
    die "FAILED: terraform $* in $dir"
  fi
}

echo "terraform-check: fmt"
terraform fmt -check -recursive -diff infra >"$log" 2>&1 || { cat "$log" >&2; die "FAILED: terraform fmt -check (run terraform fmt -recursive infra)"; }

echo "terraform-check: README tables"
python3 infra/tools/readme_tables.py --check infra/modules/*/ infra/bootstrap ||
  die "FAILED: README input/output tables are stale (run infra/tools/readme_tables.py infra/modules/*/ infra/bootstrap)"

roots=(infra/modules/*/ infra/bootstrap/ infra/envs/*/)
tested=0 passed=0 validated=0
for dir in "${roots[@]}"; do
  dir=${dir%/}
  [ -n "$(find "$dir" -maxdepth 1 -name '*.tf' -print -quit)" ] || continue
  # Roots commit their lock file: it must already list every provider.
  lockfile=()
  case $dir in infra/modules/*) ;; *) lockfile=(-lockfile=readonly) ;; esac
  run "$dir" init -backend=false -input=false "${lockfile[@]}"
  run "$dir" validate
  validated=$((validated + 1))
  if [ -n "$(find "$dir/tests" -maxdepth 1 -name '*.tftest.hcl' -print -quit 2>/dev/null)" ]; then
    echo "terraform-check: test $dir"
    run "$dir" test
    n=$(sed -n 's/^Success! \([0-9]*\) passed.*/\1/p' "$log")
    passed=$((passed + ${n:-0}))
    tested=$((tested + 1))
  fi
done

echo "terraform-check: ok: fmt clean, $validated configurations validated, $passed test runs passed in $tested modules ($((SECONDS - start)) s)"
