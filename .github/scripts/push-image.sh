#!/usr/bin/env bash
# deploy.yml, apply job (deploy role): pushes the image archive that the gates
# built and scanned to ECR by its digest, with CI's Sigstore bundles (its
# signed SBOM and provenance, from the attest job) as OCI referrers of that
# digest, after verify-image.sh has verified them: it pushes nothing but
# VERIFIED_IMAGE, the image the plan names.
set -euo pipefail
: "${IMAGE_DIGEST:?the gates job gives the image digest}"
: "${AWS_REGION:?}"
: "${VERIFIED_IMAGE:?verify-image.sh runs first and gives the verified image}"
env_root=infra/envs

want=$(cat "$env_root/image.ref")
[ "$want" = "$VERIFIED_IMAGE" ] || { echo "::error::the plan names $want, verify-image.sh verified $VERIFIED_IMAGE"; exit 1; }
repo=${want%@*}
[ "${want#*@}" = "$IMAGE_DIGEST" ] || { echo "::error::the plan names ${want#*@}, the gates built $IMAGE_DIGEST"; exit 1; }
got=$(go run ./cmd/image digest --archive dist/pollstack.oci.tar)
[ "$got" = "$IMAGE_DIGEST" ] || { echo "::error::the image artifact is $got, the gates scanned $IMAGE_DIGEST"; exit 1; }

# The ECR token goes from the AWS CLI to the push through a pipe, never to disk.
aws ecr get-login-password --region "$AWS_REGION" |
  go run ./cmd/image push --archive dist/pollstack.oci.tar --repo "$repo" --tag "$GITHUB_SHA" \
    --attestation dist/attestations/provenance.sigstore.json \
    --attestation dist/attestations/sbom.sigstore.json \
    --username AWS --password-stdin >"$RUNNER_TEMP/pushed.ref"
pushed=$(cat "$RUNNER_TEMP/pushed.ref")
[ "$pushed" = "$want" ] || { echo "::error::pushed $pushed, want $want"; exit 1; }
echo "pushed $pushed" | tee -a "$GITHUB_STEP_SUMMARY"
