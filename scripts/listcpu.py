"""Worker CPU of a 1000-key ListObjectsV2 page, builds side by side (docs/BENCHMARKS.md,
"A 1000-key ListObjectsV2 page").

Run with the tools venv's python (`. scripts/env.sh && $ODP_VENV/bin/python scripts/listcpu.py`).
Starts moto (the bench's 1200 `many/` keys) and seeds local R2 (the bench's state) once, then, for
each of `--rounds` rounds, runs every build given with `--build` (directories as `make build`
leaves build/; default build/ itself) and the two JS floors in turn, each in a `wrangler dev` of
its own: `--count` first pages of `many/` over moto and as many over R2, every answer checked
(200, 1000 keys, the first key). It prints the Worker workerd's CPU per request (utime+stime of the
process, which also runs Miniflare's R2 simulation) per round and the medians.

The floors are plain JS Workers: `s3 floor` fetches the same moto listing and streams it back;
`r2 floor` calls `list()` on the binding and writes each key, size, ETag and date into XML
without escaping, the least any R2-listing proxy must do.

Everything listens on 127.0.0.1; every load is bounded in count and time; processes are
stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.bench.common import MOTO_BUCKET, PRODUCT_PREFIX, bench_env, log  # noqa: E402
from support.bench.cpu import CpuMeter  # noqa: E402
from support.bench.floor import R2_LIST_JS  # noqa: E402
from support.bench.listing import bench_list  # noqa: E402
from support.bench.setup import seed_r2, start_moto, start_wrangler, start_worker  # noqa: E402
from support.wrangler import write_wrangler_config  # noqa: E402

S3_FLOOR_JS = """export default {
  // The least a proxy can do with a listing: fetch it and stream it back.
  async fetch(req, env) {
    const u = new URL(req.url);
    if (u.pathname === "/") return new Response("ready");
    return fetch(env.BACKEND + u.search);
  },
};
"""

R2_FLOOR_JS = R2_LIST_JS + """export default {
  async fetch(req, env) {
    const u = new URL(req.url);
    if (u.pathname === "/") return new Response("ready");
    return r2ListXml(env, u.searchParams.get("prefix"));
  },
};
"""


def measure(worker, url: str, base: str, count: int) -> dict[str, float]:
    port = int(url.rsplit(":", 1)[1])
    meter = CpuMeter((worker.popen.pid, port))
    out = {}
    for tag, path in (("moto", "/mirror?list-type=2&prefix=public-data/many/"),
                      ("r2", "/demo?list-type=2&prefix=public-data/many/")):
        if base == "s3floor" and tag == "r2" or base == "r2floor" and tag == "moto":
            continue
        if base == "s3floor":
            path = f"/x?list-type=2&prefix={PRODUCT_PREFIX}many/"
            first = f"{PRODUCT_PREFIX}many/00000.txt"
        elif base == "r2floor":
            path = f"/x?prefix={PRODUCT_PREFIX}many/"
            first = f"{PRODUCT_PREFIX}many/00000.txt"
        else:
            first = "public-data/many/00000.txt"
        bench_list(url + path, 5, 1, 30, first, 1000)  # warm-up
        before = meter.snap()
        res = bench_list(url + path, count, 2, 60, first, 1000)
        d = CpuMeter.delta(before, meter.snap())
        if res["bad"]:
            raise SystemExit(f"{base} {tag}: bad answers {res['bad'][:3]}")
        out[tag] = d["workerd"] * 1e3 / res["n"]
        log(f"{base:10} {tag:5}: {out[tag]:6.2f} ms Worker workerd CPU/request ({res['n']} requests, "
            f"{res['rps']:.1f} req/s, other {d.get('other', 0):.2f} s)")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", action="append", type=Path, help="a build dir (repeatable; default build/)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--count", type=int, default=40, help="measured pages per target (bounded by 60 s)")
    ap.add_argument("--no-floors", action="store_true")
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--state", type=Path, default=REPO / ".wrangler" / "bench-state")
    args = ap.parse_args()
    builds = [b.resolve() for b in (args.build or [REPO / "build"])]
    env = bench_env()
    logs = Path(tempfile.mkdtemp(prefix="odp-listcpu-"))
    procs = []
    results: dict[str, dict[str, list[float]]] = {}
    try:
        copies = []
        for i, b in enumerate(builds):
            dst = logs / f"build{i}"
            shutil.copytree(b, dst)
            copies.append(dst)
        state = args.state.resolve()
        seed_r2(env, state, logs, False, copies[0] / "worker" / "shim.mjs")
        moto, moto_url = start_moto(logs)
        procs.append(moto)
        (logs / "s3floor.mjs").write_text(S3_FLOOR_JS)
        (logs / "r2floor.mjs").write_text(R2_FLOOR_JS)
        runs = [(str(b), c) for b, c in zip(builds, copies)]
        if not args.no_floors:
            runs += [("s3floor", None), ("r2floor", None)]
        for rnd in range(args.rounds):
            for name, copy in (runs if rnd % 2 == 0 else list(reversed(runs))):
                if copy is not None:
                    w, url = start_worker(env, copy, moto_url, state, logs, args.log_level, name=f"w{rnd}")
                    base = "proxy"
                else:
                    cfg = write_wrangler_config(logs / f"{name}{rnd}" / "wrangler.json", None,
                                                {"BACKEND": f"{moto_url}/{MOTO_BUCKET}"}, None, name=f"odp-{name}",
                                                main=logs / f"{name}.mjs", r2=name == "r2floor")
                    w, url = start_wrangler(env, cfg, state, logs, f"{name}{rnd}")
                    base = name
                procs.append(w)
                try:
                    for tag, v in measure(w, url, base, args.count).items():
                        results.setdefault(f"{name} {tag}" if copy is not None else name, {}).setdefault(
                            "v", []).append(v)
                finally:
                    w.stop()
        print()
        print(f"Worker workerd CPU per 1000-key page, ms ({args.rounds} interleaved rounds, "
              f"{args.count} pages each, load {os.getloadavg()[0]:.2f}):")
        print()
        print("| run | rounds | median |")
        print("|---|---|---:|")
        for k, r in results.items():
            print(f"| {k} | {' / '.join(f'{x:.2f}' for x in r['v'])} | {statistics.median(r['v']):.2f} |")
        return 0
    finally:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
