#!/usr/bin/env bash
# Builds the Worker into build/ (entry: build/worker/shim.mjs). Called by wrangler.toml's
# [build] command and by `make build`. Extra args go to worker-build (e.g. --dev, --no-opt).
# Offline: env.sh points worker-build at our wasm-bindgen / wasm-opt / esbuild, so it
# downloads nothing (each download would retry GitHub for ~30 s and then fail).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# ODP_SKIP_BUILD=1: reuse an existing build (e.g. tests after `make build`): `wrangler dev`
# is then ready in ~2 s instead of ~10 s (a no-change worker-build still runs wasm-opt).
if [ "${ODP_SKIP_BUILD:-}" = 1 ] && [ -f "$ODP_ROOT/build/worker/shim.mjs" ]; then
  echo "build-worker: ODP_SKIP_BUILD=1, using the existing build/"; exit 0
fi
for bin in "$WASM_BINDGEN_BIN" "$WASM_OPT_BIN" "$ESBUILD_BIN"; do
  [ -x "$bin" ] || { echo "build-worker: missing $bin: run scripts/install-tools.sh build" >&2; exit 1; }
done
cd "$ODP_ROOT"
if [ $# -eq 0 ]; then set -- --release; fi
worker-build "$@"
# worker-build runs wasm-opt (args from Cargo.toml's wasm-pack metadata, plus `--debuginfo`),
# which keeps the name section: 187 KB raw of function names in the deployed wasm (460,381 ->
# 409,626 B gzip -9 without it). Dropped here rather than by `strip = true` in Cargo.toml, which
# also drops the target_features section that wasm-bindgen reads to choose its JS glue.
# `--profile profiling` builds keep the names.
case " $* " in *" --release "*)
  strip_wasm_names "$ODP_ROOT/build/index_bg.wasm" ;;
esac
