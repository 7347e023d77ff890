# pollstack: the two commands a newcomer needs are `make run` and `make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/bin:$(PATH)
# Terraform installs hashicorp/aws from the machine's local mirror (scripts/terraform-rc.sh).
export TF_CLI_CONFIG_FILE := $(TOOLS)/terraform.rc
export TF_IN_AUTOMATION := 1

# Heavy Go suites (PostgreSQL, the browser, the AWS emulator, the scanners'
# planted problems, real server processes) carry this build tag; without it
# `go test ./...` is the quick loop.
INTEGRATION := integration
# Two packages more than cores (go test's default is as many): the two
# longest, the emulated apply (e2e/aws) and the scanners' planted problems
# (checks), mostly wait on Terraform, moto and the scanners, so the others
# share the cores beside them.
GO_TEST_FLAGS ?= -race -count=1 -timeout 45m -p $(shell echo $$(( $$(getconf _NPROCESSORS_ONLN) + 2 )))
# PKGS narrows test-go to some packages: make test-go PKGS=./e2e/browser.
# go test starts packages in the order named: the slowest come first, so
# that none of them starts last and runs alone at the end.
PKGS ?= ./e2e/aws ./checks ./e2e/browser ./web ./cmd/image ./...
# Each stage's wall time goes here; .ci/run prints the table at the end.
STAGES := $(CURDIR)/out/stages.txt
stage = scripts/stage.sh $(STAGES)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

.PHONY: run
# The binary runs itself rather than under `go run`, which ends with status
# 1 after Ctrl-C however cleanly the server stopped. Locally nobody reads the
# CloudWatch metric lines (--emf-interval 0s); logs are text on a terminal.
# A server key kept in out/ lets browsers keep their polls across restarts.
run: ## run the server on the embedded SQLite default (http://localhost:8080)
	go build -o out/pollstack ./cmd/pollstack
	test -s out/server.key || (umask 077 && head -c 32 /dev/urandom | base64 > out/server.key)
	out/pollstack serve --drain-period 0s --emf-interval 0s --server-key-file out/server.key

.PHONY: test
# The four parts run side by side: much of the emulated apply and of the
# Terraform tests is waiting, which the others fill. -O keeps each part's
# output together.
test: tools ## run every test: Go (stores, API, browser, faults, emulated AWS), Terraform, security gates
	mkdir -p out
	$(MAKE) --no-print-directory -j4 -O lint test-go test-infra scan

.PHONY: test-unit
test-unit: ## the quick loop: every package's fast tests, no tool, server or network (under a minute)
	go test -count=1 ./...

.PHONY: test-go
# Tests with figures (fault tests, emulated apply) append them to out/figures.txt,
# printed at the end so that they reach the CI log without go test -v.
# Every benchmark also runs once (-benchtime 1x), so that none rots unseen,
# in a run of its own over the packages that have one: with -bench, go test
# runs the packages one after another, their tests included.
FIGURES := $(CURDIR)/out/figures.txt

test-go: tools ## Go tests with the heavy suites (PKGS=./e2e/browser for one room)
	mkdir -p out && rm -f $(FIGURES)
	$(stage) go-tests env POLLSTACK_FIGURES=$(FIGURES) go test $(GO_TEST_FLAGS) -tags $(INTEGRATION) $(PKGS)
	pkgs=$$(go list -tags $(INTEGRATION) -f '{{.ImportPath}} {{.Dir}}' $(PKGS) | while read -r p d; do \
	  ! grep -qs '^func Benchmark' "$$d"/*_test.go || echo "$$p"; done); \
	[ -z "$$pkgs" ] || $(stage) go-benchmarks env POLLSTACK_FIGURES=$(FIGURES) \
	  go test $(GO_TEST_FLAGS) -tags $(INTEGRATION) -run '^$$' -bench . -benchtime 1x $$pkgs
	@echo "== figures"; cat $(FIGURES) 2>/dev/null || true

.PHONY: test-infra
test-infra: tools ## terraform fmt, validate and test of every module and environment (offline)
	$(stage) terraform scripts/terraform-check.sh

.PHONY: scan
scan: tools ## security gates: gitleaks, Checkov, Trivy config, actionlint + shellcheck, zizmor, govulncheck, workflow rules, IAM policy validation
	$(stage) scan scripts/scan.sh

.PHONY: lint
# No file is left out by the integration tag (the heavy suites only add
# files), so one vet and one staticcheck with the tag see every file: a
# second vet without it compiled the tree again for nothing.
lint: tools ## gofmt, go vet and staticcheck over every file (the heavy suites' build tag included)
	$(stage) lint bash -c 'scripts/gofmt-check.sh && go vet -tags $(INTEGRATION) ./... && staticcheck -tags $(INTEGRATION) ./...'

.PHONY: image
image: tools ## build the linux/amd64 container image as an OCI archive in dist/ (no Docker needed)
	scripts/image.sh

.PHONY: bench
# BASELINE is the revision whose server runs the hot poll beside this tree's
# in the same run (default: main before issue 16, when the log wrote every
# request): make bench BASELINE=<rev>; BASELINE= measures this tree alone.
BASELINE ?= bb1083f
bench: tools ## benchmarks: hot poll against a baseline revision, pgbench's ceiling and a Django peer; reads, subscribers; prints a table
	go run ./cmd/bench $(if $(BASELINE),-baseline $(BASELINE))

.PHONY: tools
tools: ## install the pinned tools into .tools/ (once per version)
	mkdir -p out
	$(stage) tools scripts/install-tools.sh
