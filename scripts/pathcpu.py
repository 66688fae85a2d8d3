#!/usr/bin/env python3
"""Worker CPU per request of a few moto-backed paths, builds side by side (docs/BENCHMARKS.md,
"Reading a backend's answer", "Where a warm read's CPU goes"): a 1000-key listing page, a 1-key
page, a 1 KiB and a 1 MiB GET.

    . scripts/env.sh && [PATHCPU_PATHS="GET 1 KiB,..."] $ODP_VENV/bin/python scripts/pathcpu.py ROUNDS LABEL=BUILD_DIR ...

BUILD_DIR holds worker/shim.mjs (as `make build` leaves build/; a plain JS Worker's module works
too, given the same STATIC_CATALOG). Per round, each build in turn (order reversed every other
round) gets a `wrangler dev` of its own; per path 5 unmeasured requests, then 40 (the 1000-key
page, the 1 MiB GET) or 100 one at a time, each answered 200. PATHCPU_PATHS: only these paths.
PATHCPU_BATCHES=K: K such blocks in a row per path, each printed with the isolate's thread apart
from the process's other threads (V8's background compilation and GC); the figure is the last.
PATHCPU_LOAD=S: first `wrk -t1 -c8 -dSs` on the 1 KiB GET (loopback), as the bench's read rounds
load a Worker before its listing would. The figure is the CPU of all the
Worker workerd's threads (schedstat, ns) per request; medians over rounds. Everything listens on
127.0.0.1; processes are stopped at the end."""
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
import requests  # noqa: E402

from support.bench.common import BENCH_OBJECTS, bench_env  # noqa: E402
from support.bench.cpu import thread_cpu_ns, wrangler_tree  # noqa: E402
from support.bench.setup import start_moto, start_worker  # noqa: E402
from support.procs import HarnessError, comm  # noqa: E402

PATHS = {"list 1000 keys": ("/mirror?list-type=2&prefix=public-data/many/", 40),
         "list 1 key": ("/mirror?list-type=2&prefix=public-data/many/&max-keys=1", 100),
         "GET 1 KiB": ("/mirror/public-data/" + min(BENCH_OBJECTS, key=BENCH_OBJECTS.get), 100),
         "GET 1 MiB": ("/mirror/public-data/" + max(BENCH_OBJECTS, key=BENCH_OBJECTS.get), 40)}


def main() -> int:
    if len(sys.argv) < 3 or not sys.argv[1].isdigit() or not 1 <= int(sys.argv[1]) <= 10:
        print(__doc__, file=sys.stderr)
        return 2
    rounds = int(sys.argv[1])
    only = [p for p in os.environ.get("PATHCPU_PATHS", "").split(",") if p]
    batches = int(os.environ.get("PATHCPU_BATCHES", "1"))
    load = int(os.environ.get("PATHCPU_LOAD", "0"))
    paths = {k: v for k, v in PATHS.items() if not only or k in only}
    builds = [tuple(a.split("=", 1)) for a in sys.argv[2:]]
    env = bench_env()
    logs = Path(tempfile.mkdtemp(prefix="odp-pathcpu-"))
    state = logs / "state"
    state.mkdir()  # moto-backed paths only: R2 stays empty
    res: dict[tuple[str, str], list[float]] = {}
    moto, url = start_moto(logs)
    try:
        for r in range(rounds):
            for label, b in (builds if r % 2 == 0 else builds[::-1]):
                w, wurl = start_worker(env, Path(b).resolve(), url, state, logs, "info", name=f"{label}-{r}")
                try:
                    pid = wrangler_tree(w.popen.pid, int(wurl.rsplit(":", 1)[1]))["workerd"][0]
                    if load:
                        subprocess.run(["wrk", "-t1", "-c8", f"-d{load}s", wurl + PATHS["GET 1 KiB"][0]],
                                       check=True, capture_output=True, timeout=load + 30)
                    s = requests.Session()
                    for name, (path, n) in paths.items():
                        for b in range(batches):
                            for i in range(n + (5 if b == 0 else 0)):
                                if i == (5 if b == 0 else 0):
                                    t0 = thread_cpu_ns(pid)
                                st = s.get(wurl + path, timeout=30).status_code
                                if st != 200:
                                    raise HarnessError(f"{label}: GET {path} -> {st}")
                            t1 = thread_cpu_ns(pid)
                            ms = (sum(t1.values()) - sum(t0.values())) / 1e6 / n
                            if batches > 1:
                                # The isolate's thread (`workerd`) apart from V8's workers
                                # (background compilation, GC).
                                main = sum(t1[t] - t0.get(t, 0) for t in t1 if comm(int(t)) == "workerd")
                                print(f"{label} {name} batch {b + 1}: {ms:.2f} ms, isolate thread "
                                      f"{main / 1e6 / n:.2f}, other threads {ms - main / 1e6 / n:.2f}", flush=True)
                        res.setdefault((label, name), []).append(ms)
                finally:
                    w.stop()
            print(f"round {r + 1}: " + ", ".join(f"{k[0]} {k[1]} {v[-1]:.2f}" for k, v in res.items()), flush=True)
    finally:
        moto.stop()
    print(f"\nWorker workerd CPU ms per request ({rounds} rounds, medians)")
    print("| build | path | rounds | median |\n|---|---|---|---:|")
    for (label, name), v in res.items():
        print(f"| {label} | {name} | {' / '.join(f'{x:.2f}' for x in v)} | {statistics.median(v):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
