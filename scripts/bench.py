#!/usr/bin/env python3
"""Benchmark of oidc-data-proxy under `wrangler dev` (workerd) on loopback.

Run through scripts/bench.sh (`make bench`), which sets up the env (scripts/env.sh),
installs wrk when absent and builds the Worker when build/ is missing. Run with the
tools venv's python (it needs boto3, requests, moto).

One run measures:
  * the wasm size (build/index_bg.wasm raw and gzip -9);
  * GET throughput/latency with wrk of a 64 KiB and a 1 MiB object (a) straight from
    moto, (b) through the proxy from a moto-backed product, (c) through the proxy from
    local R2, and (d) the proxy's `GET /` service document (a floor), under load
    (-c8 by default) and unloaded (-c1); then (e) a plain JS Worker's `GET /` under the
    same wrangler (the runtime's floor) and (f) the proxy's `GET /` with LOG_LEVEL=error;
  * CPU time per request of each process (Worker workerd, wrangler's dev-proxy workerd,
    wrangler's Node, moto, wrk) and of processes outside the benchmark ("other");
  * ListObjectsV2 of 1000 keys (a page of `many/`), a bounded count of requests:
    moto directly, proxy over moto, proxy over R2;
  * STS and signed requests, in the same Worker (wasm): a bounded count of STS exchanges
    (AssumeRoleWithWebIdentity of RS256 ID tokens from scripts/dev-idp.py, JWKS cached after
    the first), in rounds interleaved with the same exchange done by a plain JS Worker (the STS
    floor and its variants, tests/support/bench/sts_floor.py), then a SigV4 header-signed GET of
    a restricted product vs an anonymous GET of the same R2 object through the public product
    (wrk, loaded and -c1, 3 rounds alternating the two). `--only sts` runs this part alone
    (printed only);
  * the HTTP catalog and minted tokens (issue 4), with Workers of their own calling the stub
    catalog API (tests/support/stub_catalog.py, which verifies and records every token):
    Worker CPU of a catalog call with a reused token vs a fresh mint (TTL 60 vs 10,
    CATALOG_CACHE=off), the cold mint on fresh Workers (per-thread CPU in ns from schedstat)
    with a JS probe of WebCrypto importKey/sign, and catalog calls and signatures (distinct
    jti) per 1000 requests of a steady single-principal workload, caching on and off.
    `--only catalog` runs this part alone, `--no-catalog` skips it;
  * the edge cache (issue 13): a Parquet-like read pattern (HEAD, footer, scattered column
    chunks; many clients, the same files) through a Worker with OBJECT_CACHE=off and one with
    it on, over one moto behind a recording proxy that counts backend requests and bytes, every
    answer checked against the object; then hit vs miss vs uncached latency and Worker CPU, in
    interleaved rounds with two plain JS Workers as the runtime's floors (a pass-through and a
    Cache API hit, tests/support/bench/cache_floor.py), whose CPU is subtracted.
    `--only cache` runs this part alone, `--no-cache` skips it;
  * the read floor: anonymous GETs (1 KiB, 64 KiB, 1 MiB, a 1 KiB range; moto and R2) of the
    proxy at the production log level against a plain JS pass-through Worker, with and without
    one log line (tests/support/bench/floor.py). `--only floor` runs it alone, `--no-floor` skips it;
and prints Markdown tables, which it also writes into docs/BENCHMARKS.md between the
BEGIN/END markers (one pair per section; the prose outside the markers is left alone).

Everything listens on 127.0.0.1; every load is bounded in time (wrk -d) or count.
Processes (moto, wrangler/workerd) are started in their own process groups and
stopped by group id at the end. The sections live in tests/support/bench/ (one module each);
this file parses the options and runs them in order.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.bench.cache import CACHE_DOC_BEGIN, CACHE_DOC_END, cache_phase  # noqa: E402
from support.bench.cache_report import render_cache  # noqa: E402
from support.bench.catalog import CAT_DOC_BEGIN, CAT_DOC_END  # noqa: E402
from support.bench.catalog_report import render_catalog  # noqa: E402
from support.bench.catalog_run import catalog_phase  # noqa: E402
from support.bench.common import BENCH_OBJECTS, MANY, bench_env, log  # noqa: E402
from support.bench.cpu import CpuMeter, wait_quiet, wrangler_tree  # noqa: E402
from support.bench.get import floors_phase, get_phase  # noqa: E402
from support.bench.listing import list_phase  # noqa: E402
from support.bench.floor import FLOOR_DOC_BEGIN, FLOOR_DOC_END, floor_phase, render_floor  # noqa: E402
from support.bench.provider import PROV_DOC_BEGIN, PROV_DOC_END, provider_phase, render_provider  # noqa: E402
from support.bench.report import git_desc, machine_notes, render, render_sts, run_notes, versions, write_doc, \
    write_doc_block  # noqa: E402
from support.bench.setup import seed_r2, snapshot_build, start_moto, start_worker, wasm_size  # noqa: E402
from support.bench.sts import sts_phase  # noqa: E402
from support.bench.wrk import WRK_LUA, Measure  # noqa: E402
from support.procs import HarnessError, Proc, free_port  # noqa: E402
from support.stubs import DevIdp, start_dev_idp  # noqa: E402


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10, help="seconds per loaded wrk run (default 10)")
    ap.add_argument("--connections", type=int, default=8, help="wrk connections under load (default 8)")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    ap.add_argument("--warmup", type=int, default=1, help="seconds of warm-up before each loaded run")
    ap.add_argument("--unloaded-duration", type=int, default=3, help="seconds per -c1 run (default 3)")
    ap.add_argument("--list-count", type=int, default=30, help="ListObjectsV2 requests per target")
    ap.add_argument("--list-concurrency", type=int, default=2)
    ap.add_argument("--log-level", default="info", help="the Worker's LOG_LEVEL (default info, as wrangler.toml)")
    ap.add_argument("--no-floors", action="store_true",
                    help="skip rows (e) and (f), which need 2 more wrangler dev starts")
    ap.add_argument("--wait-quiet", type=int, default=30,
                    help="wait up to N s for other processes to use < 25%% of the machine (default 30; 0: don't)")
    ap.add_argument("--state", type=Path, default=REPO / ".wrangler" / "bench-state",
                    help="wrangler --persist-to dir for local R2 (kept between runs; seeding is idempotent)")
    ap.add_argument("--fresh", action="store_true", help="delete --state first (re-seed R2 from scratch)")
    ap.add_argument("--doc", type=Path, default=REPO / "docs" / "BENCHMARKS.md")
    ap.add_argument("--no-doc", action="store_true", help="print only, do not rewrite --doc")
    ap.add_argument("--keep-logs", action="store_true", help="keep the temp dir with moto/wrangler logs")
    ap.add_argument("--repeat-busy", type=int, default=3,
                    help="repeat a wrk run when other processes used > 0.3 core during it, up to N times "
                         "in the whole bench (default 3); the cleanest run is kept")
    ap.add_argument("--json", type=Path, help="also write the raw results (JSON) to this file")
    ap.add_argument("--no-sts", action="store_true",
                    help="skip the STS exchanges and signed GETs (no dev IdP, STS off in the Worker)")
    ap.add_argument("--sts-exchanges", type=int, default=200,
                    help="STS exchanges measured (default 200, each with its own ID token; bounded by 60 s)")
    ap.add_argument("--sts-concurrency", type=int, default=4, help="exchanges in flight (default 4)")
    ap.add_argument("--sts-rounds", type=int, default=4,
                    help="interleaved rounds of the proxy's and the STS floor's exchanges (default 4)")
    ap.add_argument("--no-sts-floor", action="store_true",
                    help="skip the STS floor (a JS Worker doing the exchange; one more wrangler dev)")
    ap.add_argument("--only", choices=["catalog", "cache", "provider", "floor", "sts"],
                    help="run one section alone: `catalog` = the HTTP catalog and minted tokens (issue 4), "
                         "`cache` = the edge cache (issue 13), `provider` = discovery/JWKS and the cold start, "
                         "`floor` = anonymous reads against a JS pass-through with and without a log line; "
                         "only its block of --doc is rewritten; `sts` = the STS part (exchanges against "
                         "the STS floor, signed GETs), printed only: its block is part of the main one")
    ap.add_argument("--no-floor", action="store_true",
                    help="skip the read-floor section (its block of --doc is left as it is)")
    ap.add_argument("--floor-rounds", type=int, default=3,
                    help="interleaved rounds of the read-floor wrk runs (default 3)")
    ap.add_argument("--floor-duration", type=int, default=3, help="seconds per wrk run there (default 3)")
    ap.add_argument("--floor-list-count", type=int, default=20,
                    help="1000-key listing pages per Worker, backend and round there, one at a time (default 20)")
    ap.add_argument("--no-provider", action="store_true",
                    help="skip the provider-documents and cold-start section (its block of --doc is left as it is)")
    ap.add_argument("--provider-rounds", type=int, default=3,
                    help="interleaved rounds of the discovery/JWKS wrk runs, proxy and floor (default 3)")
    ap.add_argument("--provider-duration", type=int, default=3, help="seconds per wrk run there (default 3)")
    ap.add_argument("--cold-starts", type=int, default=3,
                    help="fresh proxies (and as many fresh JS Workers) for the cold start (default 3)")
    ap.add_argument("--cold-requests", type=int, default=8,
                    help="GETs measured one by one on each fresh Worker, the first included (default 8)")
    ap.add_argument("--no-cache", action="store_true",
                    help="skip the edge-cache section (its block of --doc is left as it is)")
    ap.add_argument("--cache-clients", type=int, default=64,
                    help="clients of the edge-cache read pattern, each reading every file (default 64)")
    ap.add_argument("--cache-files", type=int, default=2, help="Parquet-like files read there (default 2)")
    ap.add_argument("--cache-concurrency", type=int, default=4, help="clients at a time there (default 4)")
    ap.add_argument("--cache-latency-reads", type=int, default=100,
                    help="rounds (objects) of the interleaved uncached / floor / miss / hit / floor reads "
                         "(default 100)")
    ap.add_argument("--no-catalog", action="store_true",
                    help="skip the HTTP-catalog section (its block of --doc is left as it is)")
    ap.add_argument("--catalog-duration", type=int, default=3,
                    help="seconds per wrk run of the reused-vs-fresh-token comparison (default 3)")
    ap.add_argument("--catalog-rounds", type=int, default=4,
                    help="rounds of A, B (TTL 60, TTL 10) wrk runs (default 4: 4 x duration per Worker)")
    ap.add_argument("--catalog-connections", type=int, default=4, help="wrk connections there (default 4)")
    ap.add_argument("--catalog-starts", type=int, default=3,
                    help="fresh Workers for the cold mint (default 3; the median is reported)")
    ap.add_argument("--catalog-cold-requests", type=int, default=8,
                    help="catalog-bound requests measured one by one on each fresh Worker (default 8)")
    ap.add_argument("--catalog-requests", type=int, default=1000,
                    help="requests per steady single-principal workload (default 1000; bounded by 20 s)")
    ap.add_argument("--catalog-steady-concurrency", type=int, default=2,
                    help="requests in flight in the steady single-principal workloads (default 2)")
    ap.add_argument("--no-catalog-probe", action="store_true",
                    help="skip the JS WebCrypto probe (importKey/sign alone, one more wrangler dev)")
    args = ap.parse_args()
    if args.only and getattr(args, f"no_{args.only}"):
        ap.error(f"--only {args.only} and --no-{args.only} exclude each other")
    return args

    # SIGTERM/SIGHUP -> SystemExit, so the finally below stops moto and wrangler.


def main() -> int:
    args = parse_args()
    # SIGTERM/SIGHUP -> SystemExit, so the finally below stops moto and wrangler.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(143))

    if not shutil.which("wrk"):
        print("bench: wrk not found (scripts/bench.sh installs it)", file=sys.stderr)
        return 2
    if not (REPO / "build" / "worker" / "shim.mjs").exists():
        print("bench: build/worker/shim.mjs missing (scripts/bench.sh builds it)", file=sys.stderr)
        return 2

    t_start = time.monotonic()
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = os.environ.get("ODP_BENCH_COMMAND") or shlex.join(["python", "scripts/bench.py", *sys.argv[1:]])
    env = bench_env()
    state = args.state.resolve()
    logs = Path(tempfile.mkdtemp(prefix="odp-bench-"))
    lua = logs / "bench.lua"
    lua.write_text(WRK_LUA)
    log(f"logs in {logs}")

    procs: list[Proc] = []
    ok = False
    measure = Measure(args, lua)

    def catalog_section(build: Path, build_time: str, wasm: dict) -> str:
        cat = catalog_phase(env, build, logs, args, lua, [])
        cmeta = {"date": date, "command": command, "git": git_desc(), "build_time": build_time,
                 "wasm_sha": wasm["sha256"], "machine": machine_notes(), "versions": versions(env),
                 "log_level": args.log_level, "cat_conns": args.catalog_connections,
                 "cat_duration": args.catalog_duration, "cat_requests": args.catalog_requests,
                 "cat_steady_conc": args.catalog_steady_concurrency}
        if args.json:
            cjson = args.json.with_name(args.json.stem + "-catalog" + args.json.suffix) if not args.only else args.json
            cjson.write_text(json.dumps({"meta": cmeta, "catalog": cat}, indent=1, default=sorted))
        return "\n".join(render_catalog(cmeta, cat))

    def cache_section(build: Path, build_time: str, wasm: dict) -> str:
        res = cache_phase(env, build, logs, args)
        cmeta = {"date": date, "command": command, "git": git_desc(), "build_time": build_time,
                 "wasm_sha": wasm["sha256"], "machine": machine_notes(), "log_level": args.log_level}
        if args.json:
            cjson = args.json.with_name(args.json.stem + "-cache" + args.json.suffix) if not args.only else args.json
            cjson.write_text(json.dumps({"meta": cmeta, "cache": res}, indent=1, default=str))
        return render_cache(cmeta, res)

    def provider_section(build: Path, build_time: str, wasm: dict, moto_url: str) -> str:
        res = provider_phase(args, measure, env, build, moto_url, state, logs, procs)
        pmeta = {"date": date, "command": command, "git": git_desc(), "build_time": build_time,
                 "wasm_sha": wasm["sha256"], "machine": machine_notes(), "log_level": args.log_level,
                 "conns": args.connections, "duration": args.provider_duration, "rounds": args.provider_rounds,
                 "cold_requests": args.cold_requests}
        if args.json:
            pjson = args.json.with_name(args.json.stem + "-provider" + args.json.suffix) if not args.only else args.json
            pjson.write_text(json.dumps({"meta": pmeta, "provider": res}, indent=1, default=str))
        return render_provider(pmeta, res)

    def floor_section(build: Path, build_time: str, wasm: dict, moto_url: str) -> str:
        res = floor_phase(args, measure, env, build, moto_url, state, logs, procs)
        fmeta = {"date": date, "command": command, "git": git_desc(), "build_time": build_time,
                 "wasm_sha": wasm["sha256"], "machine": machine_notes(), "log_level": args.log_level,
                 "conns": args.connections, "duration": args.floor_duration, "rounds": args.floor_rounds,
                 "list_count": args.floor_list_count}
        if args.json:
            fjson = args.json.with_name(args.json.stem + "-floor" + args.json.suffix) if not args.only else args.json
            fjson.write_text(json.dumps({"meta": fmeta, "floor": res}, indent=1, default=str))
        return render_floor(fmeta, res)

    try:
        build = snapshot_build(logs)
        build_time = dt.datetime.fromtimestamp((REPO / "build" / "index_bg.wasm").stat().st_mtime,
                                               dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        wasm = wasm_size(build)
        log(f"wasm: {wasm['raw']} B raw, {wasm['gzip9']} B gzip -9 (sha256 {wasm['sha256']}, a copy of build/)")
        if args.only == "catalog":
            csection = catalog_section(build, build_time, wasm)
            print()
            print(csection)
            print()
            if not args.no_doc:
                write_doc_block(args.doc, CAT_DOC_BEGIN, CAT_DOC_END, csection)
                log(f"wrote the catalog section of {args.doc}")
            ok = True
            return 0
        if args.only == "cache":
            xsection = cache_section(build, build_time, wasm)
            print()
            print(xsection)
            print()
            if not args.no_doc:
                write_doc_block(args.doc, CACHE_DOC_BEGIN, CACHE_DOC_END, xsection)
                log(f"wrote the cache section of {args.doc}")
            ok = True
            return 0
        if args.only == "sts":
            # The STS part alone: local R2 for the signed GETs, no moto (nothing here reads it).
            seed_r2(env, state, logs, args.fresh, build / "worker" / "shim.mjs")
            idp = start_dev_idp(free_port(), logs / "idp-state", logs / "idp.log")
            procs.append(idp.proc)
            worker, proxy = start_worker(env, build, None, state, logs, args.log_level, sts_issuer=idp.issuer)
            procs.append(worker)
            meter = CpuMeter((worker.popen.pid, int(proxy.rsplit(":", 1)[1])),
                             {"client": [os.getpid()], "idp": [idp.proc.popen.pid]})
            notes: list[str] = []
            wait_quiet(meter, args.wait_quiet, notes)
            sts = sts_phase(args, measure, env, state, logs, idp, worker, proxy, meter, notes, procs)
            smeta = {"command": command, "sts_conc": args.sts_concurrency}
            if args.json:
                args.json.write_text(json.dumps({"meta": smeta, "sts": sts, "notes": notes}, indent=1, default=str))
            print()
            print("\n".join(render_sts(smeta, sts) + [""] + [f"- {n}" for n in notes]))
            print()
            log(f"Run of {date}, tree {git_desc()}, build of {build_time} (wasm sha256 {wasm['sha256']}); "
                f"{machine_notes()}; --only sts rewrites nothing in {args.doc}")
            ok = True
            return 0
        if args.only in ("provider", "floor"):
            if args.only == "floor":
                seed_r2(env, state, logs, args.fresh, build / "worker" / "shim.mjs")
            moto, moto_url = start_moto(logs)
            procs.append(moto)
            if args.only == "floor":
                one, begin, end = floor_section(build, build_time, wasm, moto_url), FLOOR_DOC_BEGIN, FLOOR_DOC_END
            else:
                one, begin, end = provider_section(build, build_time, wasm, moto_url), PROV_DOC_BEGIN, PROV_DOC_END
            print()
            print(one)
            print()
            if not args.no_doc:
                write_doc_block(args.doc, begin, end, one)
                log(f"wrote the {args.only} section of {args.doc}")
            ok = True
            return 0
        seed_r2(env, state, logs, args.fresh, build / "worker" / "shim.mjs")
        t = time.monotonic()
        moto, moto_url = start_moto(logs)
        procs.append(moto)
        log(f"moto on {moto_url}: {len(BENCH_OBJECTS)} objects + {len(MANY)} many/ keys in "
            f"{time.monotonic() - t:.1f} s")
        idp: DevIdp | None = None
        if not args.no_sts:
            idp = start_dev_idp(free_port(), logs / "idp-state", logs / "idp.log")
            procs.append(idp.proc)
            log(f"dev IdP on {idp.url}")
        t = time.monotonic()
        worker, proxy = start_worker(env, build, moto_url, state, logs, args.log_level,
                                     sts_issuer=idp.issuer if idp else None)
        procs.append(worker)
        log(f"wrangler dev on {proxy}: ready in {time.monotonic() - t:.1f} s")
        roles = wrangler_tree(worker.popen.pid, int(proxy.rsplit(":", 1)[1]))
        if len(roles["workerd"]) != 1 or len(roles["devproxy"]) != 1:
            log(f"note: unexpected wrangler process tree {roles}")
        # `client`: this script (the Python load of the listings and STS exchanges); `idp`: the dev IdP.
        extra = {"moto": [moto.popen.pid], "client": [os.getpid()]}
        if idp:
            extra["idp"] = [idp.proc.popen.pid]
        meter = CpuMeter((worker.popen.pid, int(proxy.rsplit(":", 1)[1])), extra)

        notes: list[str] = []
        background = wait_quiet(meter, args.wait_quiet, notes)
        load, unloaded = get_phase(args, measure, moto_url, moto, proxy, meter, notes)
        lists = list_phase(args, moto_url, proxy, meter, notes)
        sts = None if idp is None else sts_phase(args, measure, env, state, logs, idp, worker, proxy, meter, notes,
                                                 procs)

        # The Worker's log: panics or uncaught errors during the run; how many requests it logged.
        wlog = worker.log_since(0)
        bad = [ln for ln in wlog.splitlines()
               if any(m in ln for m in ("panicked at", "Uncaught", "unreachable", "RuntimeError"))]
        notes.append(f"Worker log: {len(bad)} panic/uncaught lines" + (f", first: `{bad[0][:200]}`" if bad else ""))
        worker.stop()

        if not args.no_floors:
            # moto still up: row (g) streams its objects.
            floors_phase(args, measure, env, build, moto_url, state, logs, procs, load, unloaded)
        psection = None if args.no_provider else provider_section(build, build_time, wasm, moto_url)
        fsection = None if args.no_floor else floor_section(build, build_time, wasm, moto_url)
        moto.stop()

        csection = None if args.no_catalog else catalog_section(build, build_time, wasm)
        xsection = None if args.no_cache else cache_section(build, build_time, wasm)
        run_notes(load, unloaded, sts, lists, notes)

        meta = {
            "date": date, "took_s": time.monotonic() - t_start, "command": command, "git": git_desc(),
            "build_time": build_time,
            "machine": machine_notes(), "versions": versions(env), "log_level": args.log_level,
            "compat": json.loads((logs / "wrangler" / "wrangler.json").read_text())["compatibility_date"],
            "background": background,
            "wrk_load": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s",
            "wrk_unloaded": f"wrk -t1 -c1 -d{args.unloaded_duration}s",
            "warmup": args.warmup, "conns": args.connections,
            "list_count": args.list_count, "list_conc": args.list_concurrency,
            "sts_conc": args.sts_concurrency,
        }
        section = render(meta, wasm, load, unloaded, lists, notes, sts)
        if args.json:
            args.json.write_text(json.dumps({"meta": meta, "wasm": wasm, "load": load, "unloaded": unloaded,
                                             "lists": lists, "sts": sts, "notes": notes}, indent=1, default=str))
        print()
        print(section)
        print()
        for extra_section in (csection, xsection, psection, fsection):
            if extra_section:
                print(extra_section)
                print()
        if not args.no_doc:
            write_doc(args.doc, section)
            if csection:
                write_doc_block(args.doc, CAT_DOC_BEGIN, CAT_DOC_END, csection)
            if xsection:
                write_doc_block(args.doc, CACHE_DOC_BEGIN, CACHE_DOC_END, xsection)
            if psection:
                write_doc_block(args.doc, PROV_DOC_BEGIN, PROV_DOC_END, psection)
            if fsection:
                write_doc_block(args.doc, FLOOR_DOC_BEGIN, FLOOR_DOC_END, fsection)
            log(f"wrote {args.doc}")
        ok = True
        return 0
    except (HarnessError, subprocess.SubprocessError, requests.RequestException, OSError) as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        for p in reversed(procs):
            p.stop()
        if ok and not args.keep_logs:
            shutil.rmtree(logs, ignore_errors=True)
        else:
            log(f"logs kept in {logs}")


if __name__ == "__main__":
    sys.exit(main())
