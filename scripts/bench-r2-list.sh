#!/usr/bin/env bash
# How much of a 1000-key R2 listing's CPU is the proxy's own work? Local R2 is
# Miniflare's simulation running inside the same workerd processes, so the
# Worker-CPU figure of `make bench` includes it. This runs, in one go and on
# the same seeded state, the proxy's listing and a plain JS Worker that makes
# the same `env.DATA.list()` call and touches every field the proxy uses (the
# floor), each with `max-keys=1000` and `max-keys=1`, and prints workerd CPU
# (utime+stime of every `workerd serve` process, 10 ms ticks) per request.
# Loopback only; bounded: N sequential requests per row (default 60).
#   bash scripts/bench-r2-list.sh [N]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ODP_ROOT"
N="${1:-60}"
STATE=.wrangler/bench-r2-list
WORK="$(mktemp -d)"
trap 'pkill -f "port 1880[89]" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
[ -f build/worker/shim.mjs ] || bash scripts/build-worker.sh
bash scripts/seed-r2.sh --persist-to "$STATE" >/dev/null

bucket=$(sed -n 's/^bucket_name *= *"\(.*\)"/\1/p' wrangler.toml | head -1)
cat >"$WORK/floor.mjs" <<'EOF'
export default {
  async fetch(req, env) {
    const limit = Number(new URL(req.url).searchParams.get("max-keys") || 1000);
    const page = await env.DATA.list({ prefix: "demo/public-data/many/", limit });
    let n = 0;
    for (const o of page.objects) n += o.key.length + o.size + o.httpEtag.length + (o.uploaded.getTime() % 7);
    return new Response(`${page.objects.length} ${n}`);
  },
};
EOF
cat >"$WORK/floor.json" <<EOF
{"name": "r2-list-floor", "main": "floor.mjs", "compatibility_date": "2026-11-01",
 "r2_buckets": [{"binding": "DATA", "bucket_name": "$bucket", "preview_bucket_name": "$bucket"}]}
EOF

cpu_ticks() {
  local t=0 p
  for p in $(pgrep -f 'workerd serve'); do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done
  echo "$t"
}

measure() {  # measure LABEL URL
  local i a b
  for i in 1 2 3 4 5; do curl -sf -o /dev/null "$2"; done  # warm-up
  a=$(cpu_ticks)
  for i in $(seq "$N"); do curl -sf -o /dev/null "$2"; done
  b=$(cpu_ticks)
  awk -v l="$1" -v t=$((b - a)) -v n="$N" 'BEGIN { printf "| %s | %.1f |\n", l, t * 10 / n }'
}

run() {  # run NAME PORT DIR CONFIG-ARGS...: `wrangler dev` in DIR, waits until it answers
  local name=$1 port=$2 dir=$3; shift 3
  (cd "$dir" && ODP_SKIP_BUILD=1 $WRANGLER dev "$@" --ip 127.0.0.1 --port "$port" --persist-to "$ODP_ROOT/$STATE" \
     --show-interactive-dev-session=false >"$WORK/$name.log" 2>&1) &
  for _ in $(seq 150); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
}

echo "| ms of workerd CPU per request ($N sequential requests each) | |"
echo "|---|---:|"
run proxy 18808 "$ODP_ROOT" -c wrangler.toml
keys=$(curl -s "http://127.0.0.1:18808/demo?list-type=2&prefix=public-data/many/" | grep -o '<Key>' | wc -l)
[ "$keys" = 1000 ] || { echo "proxy listing holds $keys keys, not 1000" >&2; exit 1; }
measure "proxy, 1000 keys" "http://127.0.0.1:18808/demo?list-type=2&prefix=public-data/many/"
measure "proxy, 1 key" "http://127.0.0.1:18808/demo?list-type=2&prefix=public-data/many/&max-keys=1"
pkill -f "port 18808"; sleep 1
run floor 18809 "$WORK" -c floor.json
[ "$(curl -s http://127.0.0.1:18809/ | cut -d' ' -f1)" = 1000 ] || { echo "floor did not list 1000 keys" >&2; exit 1; }
measure "plain JS Worker, same R2 list, 1000 keys" "http://127.0.0.1:18809/"
measure "plain JS Worker, 1 key" "http://127.0.0.1:18809/?max-keys=1"
