# shellcheck shell=bash
scripts/image.sh
