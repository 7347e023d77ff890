#!/usr/bin/env bash
# Regenerates the hash-locked requirements of the Python tools that
# scripts/install-tools.sh installs with --require-hashes:
# scripts/tools/NAME.in (the tool at an exact version) -> scripts/tools/NAME.txt
# (it and every dependency, each with the sha256 of every file PyPI has for
# that version). Dependabot does the same for its updates.
#
#   scripts/lock-tools.sh           every tool
#   scripts/lock-tools.sh NAME...   only these
#
# Lock with the Python that CI uses (3.11, .github/actions/setup): a
# dependency that only some Python versions need is locked for that one.
set -euo pipefail
cd "$(dirname "$0")/.."

# pip-tools itself comes from its own lock, scripts/tools/pip-tools.txt
# (locked by this script from pip-tools.in like every tool), with hashes.
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --require-hashes --only-binary :all: \
  -r scripts/tools/pip-tools.txt

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for in in scripts/tools/*.in; do names+=("$(basename "$in" .in)"); done
fi
for name in "${names[@]}"; do
  echo "lock-tools: scripts/tools/$name.txt" >&2
  (cd scripts/tools && "$venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe \
    --strip-extras --no-emit-index-url --no-emit-find-links --output-file "$name.txt" "$name.in")
done
