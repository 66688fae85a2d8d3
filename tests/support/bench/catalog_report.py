"""The Markdown of the HTTP-catalog section."""

from __future__ import annotations

from support.bench.catalog import CAT_OBJECT, CAT_OBJECT_SIZE
from support.bench.report import fmt_int


def fmt_ms(x: float, nd: int = 2) -> str:
    return f"{x:.{nd}f}"


def render_catalog(meta: dict, cat: dict) -> list[str]:
    L: list[str] = []
    a = L.append
    v = meta["versions"]
    a("### HTTP catalog: minted tokens (wasm)")
    a("")
    a(f"Run of {meta['date']} (this part: {cat['took_s']:.0f} s). Command: `{meta['command']}`")
    a("")
    a(f"- Tree: {meta['git']}; Worker: `build/` of {meta['build_time']} (wasm sha256 `{meta['wasm_sha']}…`), "
      "run from a private copy.")
    a(f"- Machine: {meta['machine']}; the client (Python or wrk), the stub catalog, moto, wrangler's Node and "
      f"both workerd processes share the 2 cores; other processes used {cat.get('background', 0):.0%} of the "
      "machine when this part started (per row: `other`, in cores). Versions: wrangler "
      f"{v['wrangler']}, workerd {v['workerd']}, moto {v['moto']}, wrk {v['wrk']}.")
    a("- Setup: the proxy (the Rust/wasm build under `wrangler dev`) with `CATALOG_URL` = "
      "`tests/support/stub_catalog.py` on 127.0.0.1 (one stub per Worker; it verifies **every** bearer "
      "token with PyJWT against that Worker's `/.well-known/jwks.json`, fetched before anything is measured, "
      "and records each call with its verified claims), the OIDC provider on with "
      "`tests/fixtures/oidc/rsa-2048.pem` (RSA 2048, RS256 through WebCrypto), `OIDC_ALLOW_LOOPBACK_ISSUERS=true`, "
      f"`LOG_LEVEL={meta['log_level']}`, `CATALOG_CONNECTION_KEYS` for `acme-s3` = the keys of an IAM user of "
      "a moto server that enforces IAM auth (so the proxy's backend reads are signed and checked); each Worker "
      "has an empty `--persist-to` of its own (empty Cache API).")
    a("- **Signatures are counted as distinct `jti` among the calls the stub verified** (every mint has a fresh "
      "random `jti`, and a token is only minted for a call); catalog calls = requests the stub received.")
    a("")

    ab = cat.get("ab")
    if ab:
        A, B = ab["A"], ab["B"]
        a("**Reused token vs fresh mint.** Request `GET /acme/nope/x`: the product `nope` is resolved with one "
          "catalog call, which the stub answers 404 after verifying the token, and the proxy answers 404 "
          "`NoSuchBucket`. `CATALOG_CACHE=off`, so every request makes that call. Worker A: "
          "`OIDC_PROVIDER_TOKEN_TTL_SECS=60` (a token is reused while ≥ 30 s of validity remain); Worker B: "
          "`10` (< 30 s: every call mints). Both Workers run side by side, loaded in turn "
          f"A, B, A, B… ({A['runs']} round(s) of `wrk -t1 -c{meta['cat_conns']} -d{meta['cat_duration']}s` each, "
          "every answer checked to be the 404, the stub's statuses all 404).")
        a("")
        a("| Worker | TTL s | requests | catalog calls | signatures (distinct jti) | per request | req/s | "
          "p50 ms | CPU ms/req: Worker workerd | stub | dev-proxy workerd | wrangler node | other |")
        a("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for tag, r, ttl in (("A (reused token)", A, 60), ("B (mint per call)", B, 10)):
            n = max(r["requests"], 1)
            c = r["cpu"]
            a(f"| {tag} | {ttl} | {fmt_int(r['requests'])} | {fmt_int(r['calls'])} | {fmt_int(r['signatures'])} | "
              f"{r['signatures'] / n:.4f} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {c['workerd'] * 1000 / n:.3f} | "
              f"{c['stub'] * 1000 / n:.2f} | {c['devproxy'] * 1000 / n:.2f} | {c['node'] * 1000 / n:.2f} | "
              f"{c['other'] / max(c['wall'], 1e-9):.2f} |")
        ca = A["cpu"]["workerd"] * 1000 / max(A["requests"], 1)
        cb = B["cpu"]["workerd"] * 1000 / max(B["requests"], 1)
        dsig = B["signatures"] / max(B["requests"], 1) - A["signatures"] / max(A["requests"], 1)
        a("")
        rd = ab.get("round_diffs") or []
        a(f"Per round (A then B): Worker workerd CPU ms/req A {', '.join(f'{x:.3f}' for x in ab['round_a'])}; "
          f"B {', '.join(f'{x:.3f}' for x in ab['round_b'])}; B − A {', '.join(f'{x:+.3f}' for x in rd)} "
          f"(`other` per round ≤ {', '.join(f'{x:.2f}' for x in ab['round_other'])} cores).")
        a("")
        a(f"Worker workerd CPU per request: B − A = **{cb - ca:+.3f} ms**, B ÷ A = **{cb / ca:.2f}×**; "
          f"per signature (the difference ÷ the {dsig:.4f} more signatures per request of B) = "
          f"**{(cb - ca) / dsig:.3f} ms** of Worker CPU per mint (claims, `jti`, WebCrypto RS256 sign, "
          "base64url), measured from /proc (utime+stime in 10 ms ticks, over "
          f"{A['cpu']['workerd'] + B['cpu']['workerd']:.1f} s of Worker CPU in total).")
        a("")
    colds = cat.get("colds") or []
    if colds:
        c0 = colds[0]
        bg_max = max(c["bg_max_ms"] for c in colds)
        a("**Cold mint.** For each fresh Worker B (TTL 10, `CATALOG_CACHE=off`): after `wrangler dev` answered "
          "`GET /` (the isolate is loaded and the configuration parsed; the stub has fetched the JWKS), "
          f"requests one at a time, each alone in a {c0['window_s']} s window: 3 idle windows, 3 × `GET /`, then "
          f"{c0['calls']} × `GET /acme/nope/x`, 3 idle windows. CPU from `/proc/PID/task/TID/schedstat` "
          "(nanoseconds per thread; `/proc/PID/stat` counts 10 ms ticks, too coarse for one request), minus the "
          "median idle window: the **isolate's thread** (the thread with the largest median over the requests: "
          "where they run) apart from the Worker workerd's other threads (V8's background workers, which compile "
          f"and collect garbage; their largest burst in one window here was {bg_max:.0f} ms"
          + (", one such burst in every fresh Worker within its first seconds" if all(c["bg_max_ms"] > 50 for c in colds)
             else "") + ", landing in whichever window it falls in; the whole-process column includes them). "
          "Request 1 is the first catalog-bound request: it imports the key (WebCrypto `importKey`, once per "
          "isolate) and signs; requests 2… only sign (every call mints at TTL 10). Request 1 also does everything "
          "else that is done for the first time in the isolate on that path (e.g. V8 compiling the wasm functions "
          "of the catalog client and of minting on their first call, the first outbound connection to the stub, "
          "the JS glue), so request 1 − median bounds the cold part of a mint from above; the WebCrypto probe below "
          "measures `importKey` alone.")
        a("")
        a("| fresh Worker | `GET /` ms | request 1 ms | requests 2… median ms | request 1 − median ms | "
          "whole process: request 1 / median ms | other threads over the requests ms (largest window) | "
          "wall: request 1 / median ms | signatures |")
        a("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        rows = [(f"B #{i + 1} (TTL 10)", c) for i, c in enumerate(colds)]
        if cat.get("cold_a"):
            rows.append(("A (TTL 60: only request 1 mints)", cat["cold_a"]))
        for name, c in rows:
            a(f"| {name} | {c['floor_ms']:.2f} | {c['first_ms']:.2f} | {c['next_median_ms']:.2f} | "
              f"{c['delta_ms']:+.2f} | {c['first_total_ms']:.2f} / {c['next_total_median_ms']:.2f} | "
              f"{c['bg_sum_ms']:.1f} ({c['bg_max_ms']:.1f}) | {c['first_wall_ms']:.1f} / {c['next_wall_ms']:.1f} | "
              f"{c['signatures']} |")
        deltas = sorted(c["delta_ms"] for c in colds)
        firsts = sorted(c["first_ms"] for c in colds)
        nexts = sorted(c["next_median_ms"] for c in colds)
        mid = len(colds) // 2
        per_worker = ", ".join(f"{c['delta_ms']:+.2f}" for c in colds)
        a("")
        a(f"Median over the {len(colds)} fresh B Workers, on the isolate's thread: first catalog-bound request "
          f"**{firsts[mid]:.2f} ms** of CPU, a later minting request **{nexts[mid]:.2f} ms**, difference "
          f"**{deltas[mid]:+.2f} ms** (per Worker: {per_worker}).")
        probe = cat.get("probe")
        if probe and deltas[mid] > 0:
            a(f"`importKey` alone costs {probe['import_ms']:.3f} ms in this runtime (probe below), "
              f"{probe['import_ms'] / deltas[mid]:.0%} of that difference: the rest of what the first catalog-bound "
              "request costs more is the other first-time work on its path, not the key import.")
        a("")
    probe = cat.get("probe")
    if probe:
        a(f"**WebCrypto in the same runtime** (a plain JS Worker under the same wrangler/workerd, the same PKCS#8 "
          f"key; {probe['reps']} requests of {probe['per_req']} operations each, minus the same requests doing "
          "nothing; CPU from schedstat): `importKey` (pkcs8, RSASSA-PKCS1-v1_5/SHA-256) "
          f"**{probe['import_ms']:.3f} ms**, `sign` of a token-sized input **{probe['sign_ms']:.3f} ms** of CPU "
          "per operation. This isolates what the Worker figures above cannot: the key import alone.")
        a("")
    steady = cat.get("steady") or []
    if steady:
        a(f"**Steady single-principal workload.** {meta['cat_requests']} × `GET /acme/public-data/{CAT_OBJECT}` "
          f"({CAT_OBJECT_SIZE} B from moto, each answer checked: 200 with the exact bytes), "
          f"{meta['cat_steady_conc']} in flight from Python "
          "(`requests`, keep-alive), from one principal: anonymous, or one STS session of `user-a` (dev IdP "
          "→ `POST /.sts`, not measured; every request SigV4-signed beforehand). Default token TTL (60 s). "
          "`CATALOG_CACHE` on = the default (per-isolate memory + Cache API, identity-scoped; product and "
          "data-connection answers 300 s); off = every request resolves the product again. Each principal "
          "starts with nothing cached for it (anonymous first, then the session, on the same Worker).")
        a("")
        a("| principal | CATALOG_CACHE | requests | took s | catalog calls | per 1000 requests | "
          "signatures (distinct jti) | per 1000 requests | CPU ms/req: Worker workerd | stub | moto | other |")
        a("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in steady:
            n = max(r["requests"], 1)
            c = r["cpu"]
            a(f"| {r['who']} | {'on (default)' if r['cache'] else 'off'} | {fmt_int(r['requests'])} | "
              f"{r['wall_s']:.1f} | {fmt_int(r['calls'])} | {r['calls'] * 1000 / n:.1f} | {r['signatures']} | "
              f"{r['signatures'] * 1000 / n:.1f} | {c['workerd'] * 1000 / n:.2f} | {c['stub'] * 1000 / n:.2f} | "
              f"{c['moto'] * 1000 / n:.2f} | {c['other'] / max(c['wall'], 1e-9):.2f} |")
        paths = sorted({p for r in steady for p in r["paths"]})
        a("")
        conc = meta["cat_steady_conc"]
        off = {r["who"]: r["calls"] / max(r["requests"], 1) for r in steady if not r["cache"]}
        first_only = all(r["calls"] == round(conc * off.get(r["who"], -1)) for r in steady if r["cache"])
        a(f"Catalog paths called: {', '.join(f'`{p}`' for p in paths)} (a public product: no permissions call). "
          + (f"With caching on, each principal's calls equal {conc} × the calls of one uncached request: those of "
             f"the {conc} requests first in flight, which all find the principal's cache empty (concurrent misses "
             "are not coalesced); the last call came "
             + " and ".join(f"{r['last_call_s']:.2f} s" for r in steady if r["cache"] and r.get("last_call_s") is not None)
             + " after the start of the run (per principal), and no later request called. Over a longer run, calls "
             "come back when answers expire." if first_only else
             "With caching on, calls happen only while a principal's answers are missing or expired."))
        if all(r["signatures"] == 1 for r in steady):
            a("Signatures follow time, not requests: one token per principal served each whole run (each shorter "
              "than the 30 s a token is reused for), so with caching off the count per 1000 requests is "
              "1000 ÷ the requests made in that time.")
        a("")
    if cat.get("notes"):
        a("Checks and observations of this part:")
        a("")
        for n in cat["notes"]:
            a(f"- {n}")
        a("")
    return L
