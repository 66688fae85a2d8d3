#!/usr/bin/env python3
"""CPU profile of the Worker under `wrangler dev` on loopback (`make profile`, docs/BENCHMARKS.md).

Builds the profiling wasm (Cargo profile `profiling`: release code, function names kept) into
target/profiling-worker (build/ is never touched), starts moto (the bench's objects and 1200 keys),
local R2 and the dev IdP when the mix needs them, and the proxy; warms the isolate up with the mix,
then records V8's CPU profile of the Worker's isolate through wrangler's inspector while it drives
`--requests` requests of the mix, and prints the top functions by self and by total time (Rust
names from the wasm name section) and the isolate's sampled CPU per request. The profile is
written as a .cpuprofile (Chrome DevTools > Performance > Load profile).

Everything listens on 127.0.0.1; every load is bounded in count (and time). Processes are stopped
at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.bench.common import log  # noqa: E402
from support.bench.setup import seed_r2, start_moto  # noqa: E402
from support.memprobe import Inspector, inspector_port  # noqa: E402
from support.procs import HarnessError, Proc, free_port, tools_env  # noqa: E402
from support.profile_mix import MIXES, Ctx, drive, needs, parse_mix, start_proxy, sts_context  # noqa: E402
from support.profiler import Profiler, render_top, sampled_cpu, summarize, wasm_names  # noqa: E402
from support.stubs import start_dev_idp  # noqa: E402

PROFILE_BUILD = REPO / "target" / "profiling-worker"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mix", default="get64k",
                    help=f"request kinds, comma-separated, sent in turn (default get64k): {', '.join(MIXES)}")
    ap.add_argument("--requests", type=int, default=300, help="profiled requests (default 300, at most 5000)")
    ap.add_argument("--warmup", type=int, default=100, help="requests before the profile starts (default 100)")
    ap.add_argument("--concurrency", type=int, default=2, help="requests in flight (default 2)")
    ap.add_argument("--interval-us", type=int, default=100, help="sampling interval in µs (default 100)")
    ap.add_argument("--top", type=int, default=15, help="functions per table (default 15)")
    ap.add_argument("--out", type=Path, help="the .cpuprofile (default build-profile/<mix>.cpuprofile under target/)")
    ap.add_argument("--log-level", default="info", help="the Worker's LOG_LEVEL (default info, as wrangler.toml)")
    ap.add_argument("--build", choices=["profiling", "release"], default="profiling",
                    help="profiling: build target/profiling-worker (names kept; default); release: a copy of "
                         "build/ as `make build` left it (no names: wasm-function[N])")
    ap.add_argument("--no-build", action="store_true", help="reuse target/profiling-worker as it is")
    ap.add_argument("--state", type=Path, default=REPO / ".wrangler" / "bench-state",
                    help="local R2 state (the bench's; seeding is idempotent), for the r2* and signed mixes")
    ap.add_argument("--json", type=Path, help="also write the figures (JSON) to this file")
    ap.add_argument("--keep-logs", action="store_true")
    a = ap.parse_args()
    if not 0 < a.requests <= 5000 or not 0 <= a.warmup <= 5000 or not 0 < a.concurrency <= 16:
        ap.error("--requests 1..5000, --warmup 0..5000, --concurrency 1..16")
    return a


def build(args, env: dict[str, str], logs: Path) -> Path:
    """The directory of the Worker to run (shim in worker/, wasm beside it)."""
    if args.build == "release":
        dst = logs / "build"
        shutil.copytree(REPO / "build", dst)
        return dst
    if not args.no_build:
        t = time.monotonic()
        r = subprocess.run(["bash", str(REPO / "scripts" / "build-worker.sh"), "--profile", "profiling",
                            "--out-dir", str(PROFILE_BUILD.relative_to(REPO))], env=env, cwd=REPO,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise HarnessError(f"profiling build failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
        log(f"profiling build in {time.monotonic() - t:.0f} s")
    if not (PROFILE_BUILD / "worker" / "shim.mjs").exists():
        raise HarnessError(f"{PROFILE_BUILD} has no worker/shim.mjs: run without --no-build")
    # A private copy: wrangler reloads the Worker when the files it bundled change.
    dst = logs / "build"
    shutil.copytree(PROFILE_BUILD, dst)
    return dst


def profile_mode(args, ctx: Ctx, proxy: Proc, mix: list[str], names: dict[int, str]) -> dict:
    if args.warmup:
        drive(ctx, mix, args.warmup, args.concurrency, offset=0)
    ins = Inspector(inspector_port(proxy), timeout=120)
    try:
        prof = Profiler(ins, args.interval_us)
        prof.start()
        res = drive(ctx, mix, args.requests, args.concurrency, offset=args.warmup)
        profile = prof.stop()
    finally:
        ins.close()
    out = args.out or REPO / "target" / "build-profile" / f"{'+'.join(mix)}.cpuprofile"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(profile))
    s = summarize(profile, names)
    cpu = sampled_cpu(profile, args.requests, names)
    print(f"\n## {'+'.join(mix)}: {args.requests} requests, c{args.concurrency}, {res['rps']:.0f} req/s, "
          f"sampling every {args.interval_us} µs, {s.samples} samples\n")
    print(f"Isolate CPU per request (sampled): {cpu['busy_ms_per_req']:.3f} ms busy = "
          f"{cpu['js_wasm_ms_per_req']:.3f} JS+wasm + {cpu['program_ms_per_req']:.3f} (program) + "
          f"{cpu['gc_ms_per_req']:.3f} GC\n")
    print(f"### Top {args.top} by self time\n")
    print(render_top(s, args.top, "self", args.requests))
    print(f"\n### Top {args.top} by total time\n")
    print(render_top(s, args.top, "total", args.requests))
    print(f"\nprofile: {out}")
    return {"mix": mix, "drive": res, "cpu": cpu, "profile": str(out),
            "top_self": [(f.name, f.self_us) for f in s.top(args.top)],
            "top_total": [(f.name, f.total_us) for f in s.top(args.top, "total")]}


def main() -> int:
    args = parse_args()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(143))
    mix = parse_mix(args.mix)
    need_r2, need_sts = needs(mix)
    env = tools_env()
    env["CI"] = "true"
    env["WRANGLER_SEND_METRICS"] = "false"
    logs = Path(tempfile.mkdtemp(prefix="odp-profile-"))
    procs: list[Proc] = []
    ok = False
    try:
        wdir = build(args, env, logs)
        main_js = wdir / "worker" / "shim.mjs"
        names = wasm_names((wdir / "index_bg.wasm").read_bytes())
        log(f"{args.build} build: {len(names)} function names in the wasm")
        moto, moto_url = start_moto(logs)
        procs.append(moto)
        if need_r2:
            seed_r2(env, args.state.resolve(), logs, False, main_js)
        idp = None
        if need_sts:
            idp = start_dev_idp(free_port(), logs / "idp-state", logs / "idp.log")
            procs.append(idp.proc)

        def proxy_factory(name: str) -> tuple[Proc, str]:
            return start_proxy(env, main_js, moto_url, args.state.resolve(), logs, name, args.log_level,
                               idp.issuer if idp else None)

        def ctx_for(url: str, n: int) -> Ctx:
            if not need_sts:
                return Ctx(url)
            return sts_context(url, idp, n if "sts" in mix else 0, min(n, 400) if "signed" in mix else 0)

        proxy, url = proxy_factory("proxy")
        procs.append(proxy)
        ctx = ctx_for(url, args.requests + args.warmup)
        log(f"proxy on {url}: {args.warmup} warm-up requests, then {args.requests} profiled")
        result = profile_mode(args, ctx, proxy, mix, names)
        if args.json:
            args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, **result},
                                            indent=1, default=str))
        ok = True
        return 0
    except (HarnessError, OSError, subprocess.SubprocessError) as e:
        print(f"profile: FAILED: {e}", file=sys.stderr)
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
