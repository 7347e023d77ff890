#!/usr/bin/env bash
# Builds the container image without a Docker daemon: an OCI image layout
# archive and its CycloneDX SBOM in dist/. The platform comes from
# cpu_architecture in infra/platform.json (which also sets the ECS task's
# runtime_platform); PLATFORM, when set, must agree with it. Usage: scripts/image.sh [extra flags for `go run ./cmd/image build`]
set -euo pipefail
cd "$(dirname "$0")/.."

out=${IMAGE_ARCHIVE:-dist/pollstack.oci.tar}
args=(build --out "$out")
[ -z "${PLATFORM:-}" ] || args+=(--platform "$PLATFORM")
# In CI the revision comes from the workflow; locally from the binary's VCS stamp.
[ -z "${GITHUB_SHA:-}" ] || args+=(--revision "$GITHUB_SHA")
[ -z "${GITHUB_SERVER_URL:-}" ] || [ -z "${GITHUB_REPOSITORY:-}" ] || args+=(--source "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY")

go run ./cmd/image "${args[@]}" "$@"
