#!/usr/bin/env bash
# deploy.yml, apply job (deploy role), before `terraform apply`: the image the
# plan names must carry a build provenance and an SBOM attestation of its
# exact digest, signed keylessly by this repository's ci.yml on main (the
# attest job) and logged in Sigstore's public transparency log, and the
# provenance must name this commit. Anything else stops the deploy here.
set -euo pipefail
: "${AWS_REGION:?}"
: "${GITHUB_SERVER_URL:?runs in GitHub Actions}" "${GITHUB_REPOSITORY:?}" "${GITHUB_SHA:?}"
image=$(cat infra/envs/image.ref)
identity="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/.github/workflows/ci.yml@refs/heads/main"

if ! aws ecr get-login-password --region "$AWS_REGION" |
  go run ./cmd/verify-image --image "$image" --identity "$identity" \
    --issuer https://token.actions.githubusercontent.com --commit "$GITHUB_SHA" \
    --username AWS --password-stdin | tee -a "$GITHUB_STEP_SUMMARY"; then
  echo "::error::$image is not signed by $identity: not deploying it (nothing was applied)"
  exit 1
fi
