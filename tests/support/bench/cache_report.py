"""The Markdown of the edge-cache section."""

from __future__ import annotations

from support.bench.cache import BLOCK, CHUNK, COLUMNS, FOOTER, LAT_OBJECT, QUERIES, ROW_GROUPS, WHOLE_MAX
from support.bench.common import KIB, MIB
from support.bench.report import fmt_int


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
    a(f"**One ranged read: hit vs miss vs uncached.** {res['hit']['n']} objects of {LAT_OBJECT / MIB:.2f} MiB "
      f"(two blocks); each request `GET` of its last {(LAT_OBJECT - MIB) // KIB} KiB (`bytes={MIB}-{LAT_OBJECT - 1}`, "
      "one whole block), one at a time on one connection: uncached = the cache-off Worker; miss = the first "
      "read on the cache-on Worker (one backend GET of the block, whose answer also gives the size and ETag); "
      "hit = the same read again. "
      "Worker CPU = CPU ns of the Worker's workerd process (its `/proc/PID/task/*/schedstat`) across the "
      "request and 50 ms after it (the cache writes finish after the answer); that process also runs "
      "Miniflare's Cache API, so a hit's figure includes the local cache's own work.")
    a("")
    a("| read | requests | p50 ms | p90 ms | Worker CPU ms (median) | mean | backend requests | backend bytes |")
    a("|---|---:|---:|---:|---:|---:|---:|---:|")
    for k in ("uncached", "miss", "hit"):
        r = res[k]
        a(f"| {k} | {r['n']} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['cpu_ms_median']:.3f} | "
          f"{r['cpu_ms_mean']:.3f} | {fmt_int(r['backend_requests'])} | {fmt_int(r['backend_bytes'])} |")
    a("")
    h, u, m = res["hit"], res["uncached"], res["miss"]
    a(f"Median Worker CPU of a hit is {h['cpu_ms_median'] / max(u['cpu_ms_median'], 1e-9):.2f}× the uncached read's "
      f"and its p50 latency {h['p50_ms'] / max(u['p50_ms'], 1e-9):.2f}×; a miss costs "
      f"{m['cpu_ms_median'] / max(u['cpu_ms_median'], 1e-9):.1f}× the CPU and {m['p50_ms'] / max(u['p50_ms'], 1e-9):.1f}× "
      f"the latency ({m['backend_requests'] / max(m['n'], 1):.0f} backend request(s) each: the block, whose answer "
      "also gives the metadata; then the Cache API writes). Under `wrangler dev` the Worker's figure cannot be split from "
      "Miniflare's Cache API (JavaScript, SQLite and blob files in the same process), which the deployed runtime "
      "does not bill to the Worker.")
    a("")
    a(f"Worker log: {res['panics']} panic/uncaught lines.")
    return "\n".join(L)
