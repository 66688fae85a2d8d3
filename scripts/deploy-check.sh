#!/usr/bin/env bash
# `make deploy-check`: lints wrangler.toml (scripts/deploy-config.py lint), then bundles the
# Worker for every environment (the top-level local default, staging, production) with
# `wrangler deploy --dry-run --outdir`, fully offline: no Cloudflare login, no upload, no
# telemetry. Uses the current build/ (run `make build` first; ODP_SKIP_BUILD=1 makes
# wrangler's [build] step reuse it instead of running worker-build again).
#
# Where this user may create a network namespace (`unshare -rn`, or `unshare -n` as root),
# wrangler runs inside one with no network at all, so a step that needs the network fails
# here rather than in CI or on a deploy day; elsewhere it runs as is, with telemetry off.
#   scripts/deploy-check.sh [--config FILE] [ENV...]   (default: wrangler.toml, every environment;
#   ENV "" is the top level)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ODP_ROOT"

config="$ODP_ROOT/wrangler.toml"
if [ "${1:-}" = --config ]; then config="$(realpath "$2")"; shift 2; fi
py="${ODP_PYTHON:-python3}"
"$py" scripts/deploy-config.py --config "$config" lint

if [ $# -eq 0 ]; then
  mapfile -t envs < <("$py" - "$config" <<'PY'
import sys
sys.path.insert(0, "scripts")
import odp_wrangler as W
print("")
for e in W.envs(W.load(sys.argv[1])):
    print(e)
PY
)
else
  envs=("$@")
fi

[ -f build/worker/shim.mjs ] || { echo "deploy-check: build/worker/shim.mjs is missing: run 'make build' first" >&2; exit 1; }
read -r -a wrangler <<<"$WRANGLER"

offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n)
elif unshare -rn true 2>/dev/null; then offline=(unshare -rn)
fi
if [ ${#offline[@]} -gt 0 ]; then mode="offline: ${offline[*]}, no network"
else mode="no network namespace here: telemetry off, nothing uploaded"; fi

out="$(mktemp -d "${TMPDIR:-/tmp}/odp-deploy-check.XXXXXX")"
trap 'rm -rf "$out"' EXIT
fail=0
for env in "${envs[@]}"; do
  label="${env:-default}"
  args=(deploy --config "$config" --dry-run --outdir "$out/$label")
  [ -z "$env" ] || args+=(--env "$env")
  t0=$SECONDS
  # No credentials at all: a dry run must not need them (and must not find any).
  if env -u CLOUDFLARE_API_TOKEN -u CLOUDFLARE_ACCOUNT_ID -u CLOUDFLARE_API_KEY -u CLOUDFLARE_EMAIL \
       ODP_SKIP_BUILD=1 WRANGLER_SEND_METRICS=false CI=true NO_COLOR=1 FORCE_COLOR=0 \
       "${offline[@]}" "${wrangler[@]}" "${args[@]}" >"$out/$label.log" 2>&1 \
     && grep -q -- '--dry-run: exiting now' "$out/$label.log" \
     && [ -s "$out/$label/shim.js" ] && compgen -G "$out/$label/*.wasm" >/dev/null; then
    echo "deploy-check: $label ok ($((SECONDS - t0)) s, $mode): $(grep -c 'Environment Variable' "$out/$label.log") vars, bundle $(du -sk "$out/$label" | cut -f1) KiB"
  else
    echo "deploy-check: $label FAILED (wrangler ${args[*]}):" >&2
    cat "$out/$label.log" >&2
    fail=1
  fi
done
exit $fail
