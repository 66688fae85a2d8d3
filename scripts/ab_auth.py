#!/usr/bin/env python3
"""A/B of two Worker builds on what authentication costs: STS exchanges, and a SigV4-signed GET
over an anonymous GET of the same R2 object. Both Workers run side by side under `wrangler dev`
(the bench's setup: dev IdP, restricted product, local R2) and are measured in turn, batch after
batch, so that the load of a shared machine falls on both alike; the medians over the rounds are
printed. CPU = the Worker workerd process's `/proc/PID/task/*/schedstat` over a batch of
sequential requests (one client connection), divided by the batch size: of the whole process,
and of its busiest thread (the isolate's).

    . scripts/env.sh && $ODP_VENV/bin/python scripts/ab_auth.py A_BUILD_DIR B_BUILD_DIR

(build dirs as `make build` leaves build/; copy one away before building the other).
Everything listens on 127.0.0.1; every load is bounded in count. Processes are stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.bench.common import STS_OBJECT, STS_PRODUCT, bench_env, log  # noqa: E402
from support.bench.cpu import task_cpu_ns, thread_cpu_ns, wrangler_tree  # noqa: E402
from support.bench.setup import seed_r2, start_moto, start_worker  # noqa: E402
from support.bench.sts import mint_tokens, parse_exchange, sts_form  # noqa: E402
from support.procs import HarnessError, free_port  # noqa: E402
from support.sts import FORM, sign_headers  # noqa: E402
from support.stubs import start_dev_idp  # noqa: E402


def cpu_ms_each(pid: int, n: int, run) -> tuple[float, float]:
    """Worker CPU (ms) per request of `run()`, which sends `n` requests: the whole workerd
    process, and its busiest thread alone (the isolate's, where the Worker's code runs; the
    process also counts V8's background threads and workerd's I/O)."""
    before, threads0 = task_cpu_ns(pid), thread_cpu_ns(pid)
    run()
    after, threads1 = task_cpu_ns(pid), thread_cpu_ns(pid)
    busiest = max(v - threads0.get(t, 0) for t, v in threads1.items())
    return (after[0] - before[0]) / 1e6 / n, busiest / 1e6 / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--exchanges", type=int, default=40, help="STS exchanges per batch")
    ap.add_argument("--gets", type=int, default=150, help="GETs per batch (anonymous, signed)")
    args = ap.parse_args()
    if args.rounds * args.exchanges > 1000 or args.gets > 1000:
        ap.error("bounded: rounds x exchanges <= 1000, gets <= 1000")

    env = bench_env()
    logs = Path(tempfile.mkdtemp(prefix="odp-ab-"))
    state = REPO / ".wrangler" / "bench-state"
    procs = []
    try:
        builds = {}
        for label, src in (("A", args.a), ("B", args.b)):
            builds[label] = logs / f"build-{label}"
            shutil.copytree(src, builds[label])
        seed_r2(env, state, logs, False, builds["A"] / "worker" / "shim.mjs")
        moto, moto_url = start_moto(logs)
        procs.append(moto)
        idp = start_dev_idp(free_port(), logs / "idp-state", logs / "idp.log")
        procs.append(idp.proc)
        workers = {}
        for label, build in builds.items():
            w, url = start_worker(env, build, moto_url, state, logs, "info", name=f"wrangler-{label}",
                                  sts_issuer=idp.issuer)
            procs.append(w)
            pid = wrangler_tree(w.popen.pid, int(url.rsplit(":", 1)[1]))["workerd"][0]
            workers[label] = (url, pid)
        tokens = iter(mint_tokens(idp, 2 * (args.rounds * args.exchanges + 1)))
        creds: dict[str, list] = {label: [] for label in workers}
        sessions = {label: requests.Session() for label in workers}

        def exchange(label: str) -> None:
            r = sessions[label].post(workers[label][0] + "/.sts", data=sts_form(next(tokens), "ab"),
                                     headers={"Content-Type": FORM}, timeout=30)
            got = parse_exchange(r)
            if isinstance(got, str):
                raise HarnessError(f"{label}: exchange: {got}")
            creds[label].append(got)

        for label in workers:
            exchange(label)  # fetches discovery + JWKS, imports the key
        sts = {label: [] for label in workers}
        for i in range(args.rounds):
            for label in (("A", "B") if i % 2 == 0 else ("B", "A")):
                sts[label].append(cpu_ms_each(workers[label][1], args.exchanges,
                                              lambda lb=label: [exchange(lb) for _ in range(args.exchanges)]))
        gets = {(label, kind): [] for label in workers for kind in ("anon", "signed")}
        for label, (url, _) in workers.items():
            signed_url = f"{url}/demo/{STS_PRODUCT}/{STS_OBJECT}"
            hs = [sign_headers(signed_url, c) for c in creds[label][:100]]

            def batch(kind: str, lb=label, signed_url=signed_url, hs=hs, url=url) -> None:
                s = sessions[lb]
                for j in range(args.gets):
                    if kind == "signed":
                        r = s.get(signed_url, headers=hs[j % len(hs)], timeout=30)
                    else:
                        r = s.get(f"{url}/demo/public-data/{STS_OBJECT}", timeout=30)
                    if r.status_code != 200:
                        raise HarnessError(f"{lb} {kind} GET -> {r.status_code}: {r.content[:200]!r}")
            batch("anon")
            batch("signed")  # warm: opens every session once
            gets[(label, "batch")] = batch
        for i in range(args.rounds):
            for label in (("A", "B") if i % 2 == 0 else ("B", "A")):
                for kind in ("anon", "signed"):
                    gets[(label, kind)].append(cpu_ms_each(workers[label][1], args.gets,
                                                           lambda lb=label, k=kind: gets[(lb, "batch")](k)))
        med = statistics.median
        print(f"rounds {args.rounds}, {args.exchanges} exchanges and {args.gets} GETs per batch; "
              "Worker CPU ms per request, medians of the rounds: whole workerd process / isolate thread")
        print("| build | STS exchange | anonymous GET | signed GET | signed − anonymous |")
        print("|---|---:|---:|---:|---:|")
        for label, src in (("A", args.a), ("B", args.b)):
            cols = []
            for k in (0, 1):
                st = med(x[k] for x in sts[label])
                an = med(x[k] for x in gets[(label, "anon")])
                sg = med(x[k] for x in gets[(label, "signed")])
                df = med(s[k] - a[k] for s, a in zip(gets[(label, "signed")], gets[(label, "anon")]))
                cols.append((st, an, sg, df))
            print(f"| {label} `{src}` | " + " | ".join(
                f"{cols[0][i]:{'+' if i == 3 else ''}.2f} / {cols[1][i]:{'+' if i == 3 else ''}.2f}"
                for i in range(4)) + " |")
        for label in workers:
            log(f"{label} (isolate thread): sts {[round(x[1], 2) for x in sts[label]]} anon "
                f"{[round(x[1], 2) for x in gets[(label, 'anon')]]} "
                f"signed {[round(x[1], 2) for x in gets[(label, 'signed')]]}")
        return 0
    finally:
        for p in reversed(procs):
            p.stop()
        if os.environ.get("ODP_KEEP_LOGS") != "1":
            shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
