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
# sed reads all of terraform's output: `| head -1` would close the pipe
# early and, under pipefail, fail the script with SIGPIPE now and then.
tf_version=$(terraform version | sed -n '1s/^Terraform v\([0-9.]*\).*/\1/p')
[ "$(printf '%s\n1.11.0\n' "$tf_version" | sort -V | head -1)" = 1.11.0 ] ||
  die "Terraform $tf_version is too old; install 1.11 or later (https://developer.hashicorp.com/terraform/install)"


work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Runs a terraform command in a directory, its output to a log file.
run() {
  local dir=$1 log=$2
  shift 2
  terraform -chdir="$dir" "$@" -no-color >>"$log" 2>&1 || { echo "FAILED: terraform $* in $dir" >>"$log"; return 1; }
}

echo "terraform-check: fmt"
terraform fmt -check -recursive -diff infra >"$work/fmt.log" 2>&1 || { cat "$work/fmt.log" >&2; die "FAILED: terraform fmt -check (run terraform fmt -recursive infra)"; }

echo "terraform-check: README tables"
python3 scripts/readme-tables.py --check infra/modules/*/ infra/bootstrap ||
  die "FAILED: README input/output tables are stale (run scripts/readme-tables.py infra/modules/*/ infra/bootstrap)"

# init_root initialises one root. Inits run one at a time: they share the
# plugin cache, which is not safe to fill from several processes at once.
init_root() {
  local dir=$1 log=$2 lockfile=()
  # Roots commit their lock file: it must already list every provider.
  case $dir in infra/modules/*) ;; *) lockfile=(-lockfile=readonly) ;; esac
  run "$dir" "$log" init -backend=false -input=false "${lockfile[@]}" || { cat "$log" >&2; die "FAILED: terraform init in $dir"; }
}

# check_root validates one root and runs its tests; its log names the result.
check_root() {
  local dir=$1 log=$2
  run "$dir" "$log" validate || return 1
  [ -n "$(find "$dir/tests" -maxdepth 1 -name '*.tftest.hcl' -print -quit 2>/dev/null)" ] || return 0
  # The environments' root has one variable file per environment: its tests
  # run once with each, as each environment is planned.
  local varfiles=("$dir"/*.tfvars)
  if [ -e "${varfiles[0]}" ]; then
    local f
    for f in "${varfiles[@]}"; do
      run "$dir" "$log" test -var-file="${f##*/}" || return 1
    done
  else
    run "$dir" "$log" test || return 1
  fi
  echo "TESTED" >>"$log"
}

# The roots are independent: check JOBS of them at once (TF_CHECK_JOBS,
# default 3; a terraform test spends much of its time waiting on its
# provider processes).
jobs=${TF_CHECK_JOBS:-3}
roots=()
for dir in infra/modules/*/ infra/bootstrap/ infra/envs/; do
  dir=${dir%/}
  [ -n "$(find "$dir" -maxdepth 1 -name '*.tf' -print -quit)" ] && roots+=("$dir")
done
echo "terraform-check: init ${#roots[@]} roots"
for dir in "${roots[@]}"; do init_root "$dir" "$work/init.log"; done
echo "terraform-check: validate and test, $jobs at a time"
declare -A pids=()
for dir in "${roots[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  log=$work/$(echo "$dir" | tr / _).log
  check_root "$dir" "$log" &
  pids[$dir]=$!
done

tested=0 passed=0 validated=0 failed=()
for dir in "${roots[@]}"; do
  log=$work/$(echo "$dir" | tr / _).log
  if ! wait "${pids[$dir]}"; then
    cat "$log" >&2
    failed+=("$dir")
    continue
  fi
  validated=$((validated + 1))
  if grep -q '^TESTED$' "$log"; then
    n=$(sed -n 's/^Success! \([0-9]*\) passed.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
    echo "terraform-check: test $dir: $n passed"
    passed=$((passed + n))
    tested=$((tested + 1))
  fi
done
[ ${#failed[@]} -eq 0 ] || die "FAILED in: ${failed[*]}"

echo "terraform-check: ok: fmt clean, $validated configurations validated, $passed test runs passed in $tested modules ($((SECONDS - start)) s)"
