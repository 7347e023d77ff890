#!/usr/bin/env bash
# Fails, naming the files, when gofmt would change a Go file of the
# repository: tracked or new (not ignored), as long as it exists. vet and
# staticcheck do not look at layout.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

files=()
while IFS= read -r -d '' f; do
  [[ -e $f ]] && files+=("$f") # tracked but deleted in the work tree: nothing to format
done < <(git ls-files -z --cached --others --exclude-standard -- '*.go')
[[ ${#files[@]} -gt 0 ]] || exit 0

unformatted=$(gofmt -l -- "${files[@]}")
if [[ -n $unformatted ]]; then
  echo "gofmt would change these files (run gofmt -w on them):" >&2
  echo "$unformatted" >&2
  exit 1
fi
