"""The Markdown of the edge-cache section."""

from __future__ import annotations

from support.bench.cache import BLOCK, CHUNK, COLUMNS, FOOTER, LAT_OBJECT, QUERIES, ROW_GROUPS, WHOLE_MAX
from support.bench.common import KIB, MIB
from support.bench.report import fmt_int


def fmt_load(la: tuple) -> str:
    return "/".join(f"{v:.2f}" for v in la)


def iqr(q: tuple) -> str:
    return f"{q[0]:.3f} to {q[1]:.3f}"


def verdict(x: dict) -> str:
    """What the paired difference of the two above-floor shares says, in words."""
    d, (lo, hi) = x["own_diff_ms"], x["own_diff_ci95_ms"]
    head = (f"Per round, the hit's above-floor CPU minus the uncached read's: median {d:+.3f} ms, 95 % "
            f"interval of that median {lo:+.3f} to {hi:+.3f} ms (order statistics, no distribution assumed): ")
    if hi < 0:
        return head + "**the hit costs the proxy less CPU than the uncached read**."
    if lo > 0:
        return head + "**the hit costs the proxy more CPU than the uncached read**."
    return head + "the interval holds 0, so this run does not tell the two apart."


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "n/a"


def render_cache(meta: dict, res: dict) -> str:
    L: list[str] = []
    a = L.append
    off, on = res["cache-off"], res["cache-on"]
    rq = off["backend_requests"] / max(on["backend_requests"], 1)
    rb = off["backend_bytes"] / max(on["backend_bytes"], 1)
    a("### Edge cache: a Parquet-like read pattern (wasm)")
    a("")
    a(f"Run of {meta['date']} (this part: {res['took_s']:.0f} s). Command: `{meta['command']}`")
    a("")
    a(f"- Tree: {meta['git']}; Worker: `build/` of {meta['build_time']} (wasm sha256 `{meta['wasm_sha']}…`), "
      f"run from a private copy. Machine: {meta['machine']}; the Python clients, the recorder, moto, wrangler's "
      "Node and the workerd processes share the 2 cores.")
    a("- Setup: one moto (auth off, objects public-read) behind `tests/support/recproxy.py`, which relays and "
      "records every backend request and the bytes of its answer. Two Workers read it through the recorder, "
      "each with an empty `--persist-to` (empty Cache API): `OBJECT_CACHE=off` and `OBJECT_CACHE=on` with "
      f"`OBJECT_CACHE_BLOCK_BYTES={BLOCK}` and `OBJECT_CACHE_WHOLE_MAX_BYTES={WHOLE_MAX}`, "
      f"`LOG_LEVEL={meta['log_level']}`.")
    a(f"- Pattern: {res['files']} files of {res['file_bytes'] / MIB:.2f} MiB laid out like Parquet "
      f"({ROW_GROUPS} row groups of {COLUMNS} column chunks of {CHUNK // KIB} KiB, a {FOOTER // KIB} KiB footer). "
      f"{res['clients']} clients each read every file as a Parquet reader does: `HEAD`, the last 8 bytes, "
      f"the footer (`bytes=-{FOOTER}`), then the column chunks of one of {len(QUERIES)} queries (2 columns "
      "of 2–3 row groups, in random order); a client's reads are sequential, "
      f"{res['conc']} clients at a time. The same seeded reads on both Workers. **Every answer is checked: "
      "status, Content-Length and bytes equal to the object's.**")
    a("")
    a("| Worker | client requests | client bytes | backend requests | backend bytes | wall s | "
      "Worker CPU ms/req |")
    a("|---|---:|---:|---:|---:|---:|---:|")
    for tag, r in (("`OBJECT_CACHE=off`", off), ("`OBJECT_CACHE=on` (cold, then warm)", on)):
        a(f"| {tag} | {fmt_int(r['requests'])} | {fmt_int(r['client_bytes'])} | {fmt_int(r['backend_requests'])} "
          f"| {fmt_int(r['backend_bytes'])} | {r['wall_s']:.1f} | {r['cpu_ms_per_req']:.2f} |")
    a("")
    a(f"**With the cache the backend gets {rq:.1f}× fewer requests and {rb:.1f}× fewer bytes** "
      f"(target: ≥ 8× both). Backend statuses: off {off['backend_statuses']}, on {on['backend_statuses']}.")
    a("")
    x = res["rounds"]
    a(f"**One ranged read: hit vs miss vs uncached, and the runtime's floors.** {x['n']} objects of "
      f"{LAT_OBJECT / MIB:.2f} MiB (two blocks); each request `GET` of its last {(LAT_OBJECT - MIB) // KIB} KiB "
      f"(`bytes={MIB}-{LAT_OBJECT - 1}`, one whole block), one at a time. uncached = the cache-off Worker; miss = "
      "the first read on the cache-on Worker (one backend GET of the block, whose answer also gives the size and "
      "ETag); hit = the same read again. Two plain JS Workers under their own `wrangler dev` (same wrangler, "
      "same kind of workerd process, same recorder and moto) give the floors "
      "(tests/support/bench/cache_floor.py): **uncached floor** = `fetch(backend + path)` with the client's "
      "`Range`, the backend's answer returned as it is; **hit floor** = the Cache API work of the proxy's hit "
      "alone: `caches.default.match()` of a small JSON metadata entry (read and parsed), then `match()` of the "
      "block's entry with a `Range` covering all of it (a 206 from the cache), that body answered as a 206 "
      "with S3's headers; its entries were put by an unmeasured first read of each object. "
      "The reads are interleaved: one round per object, each row once in it (floors first in every other "
      "round); **every answer is checked** (status, Content-Length, bytes), and so are the backend requests "
      "of each read (uncached and uncached floor 1, hit and hit floor 0). "
      "Worker CPU = CPU ns of that Worker's workerd process (`/proc/PID/task/*/schedstat`) across the "
      "request and 50 ms after it; that process also runs Miniflare's Cache API (JavaScript, SQLite, blob "
      f"files). Load average (1/5/15 min) {fmt_load(x['load_before'])} before the rounds, "
      f"{fmt_load(x['load_after'])} after.")
    a("")
    a("| read | requests | p50 ms | p90 ms | Worker CPU ms (median) | mean | backend requests | backend bytes |")
    a("|---|---:|---:|---:|---:|---:|---:|---:|")
    for k, tag in (("uncached", "uncached"), ("uncached_floor", "uncached floor (JS pass-through)"),
                   ("miss", "miss"), ("hit", "hit"), ("hit_floor", "hit floor (JS, Cache API only)")):
        r = x[k]
        a(f"| {tag} | {r['n']} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['cpu_ms_median']:.3f} | "
          f"{r['cpu_ms_mean']:.3f} | {fmt_int(r['backend_requests'])} | {fmt_int(r['backend_bytes'])} |")
    a("")
    h, u, m = x["hit"], x["uncached"], x["miss"]
    hf, uf = x["hit_floor"], x["uncached_floor"]
    ho, uo = x["hit_own_paired_ms"], x["uncached_own_paired_ms"]
    a(f"Raw: median Worker CPU of a hit is {ratio(h['cpu_ms_median'], u['cpu_ms_median'])}× the uncached "
      f"read's and its p50 latency {ratio(h['p50_ms'], u['p50_ms'])}×; a miss costs "
      f"{ratio(m['cpu_ms_median'], u['cpu_ms_median'])}× the CPU and {ratio(m['p50_ms'], u['p50_ms'])}× "
      f"the latency ({m['backend_requests'] / max(m['n'], 1):.0f} backend request(s) each). The floors alone: "
      f"hit floor {ratio(hf['cpu_ms_median'], uf['cpu_ms_median'])}× the uncached floor.")
    a("")
    a(f"**Above the floors** (the proxy's CPU minus its floor's, median over the {x['n']} rounds of the "
      f"paired difference, its interquartile range, then the difference of the two medians): "
      f"**hit {ho:.3f} ms** ({iqr(x['hit_own_paired_iqr_ms'])}; {x['hit_own_ms']:.3f}), "
      f"**uncached {uo:.3f} ms** ({iqr(x['uncached_own_paired_iqr_ms'])}; {x['uncached_own_ms']:.3f}): "
      f"**hit / uncached = {ratio(ho, uo)}**. {verdict(x)} "
      "What the subtraction separates: the runtime's share of the process (request dispatch, the JS event "
      "loop, the backend fetch and its body for the uncached pair; the two Cache API matches with "
      "Miniflare's own JavaScript, SQLite and blob reads for the hit pair), so the difference is what the "
      "proxy itself adds (wasm: routing, catalog, authorization, range and header work, the cache "
      "lookups' glue, the log line). What it does not: it is a difference of two noisy process-wide "
      "figures (the whole process over the request and 50 ms after it, idle threads and timers included, "
      "which cancel only on average), not a measurement of the isolate; the floors' own JavaScript (a few "
      "lines) goes out with the runtime; the proxy's metadata entry is a little larger than the floor's; "
      "and what the proxy makes the runtime do beyond the floor (the JS objects its wasm glue creates, "
      "more headers, the log line through the console) stays in the proxy's share, as it should. Deployed, "
      "the Cache API's work runs outside the Worker's isolate, so the above-floor shares are the comparable "
      "figures; under `wrangler dev` the raw ratio counts Miniflare's cache against the hit.")
    a("")
    a(f"Worker log: {res['panics']} panic/uncaught lines.")
    return "\n".join(L)
