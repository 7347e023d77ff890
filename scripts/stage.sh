#!/usr/bin/env bash
# Runs one stage of the build and records its wall time:
#   scripts/stage.sh FILE NAME COMMAND [ARG...]
# appends "NAME SECONDS ok|failed" to FILE; .ci/run prints the table at the end.
set -uo pipefail
file=$1 name=$2
shift 2
mkdir -p "$(dirname "$file")"
start=$SECONDS
"$@"
rc=$?
took=$((SECONDS - start))
status=ok
[ $rc -eq 0 ] || status=failed
echo "$name $took $status" >>"$file"
echo "== stage $name: ${took}s, $status"
exit $rc
