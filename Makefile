# pollstack: the two commands a newcomer needs are `make run` and `make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/bin:$(PATH)
# Terraform installs hashicorp/aws from the machine's local mirror (scripts/terraform-rc.sh).
export TF_CLI_CONFIG_FILE := $(TOOLS)/terraform.rc
export TF_IN_AUTOMATION := 1

GO_TEST_FLAGS ?= -race -count=1 -timeout 45m

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

.PHONY: run
run: ## run the server on the embedded SQLite default (http://localhost:8080)
	go run ./cmd/pollstack serve --drain-period 0s

.PHONY: test
test: tools lint test-go test-infra scan ## run every test: Go (stores, API, browser, faults, emulated AWS), Terraform, security gates

.PHONY: test-go
# Tests with figures (fault tests, emulated apply) append them to out/figures.txt,
# printed at the end so that they reach the CI log without go test -v.
FIGURES := $(CURDIR)/out/figures.txt

test-go: tools ## Go tests only
	mkdir -p out && rm -f $(FIGURES)
	POLLSTACK_FIGURES=$(FIGURES) go test $(GO_TEST_FLAGS) ./...
	@echo "== figures"; cat $(FIGURES) 2>/dev/null || true

.PHONY: test-infra
test-infra: tools ## terraform fmt, validate and test of every module and environment (offline)
	scripts/terraform-check.sh

.PHONY: scan
scan: tools ## security gates: gitleaks, Checkov, Trivy config, actionlint + shellcheck, workflow rules
	scripts/scan.sh

.PHONY: lint
lint: tools ## go vet and staticcheck
	go vet ./...
	staticcheck ./...

.PHONY: image
image: tools ## build the linux/amd64 container image as an OCI archive in dist/ (no Docker needed)
	scripts/image.sh

.PHONY: bench
bench: tools ## benchmarks: hot-poll votes against pgbench's ceiling, reads, subscribers; prints a table
	go run ./bench

.PHONY: tools
tools: ## install the pinned tools into .tools/ (once per version)
	scripts/install-tools.sh
