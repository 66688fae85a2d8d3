"""Cold-start costs of minting: the first catalog-bound requests of a fresh Worker (CPU per
thread from schedstat), and WebCrypto importKey/sign alone in a plain JS Worker."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from support.bench.catalog import CAT_KEY, CAT_MISS, CatWorker, call_summary
from support.bench.cpu import task_cpu_ns, thread_cpu_ns, wrangler_tree
from support.bench.setup import start_wrangler, write_config
from support.procs import HarnessError


def cold_probe(w: CatWorker, n_req: int, window: float) -> dict:
    """Per-request CPU (ns, per thread of the Worker's workerd) of the first catalog-bound requests of
    a fresh Worker: idle windows, GET / (the isolate is already loaded: wrangler's readiness check
    and the setup asked for it), then `n_req` GETs of CAT_MISS one at a time, each in a window of
    `window` s (the request, then quiet until the window ends, so work after the answer is counted).
    The isolate's thread (the largest median CPU over those requests) is reported apart from
    the others (V8's background threads: tier-up compilation of the wasm, GC), whose bursts land in
    whichever window they fall in. Values are minus the median idle window of the same thread(s)."""
    s = requests.Session()
    time.sleep(1.0)

    def measure(path: str | None, want: int = 0) -> tuple[dict[str, int], float]:
        c0 = thread_cpu_ns(w.workerd)
        start = time.perf_counter()
        wall = 0.0
        if path:
            r = s.get(w.url + path, timeout=30)
            wall = time.perf_counter() - start
            if r.status_code != want:
                raise HarnessError(f"{w.name}: GET {path} -> {r.status_code} (want {want}): {r.content[:300]!r}")
        time.sleep(max(0.0, window - (time.perf_counter() - start)))
        c1 = thread_cpu_ns(w.workerd)
        return {t: c1[t] - c0.get(t, 0) for t in c1}, wall

    idle = [measure(None)[0] for _ in range(3)]
    floor = [measure("/", 200) for _ in range(3)]
    reqs = [measure(CAT_MISS, 404) for _ in range(n_req)]
    idle += [measure(None)[0] for _ in range(3)]
    # The isolate's thread: the largest median over the requests (a background burst is one window).
    tids = {t for d, _ in reqs for t in d}
    main = max(tids, key=lambda t: sorted(d.get(t, 0) for d, _ in reqs)[len(reqs) // 2])

    def split(d: dict[str, int]) -> tuple[float, float]:
        m = d.get(main, 0)
        return m / 1e6, (sum(d.values()) - m) / 1e6

    def med(xs: list[float]) -> float:
        xs = sorted(xs)
        return xs[len(xs) // 2]

    idle_main = med([split(d)[0] for d in idle])
    idle_bg = med([split(d)[1] for d in idle])
    main_ms = [split(d)[0] - idle_main for d, _ in reqs]
    bg_ms = [split(d)[1] - idle_bg for d, _ in reqs]
    total_ms = [m + b for m, b in zip(main_ms, bg_ms)]
    summ = call_summary(w.calls(), "anonymous")
    if summ["calls"] != n_req:
        raise HarnessError(f"{w.name}: {summ['calls']} catalog calls for {n_req} requests in the cold probe")
    return {"ttl": w.ttl, "main_tid_is_pid": main == str(w.workerd), "window_s": window,
            "idle_main_ms": idle_main, "idle_bg_ms": idle_bg,
            "floor_ms": med([split(d)[0] - idle_main for d, _ in floor]),
            "req_ms": main_ms, "bg_ms": bg_ms, "total_ms": total_ms, "wall_ms": [wall * 1e3 for _, wall in reqs],
            "first_ms": main_ms[0], "next_median_ms": med(main_ms[1:]), "delta_ms": main_ms[0] - med(main_ms[1:]),
            "first_total_ms": total_ms[0], "next_total_median_ms": med(total_ms[1:]),
            "bg_sum_ms": sum(bg_ms), "bg_max_ms": max(bg_ms),
            "first_wall_ms": reqs[0][1] * 1e3, "next_wall_ms": med([wall for _, wall in reqs[1:]]) * 1e3,
            "signatures": len(summ["jtis"]), "calls": summ["calls"], "jtis": sorted(summ["jtis"])}


PROBE_JS = """// WebCrypto RS256 costs in workerd, without the proxy around them: n operations per request.
const ALG = { name: "RSASSA-PKCS1-v1_5", hash: { name: "SHA-256" } };
let der, key;
function pkcs8(pem) {
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\\s+/g, "");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}
// A signing input of the size of the proxy's tokens (header.claims, base64url).
const INPUT = new TextEncoder().encode("e".repeat(120) + "." + "c".repeat(300));
export default {
  async fetch(req, env) {
    const u = new URL(req.url);
    const n = Number(u.searchParams.get("n") || "1");
    der ??= pkcs8(env.PROBE_KEY);
    key ??= await crypto.subtle.importKey("pkcs8", der, ALG, false, ["sign"]);
    let x = 0;
    for (let i = 0; i < n; i++) {
      if (u.pathname === "/import") {
        await crypto.subtle.importKey("pkcs8", der, ALG, false, ["sign"]);
      } else if (u.pathname === "/sign") {
        x += (await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, INPUT)).byteLength;
      } else {
        x += await Promise.resolve(i);
      }
    }
    return new Response(String(x));
  },
};
"""


def webcrypto_probe(env: dict[str, str], logs: Path, reps: int, per_req: int) -> dict:
    """A plain JS Worker in the same wrangler/workerd: CPU per importKey (PKCS#8 RSA 2048, the
    proxy's key) and per RS256 sign, from `reps` requests of `per_req` operations each, minus the
    same requests doing nothing."""
    (logs / "probe").mkdir(parents=True, exist_ok=True)
    (logs / "probe" / "probe.mjs").write_text(PROBE_JS)
    cfg = write_config(logs / "probe" / "wrangler.json", logs / "probe" / "probe.mjs", None,
                       {"PROBE_KEY": CAT_KEY.read_text()}, "odp-bench-probe")
    proc, url = start_wrangler(env, cfg, logs / "probe" / "state", logs, "probe")
    try:
        roles = wrangler_tree(proc.popen.pid, int(url.rsplit(":", 1)[1]))
        pid = roles["workerd"][0]
        s = requests.Session()
        out = {}
        for op in ("noop", "import", "sign", "noop2"):
            path = "/noop" if op == "noop2" else f"/{op}"
            s.get(f"{url}{path}?n=2", timeout=30)  # warm
            c0, _ = task_cpu_ns(pid)
            t0 = time.perf_counter()
            for _ in range(reps):
                r = s.get(f"{url}{path}?n={per_req}", timeout=60)
                if r.status_code != 200:
                    raise HarnessError(f"probe {path}: {r.status_code} {r.text[:200]}")
            wall = time.perf_counter() - t0
            time.sleep(0.2)
            c1, _ = task_cpu_ns(pid)
            out[op] = {"cpu_ms": (c1 - c0) / 1e6, "wall_s": wall}
        noop = (out["noop"]["cpu_ms"] + out["noop2"]["cpu_ms"]) / 2
        ops = reps * per_req
        return {"reps": reps, "per_req": per_req, "noop_ms_per_req": noop / reps,
                "import_ms": (out["import"]["cpu_ms"] - noop) / ops, "sign_ms": (out["sign"]["cpu_ms"] - noop) / ops}
    finally:
        proc.stop()
