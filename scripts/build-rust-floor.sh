#!/usr/bin/env bash
# Builds the bench's Rust floor (tests/support/bench/rust_floor: a minimal Worker built the
# proxy's way) into target/rust-floor/ (entry: worker/shim.mjs), offline like build-worker.sh.
# Skipped when that build is newer than the floor's sources.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
crate="$ODP_ROOT/tests/support/bench/rust_floor"
out="$ODP_ROOT/target/rust-floor"
if [ -f "$out/worker/shim.mjs" ] && [ -z "$(find "$crate/Cargo.toml" "$crate/Cargo.lock" "$crate/src" -newer "$out/index_bg.wasm")" ]; then
  exit 0
fi
cd "$crate"
# The proxy's target directory: the dependencies both share compile once.
CARGO_TARGET_DIR="$ODP_ROOT/target" worker-build --release --out-dir "$out"
# The name section dropped as scripts/build-worker.sh does for the proxy.
strip_wasm_names "$out/index_bg.wasm"
