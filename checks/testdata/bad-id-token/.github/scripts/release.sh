#!/usr/bin/env bash
# Planted: the image build moved out of the workflow into a script.
set -euo pipefail
. "$(dirname "$0")/build.sh"
