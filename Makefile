# oidc-data-proxy developer entry points. Tools are pinned and installed by
# scripts/install-tools.sh into $ODP_TOOLS_DIR (default ~/.cache/oidc-data-proxy).
#   make dev     local Worker on http://127.0.0.1:8787 with seeded sample data
#   make test    fmt-check clippy unit build integration (what CI runs)
#   make tools   install every pinned tool (build + test)
#   make build   build/worker/shim.mjs via worker-build --release
#   make bench   loopback benchmark (scripts/bench.sh, docs/BENCHMARKS.md)
#   make clean   remove build outputs and local wrangler state
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
ENV := . scripts/env.sh &&
PORT ?= 8787
STATE ?= .wrangler/state
# Steps depend on each other in order (tools before seeding, build before integration).
.NOTPARALLEL:

.PHONY: dev test tools build-tools test-tools build fmt-check clippy unit integration \
        dev-vars seed bench clean

dev: build-tools dev-vars seed
	@$(ENV) aws="$$ODP_VENV/bin/aws"; \
	[ -x "$$aws" ] || { aws=aws; echo "(no awscli in the tools venv: run 'make tools' to install it)"; }; \
	ep="http://127.0.0.1:$(PORT)"; \
	echo; echo "Starting wrangler dev on $$ep (Ctrl-C to stop). Try, in another shell:"; \
	echo "  curl $$ep/"; \
	echo "  curl $$ep/demo/public-data/cities.csv"; \
	echo "  $$aws s3 ls --no-sign-request --endpoint-url $$ep s3://demo/"; \
	echo "  $$aws s3 ls --no-sign-request --endpoint-url $$ep --recursive s3://demo/public-data/nested/"; \
	echo "  $$aws s3 cp --no-sign-request --endpoint-url $$ep s3://demo/public-data/cities.parquet /tmp/cities.parquet"; \
	echo
	@$(ENV) exec wrangler dev --ip 127.0.0.1 --port $(PORT) --persist-to $(STATE) \
	  --show-interactive-dev-session=false

test:
	@$(MAKE) --no-print-directory test-tools
	@$(MAKE) --no-print-directory fmt-check
	@$(MAKE) --no-print-directory clippy
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory integration

tools:
	@bash scripts/install-tools.sh all
build-tools:
	@bash scripts/install-tools.sh build
test-tools:
	@bash scripts/install-tools.sh test

build: build-tools
	@bash scripts/build-worker.sh --release

fmt-check:
	cargo fmt --all -- --check

# Both targets: natively (the core + tests) and for the Worker (src/edge is wasm32 only).
clippy:
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings

unit:
	cargo test

# The integration tests start `wrangler dev` themselves; `build` just ran, so they
# reuse build/ (ODP_SKIP_BUILD=1) instead of re-running worker-build.
integration:
	@$(ENV) ODP_SKIP_BUILD=1 "$$ODP_VENV/bin/pytest" tests/integration -q

dev-vars:
	@bash scripts/dev-vars.sh

seed:
	@bash scripts/seed-r2.sh --persist-to $(STATE)

# scripts/bench.sh installs its own prerequisites (wrk, tools, build).
bench:
	@bash scripts/bench.sh

clean:
	cargo clean
	rm -rf build .wrangler/state .wrangler/tmp
