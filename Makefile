# oidc-data-proxy developer entry points. Tools are pinned and installed by
# scripts/install-tools.sh into $ODP_TOOLS_DIR (default ~/.cache/oidc-data-proxy).
#   make dev     local Worker on http://127.0.0.1:8787 with seeded sample data, and the
#                dev OpenID IdP on http://127.0.0.1:8788 (scripts/dev-idp.py, scripts/dev-token)
#   make test    fmt-check clippy unit fuzz-smoke idp-test build deploy-check tools-test integration
#                (what CI runs)
#   make fuzz    libFuzzer targets of fuzz/, FUZZ_SECONDS (60) each; FUZZ_TARGETS="jwt session"
#                picks some (docs/FUZZING.md)
#   make deploy-check  offline `wrangler deploy --dry-run` of every wrangler.toml environment
#   make tools   install every pinned tool (build + test)
#   make build   build/worker/shim.mjs via worker-build --release
#   make bench   loopback benchmark (scripts/bench.sh, docs/BENCHMARKS.md)
#   make profile CPU profile of the Worker (profiling wasm, names kept) under a request mix:
#                top functions by self/total time + sampled CPU per request; MIX=get64k|range|
#                list|r2get64k|r2list|jwks|discovery|sts|signed|root|miss (comma-separated),
#                REQUESTS=300 (scripts/profile.py --help, docs/BENCHMARKS.md "Profiles")
#   make soak    100,000 requests of 10,000 principals: the Worker's own memory plateaus (docs/BENCHMARKS.md)
#   make load    64 in flight for 60 s, every answer checked against its principal (docs/BENCHMARKS.md)
#   make clean   remove build outputs and local wrangler state
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
ENV := . scripts/env.sh &&
PORT ?= 8787
STATE ?= .wrangler/state
# The dev IdP's port is fixed: .dev.vars' AUTH_ISSUER (scripts/dev-vars.sh) names it.
IDP_PORT := 8788
IDP_STATE ?= .wrangler/dev-idp
# Steps depend on each other in order (tools before seeding, build before integration).
.NOTPARALLEL:

.PHONY: dev dev-idp test tools build-tools dev-tools test-tools fuzz-tools build fmt-check clippy unit \
        idp-test deploy-check tools-test integration dev-vars seed bench profile soak load clean fuzz fuzz-smoke

# The dev IdP runs in the background (keys in $(IDP_STATE), log $(IDP_STATE)/idp.log) and is
# stopped when wrangler exits; one already answering on $(IDP_PORT) is reused and left alone.
dev: dev-tools dev-vars seed
	@$(ENV) aws="$$ODP_VENV/bin/aws"; \
	[ -x "$$aws" ] || { aws=aws; echo "(no awscli in the tools venv: run 'make tools' to install it)"; }; \
	ep="http://127.0.0.1:$(PORT)"; idp="http://127.0.0.1:$(IDP_PORT)"; \
	role="arn:aws:iam::000000000000:role/_default"; log="$(IDP_STATE)/idp.log"; \
	disc="$$(curl -fsS --noproxy '*' --max-time 2 "$$idp/.well-known/openid-configuration" 2>/dev/null || true)"; \
	if [[ "$$disc" == *"\"issuer\": \"$$idp\""* ]]; then \
	  echo "dev IdP: reusing the one already running on $$idp"; \
	else \
	  mkdir -p "$(IDP_STATE)"; \
	  "$$ODP_VENV/bin/python" scripts/dev-idp.py --port $(IDP_PORT) --state-dir "$(IDP_STATE)" >"$$log" 2>&1 & \
	  idp_pid=$$!; trap 'kill $$idp_pid 2>/dev/null && wait $$idp_pid; true' EXIT; \
	  for _ in $$(seq 100); do \
	    grep -q '^dev-idp ready' "$$log" && break; kill -0 $$idp_pid 2>/dev/null || break; sleep 0.1; \
	  done; \
	  grep -q '^dev-idp ready' "$$log" || { echo "dev IdP did not start ($$log):" >&2; cat "$$log" >&2; exit 1; }; \
	  echo "dev IdP on $$idp (pid $$idp_pid, keys in $(IDP_STATE), log $$log)"; \
	fi; \
	echo; echo "Starting wrangler dev on $$ep (Ctrl-C to stop). Try, in another shell:"; \
	echo "  curl $$ep/"; \
	echo "  curl $$ep/demo/public-data/cities.csv"; \
	echo "  $$aws s3 ls --no-sign-request --endpoint-url $$ep s3://demo/"; \
	echo "  $$aws s3 ls --no-sign-request --endpoint-url $$ep --recursive s3://demo/public-data/nested/"; \
	echo "  $$aws s3 cp --no-sign-request --endpoint-url $$ep s3://demo/public-data/cities.parquet /tmp/cities.parquet"; \
	echo "Sign in as alice (dev IdP token -> the proxy's STS -> temporary credentials):"; \
	echo "  TOKEN=\$$(scripts/dev-token alice)"; \
	echo "  $$aws sts assume-role-with-web-identity --endpoint-url $$ep/.sts --role-arn $$role --role-session-name alice --web-identity-token \"\$$TOKEN\""; \
	echo "Or let the aws CLI do the exchange itself, and read the restricted product:"; \
	echo "  scripts/dev-token alice -o /tmp/alice.jwt"; \
	echo "  AWS_WEB_IDENTITY_TOKEN_FILE=/tmp/alice.jwt AWS_ROLE_ARN=$$role AWS_ENDPOINT_URL_STS=$$ep/.sts \\"; \
	echo "    $$aws s3 cp --endpoint-url $$ep s3://demo/restricted-data/secret.csv -"; \
	echo; \
	wrangler dev --ip 127.0.0.1 --port $(PORT) --persist-to $(STATE) --show-interactive-dev-session=false

# Just the dev IdP, in the foreground (scripts/dev-token alice gets a token from it).
dev-idp: dev-tools
	@$(ENV) exec "$$ODP_VENV/bin/python" scripts/dev-idp.py --port $(IDP_PORT) --state-dir "$(IDP_STATE)"

test:
	@$(MAKE) --no-print-directory test-tools
	@$(MAKE) --no-print-directory fmt-check
	@$(MAKE) --no-print-directory clippy
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory idp-test
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory deploy-check
	@$(MAKE) --no-print-directory tools-test
	@$(MAKE) --no-print-directory integration

tools:
	@bash scripts/install-tools.sh all
build-tools:
	@bash scripts/install-tools.sh build
dev-tools:
	@bash scripts/install-tools.sh dev
test-tools:
	@bash scripts/install-tools.sh test
fuzz-tools:
	@bash scripts/install-tools.sh fuzz

build: build-tools
	@bash scripts/build-worker.sh --release

# fuzz/ is a workspace of its own: `--all` does not reach it.
fmt-check:
	cargo fmt --all -- --check
	cargo fmt --manifest-path fuzz/Cargo.toml -- --check
	cargo fmt --manifest-path tests/support/bench/rust_floor/Cargo.toml -- --check

# Both targets: natively (the core + tests) and for the Worker (src/edge is wasm32 only);
# then the fuzz workspace (~10 s once checked, ~3 min the first time on 2 cores), then the
# bench's Rust floor (a Worker crate of its own, checked in the proxy's target directory).
clippy:
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
	cargo clippy --manifest-path tests/support/bench/rust_floor/Cargo.toml --target-dir target --target wasm32-unknown-unknown -- -D warnings

unit:
	cargo test

# Every target of fuzz/ (stable toolchain, no sanitizer): `fuzz` runs each FUZZ_SECONDS
# (default 60); `fuzz-smoke` replays every committed seed and crash input, then fuzzes 3 s
# a target: 80-90 s with the targets built, ~5 min on a fresh machine (their build ~4 min,
# cargo-fuzz's install ~1 min more; docs/FUZZING.md).
fuzz: fuzz-tools
	@bash scripts/fuzz.sh
fuzz-smoke: fuzz-tools
	@bash scripts/fuzz.sh --smoke

# The dev IdP (scripts/dev-idp.py, scripts/dev-token) on a free port, checked with PyJWT.
idp-test:
	@$(ENV) "$$ODP_VENV/bin/pytest" tests/idp -q

# Lints wrangler.toml and bundles the top level, staging and production with
# `wrangler deploy --dry-run`, offline and without a Cloudflare login, from the current build/
# (no rebuild: `make build` first). scripts/deploy-check.sh [ENV...] for one environment.
deploy-check: build-tools
	@bash scripts/deploy-check.sh

# The deploy and key tools of scripts/ (gen-oidc-key, gen-session-key, check-keys,
# deploy-config.py, smoke-test.py, deploy-check.sh) and the workflows' YAML.
tools-test:
	@$(ENV) "$$ODP_VENV/bin/pytest" tests/tools -q

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

# Not part of `make test`. Builds target/profiling-worker (never build/), bounded request count.
MIX ?= get64k
REQUESTS ?= 300
profile: build-tools test-tools
	@$(ENV) "$$ODP_VENV/bin/python" scripts/profile.py --mix $(MIX) --requests $(REQUESTS)

# Bounded loopback runs, not part of `make test` (tests/integration/soak_memory.py and
# load_mixed.py; SOAK_* and LOAD_* variables size them). Results also in build/soak.json, build/load.json.
soak: test-tools build
	@$(ENV) ODP_SKIP_BUILD=1 "$$ODP_VENV/bin/pytest" tests/integration/soak_memory.py -q -s

load: test-tools build
	@$(ENV) ODP_SKIP_BUILD=1 "$$ODP_VENV/bin/pytest" tests/integration/load_mixed.py -q -s

clean:
	cargo clean
	rm -rf fuzz/target fuzz/artifacts
	rm -rf build .wrangler/state .wrangler/tmp
