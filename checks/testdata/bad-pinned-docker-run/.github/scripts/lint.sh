#!/usr/bin/env bash
# Planted: an image by name alone, moved out of the workflow into a script.
set -euo pipefail
docker run --rm --entrypoint sh busybox -c true
