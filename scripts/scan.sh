#!/usr/bin/env bash
# The security gates behind `make scan` (part of `make test`) and CI. Each
# gate runs with the configuration committed in this repository; a finding
# that is not suppressed with a reason fails the gate, and the summary names
# every gate that failed.
#
#   scripts/scan.sh                 every gate
#   scripts/scan.sh GATE...         only these gates
#
# Gates:
#   gitleaks-history  secrets in every commit of the git history (.gitleaks.toml)
#   gitleaks-tree     secrets in the working tree, committed or not
#                     (.gitleaks-tree.toml: .gitleaks.toml and the root's build output)
#   checkov           Terraform under infra/, the environments' root once per
#                     variable file (.checkov.yaml; suppressions inline in the .tf files)
#   trivy-config      Terraform under infra/, once per environment variable file,
#                     and the image definition (.trivyignore.yaml)
#   actionlint        .github/workflows/, with shellcheck on every run: block;
#                     and ShellCheck on every shell script of the repository
#   zizmor            the workflows, actions and dependabot.yml (auditor persona;
#                     fails on medium and above; offline unless GH_TOKEN is set)
#   govulncheck       known vulnerabilities that the module's code reaches
#                     (GOVULNDB, default the pinned snapshot in .tools/vulndb)
#   workflow-rules    the Go test in checks/ that enforces the workflow rules
#   iam-policies      every IAM document that both environments render (real
#                     Terraform on mocked AWS) against AWS's action, resource-type
#                     and condition-key data (e2e/platform TestRenderedPoliciesValidate)
#   trivy-image       (not in the default set) the image archive's known
#                     vulnerabilities, fixable HIGH or CRITICAL (.trivyignore.yaml)
#
# The tools are the pinned ones from scripts/install-tools.sh (`make tools`).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
export PATH="$PWD/.tools/bin:$PATH"

ALL_GATES=(gitleaks-history gitleaks-tree checkov trivy-config actionlint zizmor govulncheck workflow-rules iam-policies)

need() {
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "scan: $tool is not installed: run \`make tools\` (scripts/install-tools.sh)" >&2
      return 1
    fi
  done
}

gate_gitleaks_history() {
  need gitleaks git || return 1
  if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
    echo "scan: shallow clone: the secret scan must read the whole history (git fetch --unshallow)" >&2
    return 1
  fi
  # --log-opts=--all: every commit reachable from any ref, not only HEAD.
  gitleaks git --config .gitleaks.toml --redact --verbose --no-banner --exit-code 1 --log-opts=--all .
}

gate_gitleaks_tree() {
  need gitleaks || return 1
  # .gitleaks-tree.toml: .gitleaks.toml and the root's git-ignored output.
  gitleaks dir --config .gitleaks-tree.toml --redact --verbose --no-banner --exit-code 1 .
}

gate_checkov() {
  need checkov || return 1
  if [ ! -d infra ]; then
    echo "scan: no infra/ directory: no Terraform to scan"
    return 0
  fi
  local rc=0 vars
  # The modules and the bootstrap root on their own defaults, then the
  # environments' root once per variable file: what each environment
  # really deploys (docs/decisions.md).
  echo "-- checkov infra (modules, bootstrap)"
  checkov -d infra --skip-path infra/envs --framework terraform --config-file .checkov.yaml || rc=1
  for vars in infra/envs/*.tfvars; do
    [ -e "$vars" ] || continue
    echo "-- checkov infra/envs with ${vars##*/}"
    checkov -d infra/envs --var-file "$vars" --framework terraform --config-file .checkov.yaml || rc=1
  done
  return $rc
}

gate_trivy_config() {
  need trivy go || return 1
  local work rc=0
  work=$(mktemp -d) || return 1
  # The image is built by cmd/image (no Dockerfile); it renders the same
  # definition as a Dockerfile for the scanner.
  mkdir -p "$work/image"
  go run ./cmd/image dockerfile >"$work/image/Dockerfile" || { rm -rf "$work"; return 1; }
  local common=(--exit-code 1 --skip-check-update --cache-dir "$work/cache" --ignorefile .trivyignore.yaml --quiet)
  if [ -d infra ]; then
    # Once per environment variable file: the environments' root as that
    # environment deploys it, and every module and the bootstrap root.
    local vars varfiles=()
    for vars in infra/envs/*.tfvars; do
      [ -e "$vars" ] && varfiles+=("$vars")
    done
    [ ${#varfiles[@]} -gt 0 ] || varfiles=("")
    for vars in "${varfiles[@]}"; do
      echo "-- trivy config infra${vars:+ with ${vars##*/}}"
      trivy config "${common[@]}" --misconfig-scanners terraform --tf-exclude-downloaded-modules ${vars:+--tf-vars "$vars"} infra || rc=1
    done
  else
    echo "scan: no infra/ directory: no Terraform to scan"
  fi
  echo "-- trivy config image definition (go run ./cmd/image dockerfile)"
  trivy config "${common[@]}" --misconfig-scanners dockerfile "$work/image" || rc=1
  rm -rf "$work"
  return $rc
}

shell_scripts() {
  local f
  git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
    case $f in
    checks/testdata/*) ;;
    *.sh) echo "$f" ;;
    *) [ -f "$f" ] && head -n1 "$f" | grep -qE '^#!.*(/|env )(ba)?sh\b' && echo "$f" ;;
    esac
  done
}

gate_actionlint() {
  need actionlint shellcheck git || return 1
  local rc=0 scripts=()
  shopt -s nullglob
  local workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
  if [ ${#workflows[@]} -eq 0 ]; then
    echo "scan: no workflows under .github/workflows" >&2
    return 1
  fi
  actionlint -shellcheck "$(command -v shellcheck)" "${workflows[@]}" || rc=1
  # Every shell script of the repository, whatever its name: *.sh and any
  # file whose first line runs bash or sh (.ci/run), tracked or new; not
  # the planted repositories the workflow rules test reads.
  mapfile -t scripts < <(shell_scripts)
  shellcheck --severity=style "${scripts[@]}" || rc=1
  return $rc
}

gate_zizmor() {
  need zizmor || return 1
  # The auditor persona also reports what the regular one leaves out (an
  # image pinned by tag only); a finding that is wrong is suppressed inline,
  # `# zizmor: ignore[audit]`, with the reason. Without a token the audits
  # that ask GitHub (impostor commits, known-vulnerable actions) are skipped.
  local online=(--offline)
  [ -z "${GH_TOKEN:-}" ] || online=()
  zizmor "${online[@]}" --persona auditor --min-severity medium .
}

gate_govulncheck() {
  need govulncheck go || return 1
  local db=${GOVULNDB:-}
  if [ -z "$db" ]; then
    if [ ! -d .tools/vulndb ]; then
      echo "scan: no vulnerability database in .tools/vulndb: run \`make tools\` (or set GOVULNDB)" >&2
      return 1
    fi
    db=file://$(cd .tools/vulndb && pwd -P)
  fi
  # The standard library is checked at the Go that builds what ships: the
  # toolchain go.mod names (CI installs exactly that one), which the go
  # command fetches from the module proxy when the machine's Go is older.
  local toolchain
  toolchain=$(sed -n 's/^toolchain //p' go.mod)
  echo "govulncheck: database $db, Go ${toolchain:-of this machine}"
  # Symbols, not modules: a finding means the code calls the vulnerable function.
  GOTOOLCHAIN=${toolchain:-${GOTOOLCHAIN:-local}} govulncheck -db "$db" ./...
}

# Not in `make scan`: it needs the image (make image) and Trivy's
# vulnerability database, which Trivy downloads at run time (CI's image job
# runs it); TRIVY_CACHE_DIR names a database already there and skips the
# download.
gate_trivy_image() {
  need trivy tar || return 1
  local archive=${IMAGE_ARCHIVE:-dist/pollstack.oci.tar} work rc=0
  if [ ! -f "$archive" ]; then
    echo "scan: no image archive $archive: run \`make image\` (or set IMAGE_ARCHIVE)" >&2
    return 1
  fi
  local db=()
  [ -z "${TRIVY_CACHE_DIR:-}" ] || db=(--cache-dir "$TRIVY_CACHE_DIR" --skip-db-update --offline-scan)
  work=$(mktemp -d) || return 1
  # Trivy reads an OCI image layout as a directory.
  tar -xf "$archive" -C "$work" || { rm -rf "$work"; return 1; }
  trivy image --input "$work" --scanners vuln --severity HIGH,CRITICAL --ignore-unfixed \
    --exit-code 1 --ignorefile .trivyignore.yaml --quiet "${db[@]}" || rc=1
  rm -rf "$work"
  return $rc
}

gate_workflow_rules() {
  need go || return 1
  go test -count=1 -run '^TestWorkflowRules' ./checks
}

gate_iam_policies() {
  need go terraform node || return 1
  # Only the validation: the test binary renders both environments first.
  go test -count=1 -tags integration -run '^TestRenderedPoliciesValidate$' ./e2e/platform
}

gates=("$@")
[ ${#gates[@]} -gt 0 ] || gates=("${ALL_GATES[@]}")
failed=()
for gate in "${gates[@]}"; do
  fn=gate_${gate//-/_}
  if ! declare -F "$fn" >/dev/null; then
    echo "scan: unknown gate $gate (gates: ${ALL_GATES[*]} trivy-image)" >&2
    exit 2
  fi
  echo "== scan: $gate"
  if "$fn"; then
    echo "== scan: $gate passed"
  else
    echo "== scan: $gate FAILED"
    failed+=("$gate")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "scan: FAILED gates: ${failed[*]}"
  exit 1
fi
echo "scan: all ${#gates[@]} gates passed: ${gates[*]}"
