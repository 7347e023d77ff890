#!/usr/bin/env bash
# CI only: installs the tools a job names (TOOLS, space-separated, or "all")
# with the repository's pinned installer and puts them on PATH.
set -euo pipefail
read -r -a tools <<<"${TOOLS:?name the tools}"
if [ "${tools[0]}" = all ]; then
  scripts/install-tools.sh
else
  for tool in "${tools[@]}"; do scripts/install-tools.sh "$tool"; done
fi
echo "$PWD/.tools/bin" >>"$GITHUB_PATH"
