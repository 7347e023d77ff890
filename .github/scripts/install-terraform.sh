#!/usr/bin/env bash
# CI only (the setup action): installs the Terraform CLI at the project's
# version from HashiCorp's releases, after checking the archive against the
# SHA-256 pinned here (HashiCorp's terraform_VERSION_SHA256SUMS), and puts
# it on PATH. hashicorp/setup-terraform downloads it without any check.
set -euo pipefail
version=1.11.4
sha256=1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc # terraform_1.11.4_linux_amd64.zip
dir=${RUNNER_TEMP:?runs in GitHub Actions}/terraform-$version
zip=$dir/terraform_${version}_linux_amd64.zip
mkdir -p "$dir/bin"
curl --fail --silent --show-error --location --retry 3 -o "$zip" \
  "https://releases.hashicorp.com/terraform/$version/terraform_${version}_linux_amd64.zip"
echo "$sha256  $zip" | sha256sum --check --strict
unzip -q -o "$zip" terraform -d "$dir/bin"
"$dir/bin/terraform" version
echo "$dir/bin" >>"$GITHUB_PATH"
