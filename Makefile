# flaskstack: `make demo` and `make test` work from a fresh clone on a fresh Debian 12
# machine, as root: each target sets up what it needs (venv, Docker engine, lab images).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON ?= python3
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PYTHONDONTWRITEBYTECODE := 1
SCENARIOS ?= default nginx uwsgi flaskapp faults deploy apps cluster

.PHONY: help venv sslyze deps docker images demo demo-cluster status demo-destroy test lint unit validation collection collection-test argspecs syntax molecule bench bench-smoke bench-report lock clean env

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed ## Controller virtualenv from the pinned requirements.txt

build/sslyze/.installed: requirements-sslyze.txt
	$(PYTHON) -m venv build/sslyze
	build/sslyze/bin/pip install --quiet --upgrade pip
	build/sslyze/bin/pip install --quiet -r requirements-sslyze.txt
	touch $@

sslyze: build/sslyze/.installed ## sslyze, the Mozilla-profile TLS checker the nginx scenario runs, in its own virtualenv (it pins an older cryptography)

deps: venv ## Collections from requirements.yml (already shipped by the pinned ansible)
	ansible-galaxy collection install -r requirements.yml

docker: ## Install and start a Docker engine if none answers
	tools/ensure-docker.sh

images: docker ## Build the Debian 12 and 13 lab images if their recipe changed
	tools/lab-image.sh bookworm
	tools/lab-image.sh trixie

demo: deps docker ## Provision the demo container with site.yml and show what the app answers
	tools/demo.sh up

demo-cluster: deps docker ## A balancer and two app hosts with site.yml; the balancer on 127.0.0.1:8081 answers from both
	tools/demo.sh cluster-up

status: deps ## playbooks/status.yml against each demo that is up: releases, workers, requests, queue, health, upstreams, certificates
	tools/demo.sh status

demo-destroy: ## Remove the demo containers (and the cluster demo's network)
	tools/demo.sh destroy

test: lint unit validation collection-test molecule ## Every check: linters, spec check, unit tests, bad-input suite, the installed collection, the Molecule scenarios below

lint: venv ## yamllint, ansible-lint (production), ruff, argument_specs vs defaults
	yamllint --strict .
	ansible-lint
	ruff check .
	ruff format --check .
	$(MAKE) --no-print-directory argspecs syntax

argspecs: venv ## Check that each role's defaults/main.yml matches meta/argument_specs.yml
	python tools/check_argspecs.py roles/*/

syntax: venv ## site.yml parses against every inventory
	for inventory in inventories/*/hosts.yml; do \
	  ansible-playbook -i $$inventory site.yml --syntax-check; \
	done

unit: venv ## The sample app's own tests and the unit tests of the input checks (tests/unit)
	cd app && pytest -q
	pytest -q -n 2 tests/unit

validation: venv ## Bad inputs refused before anything changes, example inventories accepted, from the checkout and the installed collection (no container)
	# Two workers, one per core: each case is an ansible-playbook run of its own.
	pytest -q -n 2 tests/validation

collection: venv ## Build the collection tarball build/flaskstack-stack-VERSION.tar.gz
	ansible-galaxy collection build --force --output-path build/

collection-test: venv ## Install the collection built from the checkout by itself: ansible-doc of its roles, flaskstack.stack.site parses (no container)
	pytest -q tests/collection

molecule: deps images sslyze ## Molecule scenarios default, nginx, uwsgi, flaskapp, faults, deploy, apps, cluster (SCENARIOS="default nginx" for some)
	export FLASKSTACK_IMAGE_BOOKWORM=$$(tools/lab-image.sh --name bookworm) \
	       FLASKSTACK_IMAGE_TRIXIE=$$(tools/lab-image.sh --name trixie); \
	log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	for scenario in $(SCENARIOS); do \
	  echo "=== molecule test -s $$scenario (started $$(date -u +%T))"; \
	  if ! molecule test -s $$scenario 2>&1 | tee "$$log"; then \
	    echo "=== molecule test -s $$scenario failed; the failures, again, as CI shows only the end:"; \
	    sed 's/\x1b\[[0-9;]*m//g' "$$log" | grep -a -A12 -E '│ E |FAILED|fatal: |ERROR! ' | grep -a -v 'RETRYING' | tail -n 80; \
	    echo "=== molecule test -s $$scenario failed at:"; \
	    sed 's/\x1b\[[0-9;]*m//g' "$$log" | grep -a -E 'fatal: \[|ERROR! |Idempotence test failed' | grep -a -v 'RETRYING' | tail -n 10; \
	    sed 's/\x1b\[[0-9;]*m//g' "$$log" | sed -n '/short test summary info/,/ in [0-9.]*s/p' | tail -n 40; \
	    exit 1; \
	  fi; \
	done; \
	echo "=== molecule scenarios done $$(date -u +%T)"

bench: deps docker ## Benchmark against the alternatives on a fresh container, then a cluster's topologies and converge scaling: docs/performance.*, docs/cluster-performance.*
	python -m tools.bench.run
	python -m tools.bench.cluster

bench-smoke: deps docker ## The whole benchmark harness with 1 s runs at 1 and 8 connections, into build/bench-smoke/
	python -m tools.bench.run --smoke
	python -m tools.bench.cluster --smoke

bench-report: venv ## Write docs/performance.md and .png again from docs/performance.json
	python -m tools.bench.report docs/performance.json

lock: venv ## Regenerate the pinned requirements.txt from requirements.in
	$(BIN)/pip install --quiet -r requirements.in
	{ echo "# Controller tools, fully pinned. Generated from requirements.in by \`make lock\`; do not edit by hand."; \
	  $(BIN)/pip freeze --exclude-editable; } > requirements.txt

clean: demo-destroy ## Remove the demo container, the virtualenv and build/ (benchmark logs, smoke results)
	rm -rf $(VENV) build

env: ## Print the exports `molecule` needs by hand: eval "$(make -s env)"
	@echo "export PATH=$(BIN):\$$PATH ANSIBLE_CONFIG=$(ANSIBLE_CONFIG)"
	@echo "export FLASKSTACK_IMAGE_BOOKWORM=$$(tools/lab-image.sh --name bookworm)"
	@echo "export FLASKSTACK_IMAGE_TRIXIE=$$(tools/lab-image.sh --name trixie)"
