#!/usr/bin/env python3
"""What V8 compiles of the Worker's wasm, and when (docs/BENCHMARKS.md "Compiled whole").

    . scripts/env.sh && $ODP_VENV/bin/python scripts/wasmtiers.py [--mix get|list|sts] [--requests N]
        [--top K] LABEL=BUILD_DIR ...

Each build (a directory as `make build` leaves build/; a profiling build, `make profile` or
`scripts/build-worker.sh --profile profiling --out-dir DIR`, keeps the names) runs under a fresh
`wrangler dev` whose workerd gets V8's `--trace-wasm-compilation-times` (Miniflare passes
MINIFLARE_WORKERD_V8_FLAGS on to workerd), one build after the other. The trace says, per wasm
function, which tier compiled it, how long it took and how large its body is. Counted apart:

- *startup*: until wrangler is ready and the Worker's log has been quiet for 1 s (module
  evaluation, the configuration parsed); no request reaches the Worker before (no readiness
  probe, as in the bench's cold start);
- *first request*: the baseline compiler (Liftoff) on the isolate's thread, lazily, for every
  function the isolate's first request calls for the first time;
- *the rest*: N more requests of the mix (sts: 4 at a time, as the bench's exchanges); the
  optimizing compiler (TurboFan) runs on V8's background threads for the functions that ran hot.

Mixes, `make profile`'s (tests/support/profile_mix.py, each answer checked as there): `get` (its
`get64k`, the bench's 64 KiB object over moto), `list` (a 1000-key page over moto), `sts`
(AssumeRoleWithWebIdentity with the dev IdP's tokens; the first exchange fetches its keys). Compile times
move with the machine's load; the counts and body bytes much less. Everything listens on
127.0.0.1; processes are stopped at the end."""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.bench.common import bench_env  # noqa: E402
from support.bench.setup import start_moto  # noqa: E402
from support.procs import HarnessError, free_port  # noqa: E402
from support.profile_mix import Ctx, drive, sts_context, write_worker_config  # noqa: E402
from support.profiler import demangle, wasm_names  # noqa: E402
from support.stubs import start_dev_idp  # noqa: E402
from support.wrangler import launch_wrangler  # noqa: E402

LINE = re.compile(r"Compiled function \S+#(\d+) using (\w+), took (\d+) μs.*?bodysize (\d+)")
MIX_OF = {"get": "get64k", "list": "list", "sts": "sts"}  # support.profile_mix.MIXES


def compiles(text: str) -> list[tuple[int, str, int, int]]:
    """(function index, tier, µs, body bytes) of every compile the trace reports."""
    return [(int(m[1]), m[2], int(m[3]), int(m[4])) for m in LINE.finditer(text)]


def tally(cs: list[tuple[int, str, int, int]], tier: str) -> str:
    got = [c for c in cs if c[1] == tier]
    return f"{len(got)} / {sum(c[3] for c in got) / 1000:.1f} KB / {sum(c[2] for c in got) / 1000:.1f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("builds", nargs="+", help="LABEL=BUILD_DIR")
    ap.add_argument("--mix", choices=("get", "list", "sts"), default="get")
    ap.add_argument("--requests", type=int, default=300, help="requests after the first (default 300)")
    ap.add_argument("--v8-flag", action="append", default=[], help="another V8 flag for workerd (repeatable)")
    ap.add_argument("--top", type=int, default=12, help="the K longest TurboFan compiles per build")
    args = ap.parse_args()
    if not 1 <= args.requests <= 2000:
        ap.error("--requests: 1..2000 (bounded load)")
    builds = [(label, Path(d).resolve()) for label, d in (b.split("=", 1) for b in args.builds)]
    env = dict(bench_env(), MINIFLARE_WORKERD_V8_FLAGS=" ".join(["--trace-wasm-compilation-times", *args.v8_flag]))
    logs = Path(tempfile.mkdtemp(prefix="odp-wasmtiers-"))
    state = logs / "state"
    state.mkdir()
    procs = []
    rows = []
    try:
        moto, moto_url = start_moto(logs)
        procs.append(moto)
        idp = None
        if args.mix == "sts":
            idp = start_dev_idp(free_port(), logs / "idp-state", logs / "idp.log")
            procs.append(idp.proc)
        for label, build in builds:
            # No readiness request (as the bench's cold start): the first request is the isolate's.
            cfg = write_worker_config(build / "worker" / "shim.mjs", moto_url, logs, label, "info",
                                      idp.issuer if idp else None)
            w, port = launch_wrangler(env, cfg, state, logs / f"{label}.log", label, cwd=cfg.parent)
            try:
                rows.append((label, build, run(args, w, f"http://127.0.0.1:{port}", idp)))
            finally:
                w.stop()
    finally:
        for p in reversed(procs):
            p.stop()
    print(f"\nmix {args.mix}, 1 + {args.requests} requests; functions / wasm body bytes / compile time")
    print("| build | startup (Liftoff) | first request (Liftoff) | the rest (Liftoff) | the rest (TurboFan) |")
    print("|---|---|---|---|---|")
    for label, _, (start, first, rest) in rows:
        print(f"| {label} | {tally(start, 'Liftoff')} | {tally(first, 'Liftoff')} | {tally(rest, 'Liftoff')} "
              f"| {tally(rest, 'TurboFan')} |")
    for label, build, (_, first, rest) in rows:
        names = wasm_names((build / "index_bg.wasm").read_bytes())
        turbo = sorted((c for c in rest if c[1] == "TurboFan"), key=lambda c: -c[2])[:args.top]
        print(f"\n{label}: the longest TurboFan compiles (ms, body bytes, function)")
        for idx, _, us, size in turbo:
            print(f"  {us / 1000:6.2f}  {size:6d}  {demangle(names[idx]) if idx in names else f'wasm-function[{idx}]'}")
    return 0


def run(args, w, url: str, idp) -> tuple[list, list, list]:
    """The compiles of the startup, of the first request and of the rest, from the Worker's log."""
    def text() -> str:
        return w.log_path.read_text(errors="replace")

    quiet_since, seen, deadline = time.monotonic(), len(text()), time.monotonic() + 90
    while "Ready on" not in text() or time.monotonic() - quiet_since < 1.0:
        if time.monotonic() > deadline:
            raise HarnessError(f"{w.name}: the log never went quiet")
        time.sleep(0.2)
        if len(text()) != seen:
            seen, quiet_since = len(text()), time.monotonic()
    startup = text()
    # The requests and their checks are `make profile`'s (support.profile_mix).
    ctx = sts_context(url, idp, args.requests + 1, 0) if idp else Ctx(url)
    mix = [MIX_OF[args.mix]]
    drive(ctx, mix, 1, 1)
    time.sleep(1.0)
    first = text()
    drive(ctx, mix, args.requests, 4 if args.mix == "sts" else 1, offset=1)
    time.sleep(2.0)  # background compiles finishing
    rest = text()
    return (compiles(startup), compiles(first[len(startup):]), compiles(rest[len(first):]))


if __name__ == "__main__":
    sys.exit(main())
