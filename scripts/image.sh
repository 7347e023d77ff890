#!/usr/bin/env bash
# Builds the container image without a Docker daemon: an OCI image layout
# archive and its CycloneDX SBOM in dist/. The platform comes from
# cpu_architecture in infra/platform.json (which also sets the ECS task's
# runtime_platform); PLATFORM, when set, must agree with it. Usage: scripts/image.sh [extra flags for `go run ./cmd/image build`]
set -euo pipefail
cd "$(dirname "$0")/.."

# Exactly the Go that go.mod's toolchain line names (downloaded by the go
# command if this machine has another): the digest depends on the commit
# only, never on the machine's Go.
GOTOOLCHAIN=$(sed -n 's/^toolchain //p' go.mod)
export GOTOOLCHAIN=${GOTOOLCHAIN:?go.mod names no toolchain}

out=${IMAGE_ARCHIVE:-dist/pollstack.oci.tar}
args=(build --out "$out")
[ -z "${PLATFORM:-}" ] || args+=(--platform "$PLATFORM")
# In CI the revision comes from the workflow; locally from git (HEAD). The
# source label is the module's repository, whichever fork builds it.
[ -z "${GITHUB_SHA:-}" ] || args+=(--revision "$GITHUB_SHA")

go run ./cmd/image "${args[@]}" "$@"
