"""ListObjectsV2 of a 1000-key page: moto directly, the proxy over moto, the proxy over R2."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from xml.etree import ElementTree as ET

import requests

from support.bench.common import MOTO_BUCKET, PRODUCT_PREFIX, log
from support.bench.cpu import CpuMeter
from support.bench.report import LIST_TARGETS
from support.procs import HarnessError


S3NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def parse_list(xml: bytes) -> dict:
    root = ET.fromstring(xml)
    ns = S3NS if root.tag.startswith(S3NS) else ""
    keys = [c.findtext(f"{ns}Key") for c in root.findall(f"{ns}Contents")]
    return {"keys": keys, "truncated": root.findtext(f"{ns}IsTruncated"),
            "key_count": root.findtext(f"{ns}KeyCount")}


def bench_list(url: str, count: int, conc: int, max_s: float, expect_first: str, expect_n: int) -> dict:
    """`count` GETs of a 1000-key ListObjectsV2 page, `conc` at a time (bounded by max_s).
    Every response must be 200 with `expect_n` keys starting at `expect_first`."""
    first = requests.get(url, timeout=30)
    if first.status_code != 200:
        raise HarnessError(f"GET {url} -> {first.status_code}\n{first.text[:500]}")
    page = parse_list(first.content)
    if len(page["keys"]) != expect_n or page["keys"][0] != expect_first:
        raise HarnessError(f"GET {url}: {len(page['keys'])} keys, first {page['keys'][:1]}, "
                           f"want {expect_n} from {expect_first}")
    lat: list[float] = []
    bad: list[str] = []
    deadline = time.monotonic() + max_s
    todo = iter(range(count))

    def worker() -> None:
        s = requests.Session()
        for _ in todo:
            if time.monotonic() > deadline:
                return
            t = time.perf_counter()
            r = s.get(url, timeout=30)
            body = r.content
            lat.append(time.perf_counter() - t)
            if r.status_code != 200 or body.count(b"<Key>") != expect_n:
                bad.append(f"{r.status_code} {len(body)} bytes")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(conc) as pool:
        for f in [pool.submit(worker) for _ in range(conc)]:
            f.result()
    wall = time.perf_counter() - t0
    lat.sort()
    return {"n": len(lat), "wall_s": wall, "rps": len(lat) / wall, "bad": bad,
            "p50_ms": lat[len(lat) // 2] * 1e3, "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
            "body_bytes": len(first.content), "truncated": page["truncated"], "key_count": page["key_count"],
            "first_xml": first.content[:400].decode(errors="replace")}


def list_phase(args, moto_url: str, proxy: str, meter: CpuMeter, notes: list[str]) -> dict[str, dict]:
    """`--list-count` requests of the first page of `many/` per target, each checked."""
    lists: dict[str, dict] = {}
    list_specs = {
        "moto": (moto_url, f"/{MOTO_BUCKET}?list-type=2&prefix={PRODUCT_PREFIX}many/",
                 f"{PRODUCT_PREFIX}many/00000.txt"),
        "proxy_moto": (proxy, "/mirror?list-type=2&prefix=public-data/many/", "public-data/many/00000.txt"),
        "proxy_r2": (proxy, "/demo?list-type=2&prefix=public-data/many/", "public-data/many/00000.txt"),
    }
    for tag, (base, path, first_key) in list_specs.items():
        before = meter.snap()
        res = bench_list(base + path, args.list_count, args.list_concurrency, 30, first_key, 1000)
        res["cpu"], res["requests"] = CpuMeter.delta(before, meter.snap()), res["n"]
        res["path"] = path
        if res["bad"]:
            raise HarnessError(f"listing {tag}: bad responses {res['bad'][:5]}")
        if res["n"] < args.list_count:
            notes.append(f"listing {LIST_TARGETS[tag]}: stopped after {res['n']} requests (30 s bound)")
        lists[tag] = res
        log(f"list {LIST_TARGETS[tag]:14}: {res['rps']:6.1f} req/s  p50 {res['p50_ms']:.0f} ms  "
            f"p99 {res['p99_ms']:.0f} ms  ({res['n']} requests, {res['body_bytes']} B)")
    return lists
