#!/usr/bin/env bash
# Benchmark entry (`make bench`): the Worker under `wrangler dev` vs moto directly, with wrk,
# on 127.0.0.1 only; prints Markdown tables and rewrites the generated section of
# docs/BENCHMARKS.md. Extra args go to scripts/bench.py (see --help), e.g.
#   bash scripts/bench.sh --duration 5 --no-doc
#   bash scripts/bench.sh --only catalog     # the HTTP-catalog / minted-token section alone
#   bash scripts/bench.sh --only provider    # discovery/JWKS against a JS floor, and the cold start
#   bash scripts/bench.sh --only floor       # anonymous reads against a JS pass-through, with/without a log line
#   bash scripts/bench.sh --only sts         # STS exchanges against a JS floor, and signed GETs (printed only)
# Bench-only prerequisites handled here (idempotent, skipped when present): wrk (Debian),
# the pinned tools + venv (scripts/install-tools.sh test), build/ (scripts/build-worker.sh) and
# the Rust floor in target/rust-floor/ (scripts/build-rust-floor.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ODP_ROOT"

ensure_wrk() {
  if command -v wrk >/dev/null 2>&1; then return; fi
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "bench: installing wrk (Debian package)"
  # Refresh the package lists only when apt does not know wrk yet (the slow part).
  apt-cache show wrk >/dev/null 2>&1 || $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  command -v wrk >/dev/null || { echo "bench: wrk install failed" >&2; exit 1; }
}

ensure_tools() {
  # wrangler (npm) and the venv (moto, boto3, requests, PyJWT): install-tools.sh skips what is there.
  if [ -x "$ODP_VENV/bin/python" ] && [ -x "$NODE22" ] && [ -f "$ODP_NODE_MODULES/wrangler/bin/wrangler.js" ] \
     && "$ODP_VENV/bin/python" -c 'import moto, boto3, requests, jwt' 2>/dev/null; then return; fi
  bash scripts/install-tools.sh test
}

ensure_build() {
  if [ -f build/worker/shim.mjs ] && [ -f build/index_bg.wasm ]; then return; fi
  echo "bench: build/ missing: building the Worker"
  bash scripts/install-tools.sh build
  bash scripts/build-worker.sh --release
}

ensure_rust_floor() {
  # The Rust floor of the floor and provider sections (skipped when built and unchanged).
  bash scripts/install-tools.sh build >/dev/null
  bash scripts/build-rust-floor.sh
}

ensure_wrk
ensure_tools
ensure_build
ensure_rust_floor
export ODP_BENCH_COMMAND="${ODP_BENCH_COMMAND:-bash scripts/bench.sh${*:+ $*}}"
exec "$ODP_VENV/bin/python" scripts/bench.py "$@"
