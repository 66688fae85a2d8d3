"""GET of the bench objects under load and unloaded: (a) moto directly, (b) the proxy over
moto, (c) the proxy over local R2, (d) the proxy's `GET /`; then the floors: (e) a plain JS
Worker's `GET /` and (f) the proxy's `GET /` with LOG_LEVEL=error."""

from __future__ import annotations

from pathlib import Path

from support.bench.common import BENCH_OBJECTS, KIB, MIB, MOTO_BUCKET, PRODUCT_PREFIX, body_bytes, sha
from support.bench.cpu import CpuMeter
from support.bench.report import TARGETS
from support.bench.setup import check_get, start_hello, start_passthrough, start_worker
from support.procs import Proc


def get_phase(args, measure, moto_url: str, moto: Proc, proxy: str, meter: CpuMeter,
              notes: list[str]) -> tuple[list[dict], list[dict]]:
    """Rows (a)-(d), loaded (wrk -c`--connections`) and unloaded (-c1): (load, unloaded).
    Every target is checked first (200, exact bytes; headers compared with moto's)."""
    urls: dict[str, dict] = {}
    for key, size in BENCH_OBJECTS.items():
        label = f"{size // KIB} KiB" if size < MIB else f"{size // MIB} MiB"
        h = sha(body_bytes(key))
        urls[label] = {
            "a": (f"{moto_url}/{MOTO_BUCKET}/{PRODUCT_PREFIX}{key}", size, h),
            "b": (f"{proxy}/mirror/public-data/{key}", size, h),
            "c": (f"{proxy}/demo/public-data/{key}", size, h),
        }
    floor = (f"{proxy}/", 0, None)

    # Pre-flight: every target answers 200 with the exact bytes; headers compared with moto's.
    for label, rows in urls.items():
        got = {tag: check_get(u, h, f"{label} {TARGETS[tag]}") for tag, (u, _, h) in rows.items()}
        for tag in ("b", "c"):
            missing = [hd for hd in ("Content-Length", "Content-Type", "ETag", "Last-Modified")
                       if got[tag].headers.get(hd) is None]
            if missing:
                notes.append(f"{label} {TARGETS[tag]}: 200 without {', '.join(missing)}")
        if got["a"].headers.get("ETag") != got["b"].headers.get("ETag"):
            notes.append(f"{label}: ETag differs: moto `{got['a'].headers.get('ETag')}`, proxy → moto "
                         f"`{got['b'].headers.get('ETag')}`")
    check_get(floor[0], None, "GET /")

    load: list[dict] = []
    unloaded: list[dict] = []
    for label, rows in urls.items():
        for tag, (u, size, h) in rows.items():
            res = measure(u, size, h, f"{label} {TARGETS[tag]}", args.connections, args.duration,
                           args.warmup, meter, moto)
            load.append({"label": label, "tag": tag, "res": res})
    load.append({"label": "service doc", "tag": "d",
                 "res": measure(*floor, "GET / (d)", args.connections, args.duration, args.warmup, meter)})
    first = next(iter(urls))
    for tag, (u, size, h) in urls[first].items():
        res = measure(u, size, h, f"{first} {TARGETS[tag]}", 1, args.unloaded_duration, 0, meter, moto)
        unloaded.append({"label": first, "tag": tag, "res": res})
    unloaded.append({"label": "service doc", "tag": "d",
                     "res": measure(*floor, "GET / (d)", 1, args.unloaded_duration, 0, meter)})

    # Backend requests per proxied GET, from moto's access log (c1: at most 1 in flight at the end).
    for r in unloaded:
        if r["tag"] == "b":
            res = r["res"]
            notes.append(f"proxy → moto made {res['moto_requests']} backend requests for {res['requests']} "
                         f"completed GETs of {r['label']} (moto access log, c1 run): one backend GET each")
    return load, unloaded


def floors_phase(args, measure, env: dict[str, str], build: Path, moto_url: str, state: Path, logs: Path,
                 procs: list[Proc], load: list[dict], unloaded: list[dict]) -> None:
    """Rows (e) and (f), each in a `wrangler dev` of its own, appended to load/unloaded."""
    hello, hello_url = start_hello(env, state, logs)
    procs.append(hello)
    m = CpuMeter((hello.popen.pid, int(hello_url.rsplit(":", 1)[1])))
    hfloor = (f"{hello_url}/", 0, None)
    load.append({"label": "service doc", "tag": "e",
                 "res": measure(*hfloor, "GET / (e)", args.connections, args.duration, args.warmup, m)})
    unloaded.append({"label": "service doc", "tag": "e",
                     "res": measure(*hfloor, "GET / (e)", 1, args.unloaded_duration, 0, m)})
    hello.stop()
    quiet, quiet_url = start_worker(env, build, moto_url, state, logs, "error", name="wrangler-quiet")
    procs.append(quiet)
    m = CpuMeter((quiet.popen.pid, int(quiet_url.rsplit(":", 1)[1])))
    qfloor = (f"{quiet_url}/", 0, None)
    load.append({"label": "service doc", "tag": "f",
                 "res": measure(*qfloor, "GET / (f)", args.connections, args.duration, args.warmup, m)})
    quiet.stop()
    # (g) The floor of any proxy in this runtime: a JS Worker streaming the same moto objects.
    pas, pas_url = start_passthrough(env, state, logs, f"{moto_url}/{MOTO_BUCKET}/{PRODUCT_PREFIX}".rstrip("/"))
    procs.append(pas)
    m = CpuMeter((pas.popen.pid, int(pas_url.rsplit(":", 1)[1])))
    for key, size in BENCH_OBJECTS.items():
        label = f"{size // KIB} KiB" if size < MIB else f"{size // MIB} MiB"
        h = sha(body_bytes(key))
        check_get(f"{pas_url}/{key}", h, f"{label} (g)")
        load.append({"label": label, "tag": "g",
                     "res": measure(f"{pas_url}/{key}", size, h, f"{label} (g)", args.connections, args.duration,
                                    args.warmup, m)})
    pas.stop()
