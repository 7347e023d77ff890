#!/usr/bin/env bash
# deploy.yml, apply job, before the push and before `terraform apply`: the
# image the plan names must carry a build provenance and an SBOM
# attestation of its exact digest (the attest job's bundles, read from the
# artifact), signed keylessly by this repository's ci.yml on main as called
# by deploy.yml on main, for this repository's and owner's numeric IDs, on a
# GitHub-hosted runner, logged in Sigstore's public transparency log, and
# the provenance must name this commit. Anything else stops the deploy here,
# before anything is pushed or applied. The verified image goes to the
# later steps as VERIFIED_IMAGE: the push, the apply and the migration each
# check that they handle exactly it.
#
# SIGSTORE_TRUSTED_ROOT (optional): a trusted_root.json in place of the
# public-good instance's (a private repository's attestations are signed by
# GitHub's own instance: docs/deploy.md).
set -euo pipefail
: "${GITHUB_SERVER_URL:?runs in GitHub Actions}" "${GITHUB_REPOSITORY:?}" "${GITHUB_SHA:?}"
: "${GITHUB_REPOSITORY_ID:?}" "${GITHUB_REPOSITORY_OWNER_ID:?}" "${GITHUB_ENV:?}"
image=$(cat infra/envs/image.ref)
workflows="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/.github/workflows"
identity="$workflows/ci.yml@refs/heads/main"

args=(--image "$image" --issuer https://token.actions.githubusercontent.com
  --bundle dist/attestations/provenance.sigstore.json --bundle dist/attestations/sbom.sigstore.json)
# Each "check:" line is one the mutation test (checks/mutation_test.go)
# deletes to show that a test fails without it.
# check: script identity
args+=(--identity "$identity")
# check: script calling workflow
args+=(--caller "$workflows/deploy.yml@refs/heads/main")
# check: script repository IDs
args+=(--repository-id "$GITHUB_REPOSITORY_ID" --owner-id "$GITHUB_REPOSITORY_OWNER_ID")
# check: script commit
args+=(--commit "$GITHUB_SHA")
[ -z "${SIGSTORE_TRUSTED_ROOT:-}" ] || args+=(--trusted-root "$SIGSTORE_TRUSTED_ROOT")

if ! go run ./cmd/verify-image "${args[@]}" | tee -a "${GITHUB_STEP_SUMMARY:-/dev/null}"; then
  echo "::error::$image is not signed by $identity: not deploying it (nothing was pushed or applied)"
  exit 1
fi
echo "VERIFIED_IMAGE=$image" >>"$GITHUB_ENV"
