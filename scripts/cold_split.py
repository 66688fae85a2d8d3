#!/usr/bin/env python3
"""Where a fresh isolate's first request goes (docs/BENCHMARKS.md "The cold start, split"):
fresh `wrangler dev` starts of several Worker builds, alternated, first vs warm request CPU of the
isolate's thread (schedstat), with the bench's `cold_once` (tests/support/bench/provider.py).

    . scripts/env.sh && $ODP_VENV/bin/python scripts/cold_split.py STARTS LABEL=BUILD_DIR[:PATH] ...

BUILD_DIR holds worker/shim.mjs (as `make build` leaves build/); PATH (default: the bench's cold
path, a moto-backed 64 KiB GET, body checked) is requested 6 times per start, one at a time. Other
paths are only checked for status 200: a probe build (see the doc) answers `/__probe0` before any
of the proxy's own work and `/__probe1` right after the configuration is parsed. Everything
listens on 127.0.0.1; processes are stopped at the end."""
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from support.bench.common import bench_env, body_bytes  # noqa: E402
from support.bench.provider import COLD_PATH, cold_once  # noqa: E402
from support.bench.setup import start_moto  # noqa: E402
from support.profile_mix import OBJ64, write_worker_config  # noqa: E402


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    starts = int(sys.argv[1])
    if not 1 <= starts <= 10:
        print("cold_split: 1..10 starts", file=sys.stderr)
        return 2
    builds = []
    for arg in sys.argv[2:]:
        label, rest = arg.split("=", 1)
        bdir, _, path = rest.partition(":")
        builds.append((label, Path(bdir).resolve(), path or COLD_PATH))
    env = bench_env()
    logs = Path(tempfile.mkdtemp(prefix="odp-cold-"))
    state = logs / "state"
    want = body_bytes(OBJ64)
    res: dict[str, list[dict]] = {label: [] for label, _, _ in builds}
    moto, url = start_moto(logs)
    try:
        cfgs = {label: write_worker_config(b / "worker" / "shim.mjs", url, logs, label, "info", None)
                for label, b, _ in builds}
        for i in range(starts):
            for label, _, path in builds:
                r = cold_once(env, cfgs[label], state, logs, f"{label}-{i}", path,
                              want if path == COLD_PATH else None, 6, 0.4)
                res[label].append(r)
                print(f"{label} #{i}: startup {r['startup_ms']:.0f} ms, first {r['first_ms']:.2f}, "
                      f"warm {r['warm_ms']:.2f} (process {r['first_all_ms']:.2f} / {r['warm_all_ms']:.2f})",
                      flush=True)
    finally:
        moto.stop()
    print(f"\n{starts} starts each, medians; CPU ms of the isolate's thread (and of the whole process)")
    print("| build | startup ms | first ms | warm ms | first − warm | first ms (process) | warm ms (process) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, _, _ in builds:
        def med(k: str, label: str = label) -> float:
            return statistics.median(r[k] for r in res[label])
        print(f"| {label} | {med('startup_ms'):.0f} | {med('first_ms'):.2f} | {med('warm_ms'):.2f} | "
              f"{med('first_ms') - med('warm_ms'):.2f} | {med('first_all_ms'):.2f} | {med('warm_all_ms'):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
