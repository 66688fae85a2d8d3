"""The HTTP-catalog section's measurements: reused vs fresh tokens, the cold mint, and
catalog calls and signatures of steady single-principal workloads."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from support import sts as stslib
from support.bench.catalog import CAT_MISS, CAT_OBJECT, CAT_USER, CatWorker, call_summary, cat_body, check_miss, start_catalog_moto
from support.bench.catalog_probe import cold_probe, webcrypto_probe
from support.bench.common import STS_AUDIENCE, log, sha
from support.bench.cpu import CpuMeter
from support.bench.report import fmt_int
from support.bench.wrk import run_wrk
from support.procs import HarnessError, free_port
from support.stubs import start_dev_idp


def miss_load(w: CatWorker, conns: int, duration: int, lua: Path) -> dict:
    """wrk on CAT_MISS (every answer a 404 NoSuchBucket: wrk counts them as status errors, which is
    what is expected here; any socket error fails). CPU per role and the stub's calls."""
    check_miss(w.url, w.name)
    w.calls()
    before = w.meter.snap()
    res = run_wrk(w.url + CAT_MISS, 1, conns, duration, lua)
    res["cpu"] = CpuMeter.delta(before, w.meter.snap())
    time.sleep(0.3)  # the last in-flight catalog calls
    summ = call_summary(w.calls(), "anonymous")
    check_miss(w.url, w.name + " (after)")
    errs = {k: res[k] for k in ("err_connect", "err_read", "err_write", "err_timeout") if res[k]}
    if errs or res["requests"] == 0 or res["err_status"] != res["requests"]:
        raise HarnessError(f"{w.name}: {res['requests']} requests, {res['err_status']} non-2xx (want all 404), "
                           f"errors {errs}\n{res['cmd']}")
    if set(summ["statuses"]) != {404}:
        raise HarnessError(f"{w.name}: stub statuses {summ['statuses']} (want only 404)")
    res["calls"], res["jtis"] = summ["calls"], summ["jtis"]
    return res


def merge_runs(runs: list[dict]) -> dict:
    out = {"requests": sum(r["requests"] for r in runs), "calls": sum(r["calls"] for r in runs),
           "jtis": set().union(*(r["jtis"] for r in runs)), "runs": len(runs),
           "duration_s": sum(r["duration_us"] for r in runs) / 1e6,
           "p50_ms": sorted(r["p50_us"] for r in runs)[len(runs) // 2] / 1000,
           "cpu": {k: sum(r["cpu"][k] for r in runs) for k in runs[0]["cpu"]}}
    out["rps"] = out["requests"] / out["duration_s"]
    out["signatures"] = len(out["jtis"])
    return out


def steady_run(w: CatWorker, path: str, n: int, conc: int, max_s: float, want_sub: str,
               headers: list[dict] | None = None) -> dict:
    """`n` GETs of `path` from one principal, `conc` in flight (bounded by max_s): each must answer
    200 with the object's bytes. Catalog calls and distinct jti from the stub."""
    want = sha(cat_body())
    w.calls()
    lat: list[float] = []
    bad: list[str] = []
    todo = iter(range(n))
    deadline = time.monotonic() + max_s

    def worker() -> None:
        s = requests.Session()
        for i in todo:
            if time.monotonic() > deadline:
                return
            t = time.perf_counter()
            r = s.get(w.url + path, headers=headers[i] if headers else None, timeout=30)
            body = r.content
            lat.append(time.perf_counter() - t)
            if r.status_code != 200 or sha(body) != want:
                bad.append(f"{r.status_code} {body[:200]!r}")

    before = w.meter.snap()
    t0, epoch0 = time.perf_counter(), time.time()
    with ThreadPoolExecutor(conc) as pool:
        for f in [pool.submit(worker) for _ in range(conc)]:
            f.result()
    wall = time.perf_counter() - t0
    cpu = CpuMeter.delta(before, w.meter.snap())
    recs = w.calls()
    summ = call_summary(recs, want_sub)
    last_call_s = max((r["time"] - epoch0 for r in recs), default=None)
    if bad:
        raise HarnessError(f"{w.name} GET {path}: {len(bad)} bad answers, first: {bad[:2]}")
    lat.sort()
    return {"requests": len(lat), "wall_s": wall, "rps": len(lat) / wall, "p50_ms": lat[len(lat) // 2] * 1e3,
            "cpu": cpu, "calls": summ["calls"], "signatures": len(summ["jtis"]), "paths": summ["paths"],
            "statuses": summ["statuses"], "path": path, "last_call_s": last_call_s}


def catalog_phase(env: dict[str, str], build: Path, logs: Path, args, lua: Path, notes: list[str]) -> dict:
    """Issue 4's measurements, in the running Worker (wasm, workerd under wrangler dev):
    1. a catalog call with a reused token vs a fresh mint (CATALOG_CACHE=off, TTL 60 vs 10);
    2. the cold mint: the first catalog-bound request of fresh Workers (importKey + sign);
    3. signatures and catalog calls per 1000 requests of a steady single-principal workload.
    Plus a JS probe of WebCrypto importKey/sign in the same runtime."""
    t_phase = time.monotonic()
    procs: list = []
    res: dict = {"notes": []}
    cnotes = res["notes"]

    def other_share() -> float:
        m = CpuMeter(None, {"client": [os.getpid()]})
        before = m.snap()
        time.sleep(2)
        d = CpuMeter.delta(before, m.snap())
        return d["other"] / max(d["total"], 1e-9)

    background, waited = other_share(), 0.0
    while background > 0.25 and waited < args.wait_quiet:
        log(f"catalog: other processes keep {background:.0%} of the machine busy: waiting for quiet "
            f"({waited:.0f}/{args.wait_quiet} s)")
        time.sleep(3)
        waited += 5
        background = other_share()
    res["background"] = background
    if background > 0.25:
        cnotes.append(f"The machine was not idle: other processes used {background:.0%} of it when this part "
                      f"started (after waiting up to {args.wait_quiet} s); see `other` per row.")
    try:
        t = time.monotonic()
        moto = start_catalog_moto(logs)
        procs.append(moto.proc)
        log(f"catalog: moto (IAM auth) on {moto.url} in {time.monotonic() - t:.1f} s")

        def pair(i: int, with_a: bool) -> tuple[CatWorker | None, CatWorker]:
            """A (TTL 60) and B (TTL 10), both CATALOG_CACHE=off, started at the same time."""
            with ThreadPoolExecutor(2) as pool:
                fb = pool.submit(CatWorker, env, build, logs, f"cat-b{i}", moto, ttl=10, cache=False,
                                 log_level=args.log_level)
                fa = pool.submit(CatWorker, env, build, logs, f"cat-a{i}", moto, ttl=60, cache=False,
                                 log_level=args.log_level) if with_a else None
                ws = []
                err = None
                for f in (fa, fb):
                    if f is None:
                        ws.append(None)
                        continue
                    try:
                        ws.append(f.result())
                    except Exception as e:  # noqa: BLE001  (stop the other one, then raise)
                        err = err or e
                        ws.append(None)
                if err:
                    for x in ws:
                        if x:
                            x.stop()
                    raise err
            return ws[0], ws[1]

        colds: list[dict] = []
        cold_a: dict | None = None
        ab: dict | None = None
        for i in range(args.catalog_starts):
            t = time.monotonic()
            a, b = pair(i + 1, with_a=(i == 0))
            procs.extend(x for x in (a, b) if x)
            log(f"catalog: fresh Worker(s) {'A+B' if a else 'B'} #{i + 1} ready in {time.monotonic() - t:.1f} s")
            cb = cold_probe(b, args.catalog_cold_requests, 0.4)
            if cb["signatures"] != cb["calls"]:
                raise HarnessError(f"cold probe B#{i + 1} (TTL 10): {cb['signatures']} distinct jti for "
                                   f"{cb['calls']} catalog calls: want one fresh token per call")
            colds.append(cb)
            log(f"  cold B#{i + 1}: isolate thread: first {cb['first_ms']:.2f} ms CPU, next median "
                f"{cb['next_median_ms']:.2f} ms, delta {cb['delta_ms']:.2f} ms (requests "
                f"{', '.join(f'{x:.2f}' for x in cb['req_ms'])}; background "
                f"{', '.join(f'{x:.2f}' for x in cb['bg_ms'])}; {cb['signatures']} jti)")
            if a:
                cold_a = cold_probe(a, args.catalog_cold_requests, 0.4)
                log(f"  cold A: first {cold_a['first_ms']:.2f} ms, next median {cold_a['next_median_ms']:.2f} ms "
                    f"({cold_a['signatures']} jti)")
                # 1. reused vs fresh token, rounds A B A B on the same two Workers.
                runs: dict[str, list[dict]] = {"A": [], "B": []}
                t_ab = time.monotonic()
                for w in (a, b):  # warm-up (not measured): V8 tiers the hot wasm up meanwhile
                    run_wrk(w.url + CAT_MISS, 1, args.catalog_connections, 2, lua)
                    w.calls()
                for rnd in range(args.catalog_rounds):
                    for tag, w in (("A", a), ("B", b)):
                        r = miss_load(w, args.catalog_connections, args.catalog_duration, lua)
                        runs[tag].append(r)
                        c = r["cpu"]
                        log(f"  {tag} (TTL {w.ttl}) round {rnd + 1}: {r['rps']:.0f} req/s, Worker workerd "
                            f"{c['workerd'] * 1000 / r['requests']:.3f} ms CPU/req, {r['calls']} calls, "
                            f"{len(r['jtis'])} jti, other {c['other'] / max(c['wall'], 1e-9):.2f} cores")
                per = lambda r: r["cpu"]["workerd"] * 1000 / max(r["requests"], 1)  # noqa: E731
                ab = {"A": merge_runs(runs["A"]), "B": merge_runs(runs["B"]), "took_s": time.monotonic() - t_ab,
                      "round_diffs": [per(rb) - per(ra) for ra, rb in zip(runs["A"], runs["B"])],
                      "round_a": [per(r) for r in runs["A"]], "round_b": [per(r) for r in runs["B"]],
                      "round_other": [max(r["cpu"]["other"] / max(r["cpu"]["wall"], 1e-9) for r in pr)
                                      for pr in zip(runs["A"], runs["B"])]}
                if ab["B"]["signatures"] != ab["B"]["calls"]:
                    raise HarnessError(f"B (TTL 10): {ab['B']['signatures']} distinct jti for {ab['B']['calls']} "
                                       "catalog calls: want a fresh token per call")
                seen = len(ab["A"]["jtis"] & set(cold_a["jtis"]))
                cnotes.append(f"Reused vs fresh: B's {fmt_int(ab['B']['calls'])} catalog calls carried "
                              f"{fmt_int(ab['B']['signatures'])} distinct jti (one per call); A's "
                              f"{fmt_int(ab['A']['calls'])} calls carried {ab['A']['signatures']} distinct jti, "
                              f"{seen} of them already used in A's cold probe before the runs (which made "
                              f"{cold_a['calls']} calls with {cold_a['signatures']} jti); A's runs spanned "
                              f"{ab['took_s']:.0f} s, and a token is renewed once fewer than 30 s of its 60 s "
                              "remain.")
                a.stop()
            b.stop()

        # 3. steady single-principal workloads, caching on (default) and off; TTL default (60 s).
        idp = start_dev_idp(free_port(), logs / "catalog-idp-state", logs / "catalog-idp.log")
        procs.append(idp.proc)
        t = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            fs = [pool.submit(CatWorker, env, build, logs, name, moto, ttl=None, cache=cache,
                              log_level=args.log_level, idp=idp)
                  for name, cache in (("cat-steady-on", True), ("cat-steady-off", False))]
            steady_workers = []
            for f in fs:
                try:
                    steady_workers.append(f.result())
                except Exception:
                    for x in steady_workers:
                        x.stop()
                    raise
        procs.extend(steady_workers)
        log(f"catalog: steady Workers (cache on/off, STS) ready in {time.monotonic() - t:.1f} s")
        path = f"/acme/public-data/{CAT_OBJECT}"
        steady = []
        for w in steady_workers:
            creds = stslib.assume(w.url, idp.token(CAT_USER, STS_AUDIENCE))
            for who, sub in (("anonymous", "anonymous"), (f"session `{CAT_USER}`", CAT_USER)):
                headers = None
                if sub != "anonymous":
                    headers = [stslib.sign_headers(w.url + path, creds) for _ in range(args.catalog_requests)]
                r = steady_run(w, path, args.catalog_requests, args.catalog_steady_concurrency, 20, sub, headers)
                r.update(who=who, cache=w.cache)
                steady.append(r)
                log(f"  steady {who:18} cache {'on ' if w.cache else 'off'}: {r['requests']} requests in "
                    f"{r['wall_s']:.1f} s, {r['calls']} catalog calls, {r['signatures']} signatures, Worker "
                    f"{r['cpu']['workerd'] * 1000 / max(r['requests'], 1):.2f} ms CPU/req")
                if r["requests"] < args.catalog_requests:
                    cnotes.append(f"steady {who}, cache {'on' if w.cache else 'off'}: stopped after "
                                  f"{r['requests']} of {args.catalog_requests} requests (20 s bound)")
            wlog = w.proc.log_since(0)
            badl = [ln for ln in wlog.splitlines() if any(m in ln for m in ("panicked at", "Uncaught"))]
            if badl:
                cnotes.append(f"{w.name} log: {len(badl)} panic/uncaught lines, first `{badl[0][:200]}`")
            w.stop()

        probe = None
        if not args.no_catalog_probe:
            t = time.monotonic()
            probe = webcrypto_probe(env, logs, 10, 20)
            log(f"catalog: WebCrypto probe: importKey {probe['import_ms']:.3f} ms, sign {probe['sign_ms']:.3f} ms "
                f"CPU per operation ({time.monotonic() - t:.1f} s)")
        res.update(colds=colds, cold_a=cold_a, ab=ab, steady=steady, probe=probe,
                   took_s=time.monotonic() - t_phase)
        return res
    finally:
        for p in reversed(procs):
            p.stop()
