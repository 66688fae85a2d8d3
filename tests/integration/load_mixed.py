"""`make load`: a bounded loopback load with every answer checked (issue 9, "Load").

Not collected by `pytest tests/integration` (the file name does not start with test_): run
    . scripts/env.sh && ODP_SKIP_BUILD=1 "$ODP_VENV/bin/pytest" tests/integration/load_mixed.py -q -s

A Worker with the integration suite's static catalog and roles (conftest `worker_factory`,
plus ISOLATE_STATS_EVERY), local R2 behind it. LOAD_CONCURRENCY requests in flight (default
64) for LOAD_SECS (default 60) from one asyncio client, mixing anonymous reads, reads and
listings signed by four sessions with different grants, and STS exchanges. Each answer is
compared with what that principal is entitled to, worked out below from the catalog's
grants and the roles' ceilings (not from the Worker's answers): the status, the error code,
the exact object bytes, the listed product and key names.

Principals:
- anonymous: public and unlisted products
- alice (`_default`, ceiling `*`): granted restricted-data, restricted-other, restricted-beyond
- bob (`_default`): no grant; what anonymous sees, signed
- gha (`gha-reader`, ceiling `demo/restricted-data`): granted by its `repository` claim
- carol (`nested-reader`, ceiling `demo/public-data/nested/*`): one folder of public data

It fails on any unexpected answer. Latency percentiles, the Worker's wasm memory and JS
heap before and after go to stdout and LOAD_OUT (default build/load.json).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from conftest import AUDIENCE, GHA_AUDIENCE, GHA_CEILING, GHA_REPO, GHA_ROLE, NESTED_ROLE
from support.procs import REPO, find_workerd, rss_kib
from support.httpraw import code_of, tag
from support import memprobe
from support.sts import FORM, claims, rs256_token, sign_headers, sts_params

pytestmark = pytest.mark.sts

CONCURRENCY = int(os.environ.get("LOAD_CONCURRENCY", "64"))
SECS = float(os.environ.get("LOAD_SECS", "60"))
OUT = Path(os.environ.get("LOAD_OUT", REPO / "build" / "load.json"))
EVERY = 50  # often enough that the warm-up logs a stats line

# The demo account of conftest.make_catalog with its STS grants: product -> (visibility, granted to).
ALICE, REPO_GRANT = "alice", "repo"
PRODUCTS = {
    "public-data": ("public", set()),
    "unlisted-data": ("unlisted", set()),
    "restricted-data": ("restricted", {ALICE, REPO_GRANT}),
    "restricted-other": ("restricted", {ALICE}),
    "restricted-beyond": ("restricted", {ALICE, REPO_GRANT}),
}
# R2 prefix of each product (restricted-* share restricted-data's objects).
PREFIX = {p: "demo/restricted-data/" if p.startswith("restricted") else f"demo/{p}/" for p in PRODUCTS}


class Who:
    """A principal: its grant identity (None: no grant), its ceiling (None: anonymous, no
    session) as (product, key prefix or None) pairs in account demo, '*' for all."""

    def __init__(self, name: str, grant: str | None, ceiling, role: str | None, sub: str | None, aud: str = AUDIENCE,
                 extra: dict | None = None):
        self.name, self.grant, self.ceiling, self.role, self.sub = name, grant, ceiling, role, sub
        self.aud, self.extra = aud, extra or {}
        self.creds = None

    def product_ok(self, product: str) -> bool:
        vis, granted = PRODUCTS[product]
        in_ceiling = self.ceiling in (None, "*") or any(p == product for p, _ in self.ceiling)
        return in_ceiling and (vis != "restricted" or self.grant in granted)

    def key_ok(self, product: str, key: str) -> bool:
        if self.ceiling in (None, "*"):
            return True
        return any(p == product and (pre is None or key.startswith(pre)) for p, pre in self.ceiling)

    def listed(self) -> set[str]:
        return {f"{p}/" for p, (vis, _) in PRODUCTS.items() if vis != "unlisted" and self.product_ok(p)}


PRINCIPALS = [
    Who("anonymous", None, None, None, None),
    Who("alice", ALICE, "*", "_default", "alice"),
    Who("bob", "bob", "*", "_default", "bob"),
    Who("gha", REPO_GRANT, [(GHA_CEILING.split("/", 1)[1], None)], GHA_ROLE, f"repo:{GHA_REPO}:environment:prod",
        GHA_AUDIENCE, {"repository": GHA_REPO, "ref": "refs/heads/main", "environment": "prod"}),
    Who("carol", "carol", [("public-data", "nested/")], NESTED_ROLE, "carol"),
]

def names(body: bytes, element: str) -> set[str]:
    inner = "<Prefix>([^<]*)</Prefix>" if element == "CommonPrefixes" else "<Key>([^<]*)</Key>"
    return {m.decode() for m in re.findall(rf"<{element}>{inner}".encode(), body)}


@pytest.fixture(scope="module")
def load_worker(worker_factory):
    return worker_factory.start(("load", {"vars": {"ISOLATE_STATS_EVERY": str(EVERY)}}))[0]


def expectations(who: Who, files: dict[str, bytes]):
    """(label, method, path, check) of each request `who` makes, check(status, body) -> bool."""
    def obj(product: str, key: str):
        body = files[PREFIX[product] + key]
        if not who.product_ok(product):
            return lambda s, b: s == 404 and code_of(b) == "NoSuchBucket"
        if not who.key_ok(product, key):
            return lambda s, b: s == 404 and code_of(b) == "NoSuchKey"
        return lambda s, b: s == 200 and b == body

    def listing_in(product: str):
        keys = {k[len(PREFIX[product]):] for k in files if k.startswith(PREFIX[product] + "nested/")}
        if not who.product_ok(product):
            return lambda s, b: s == 404 and code_of(b) == "NoSuchBucket"
        want = {k for k in keys if who.key_ok(product, k)}
        return lambda s, b: s == 200 and names(b, "Contents") == want

    restricted_keys = {"restricted-data/" + k[len(PREFIX["restricted-data"]):]
                       for k in files if k.startswith(PREFIX["restricted-data"])}
    want_r = restricted_keys if who.product_ok("restricted-data") else set()
    top = who.listed()
    return [
        ("get public", "GET", "/demo/public-data/cities.csv", obj("public-data", "cities.csv")),
        ("get nested", "GET", "/demo/public-data/nested/a/b/c.txt", obj("public-data", "nested/a/b/c.txt")),
        ("get unlisted", "GET", "/demo/unlisted-data/hidden.csv", obj("unlisted-data", "hidden.csv")),
        ("get restricted", "GET", "/demo/restricted-data/secret.csv", obj("restricted-data", "secret.csv")),
        ("get restricted-other", "GET", "/demo/restricted-other/secret.csv", obj("restricted-other", "secret.csv")),
        ("list account", "GET", "/demo?list-type=2&delimiter=%2F",
         lambda s, b: s == 200 and names(b, "CommonPrefixes") == top),
        ("list restricted", "GET", "/demo?list-type=2&prefix=restricted-data%2F",
         lambda s, b: s == 200 and names(b, "Contents") == want_r),
        ("list nested", "GET", "/demo/public-data?list-type=2&prefix=nested%2F", listing_in("public-data")),
    ]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")


def test_mixed_load_every_answer_checked(load_worker, idp, sample):
    import aiohttp
    import yarl
    from cryptography.hazmat.primitives import serialization

    url, proc = load_worker.url, load_worker.proc
    insp = memprobe.Inspector(memprobe.inspector_port(proc))
    pid = find_workerd(proc.popen.pid, load_worker.port)
    key = serialization.load_pem_private_key((idp.state_dir / "rsa-1.pem").read_bytes(), None)
    kid = next(k["kid"] for k in idp.jwks()["keys"] if k["kty"] == "RSA")

    def id_token(who: Who) -> str:
        return rs256_token(claims(idp.issuer, who.sub, who.aud, ttl=3600, **who.extra), kid, key)[0]

    def sts_body(who: Who) -> bytes:
        return urlencode(sts_params(id_token(who), who.role, session_name=f"load-{who.name}")).encode()

    plan = {w.name: expectations(w, sample.files) for w in PRINCIPALS}
    lat: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    unexpected: list[str] = []

    async def run(secs: float) -> dict:
        conn = aiohttp.TCPConnector(limit=CONCURRENCY, force_close=False)
        # identity: the runtime would gzip the STS answers; object bytes are compared raw
        async with aiohttp.ClientSession(connector=conn, auto_decompress=False,
                                         headers={"Accept-Encoding": "identity"},
                                         timeout=aiohttp.ClientTimeout(total=60)) as s:
            async def call(method: str, path: str, headers: dict, body: bytes | None = None):
                async with s.request(method, yarl.URL(url + path, encoded=True), headers=headers, data=body) as r:
                    return r.status, await r.read()

            async def exchange(who: Who) -> tuple[bool, bytes, int]:
                status, b = await call("POST", "/.sts", {"Content-Type": FORM}, sts_body(who))
                return status == 200 and tag(b, "SubjectFromWebIdentityToken") == who.sub, b, status

            for who in PRINCIPALS[1:]:
                ok, b, status = await exchange(who)
                assert ok, (who.name, status, b[:300])
                who.creds = type("C", (), {"access_key_id": tag(b, "AccessKeyId"),
                                          "secret_access_key": tag(b, "SecretAccessKey"),
                                          "session_token": tag(b, "SessionToken")})()
            rng = random.Random(9)
            end = time.monotonic() + secs

            async def one(who: Who, label: str, method: str, path: str, check) -> None:
                headers = sign_headers(url + path, who.creds, method) if who.creds else {}
                t = time.perf_counter()
                try:
                    if label == "sts":
                        ok, b, status = await exchange(who)
                    else:
                        status, b = await call(method, path, headers)
                        ok = check(status, b)
                except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                    ok, status, b = False, 0, repr(e).encode()
                name = f"{who.name} {label}"
                lat.setdefault(label, []).append(time.perf_counter() - t)
                counts[name] = counts.get(name, 0) + 1
                if not ok:
                    unexpected.append(f"{name} {path} -> {status} {b[:300]!r}")

            async def client() -> None:
                while time.monotonic() < end:
                    who = rng.choice(PRINCIPALS)
                    if who.creds and rng.random() < 0.1:
                        await one(who, "sts", "POST", "/.sts", None)
                    else:
                        await one(who, *rng.choice(plan[who.name]))

            t0 = time.monotonic()
            if secs <= 0:  # the warm-up: each request of each principal once
                for who in PRINCIPALS:
                    for entry in plan[who.name]:
                        await one(who, *entry)
            else:
                await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
            return {"seconds": round(time.monotonic() - t0, 1)}

    # A warm-up: every request once, so that "before" is a loaded, configured isolate.
    asyncio.run(run(0))
    assert not unexpected, unexpected[:20]
    heap_before, rss_before = insp.heap(), rss_kib(pid)
    before = memprobe.stats_lines(proc, 0)  # up to the end of the warm-up
    lat.clear()
    counts.clear()
    run_mark = proc.log_size()
    timing = asyncio.run(run(SECS))
    time.sleep(1.0)
    heap_after, rss_after = insp.heap(), rss_kib(pid)
    insp.close()
    after = memprobe.stats_lines(proc, run_mark)
    total = sum(counts.values())
    everything = [x for xs in lat.values() for x in xs]
    result = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "concurrency": CONCURRENCY, "seconds": timing["seconds"], "requests": total,
        "per_second": round(total / timing["seconds"], 1), "unexpected": len(unexpected),
        "unexpected_examples": unexpected[:20], "counts": counts,
        "latency_ms": {k: {"n": len(v), "p50": round(pct(v, 50) * 1e3, 1), "p90": round(pct(v, 90) * 1e3, 1),
                           "p99": round(pct(v, 99) * 1e3, 1)} for k, v in sorted(lat.items())},
        "latency_ms_all": {"p50": round(pct(everything, 50) * 1e3, 1), "p90": round(pct(everything, 90) * 1e3, 1),
                           "p99": round(pct(everything, 99) * 1e3, 1)},
        "wasm_memory_before": (before or [{}])[-1].get("wasm_memory_bytes"),
        "wasm_memory_after": (after or [{}])[-1].get("wasm_memory_bytes"),
        "isolates": sorted({s["isolate"] for s in before + after}),
        "heap_before": vars(heap_before), "heap_after": vars(heap_after),
        "rss_kib_before": rss_before, "rss_kib_after": rss_after,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1))
    print(f"\nload {result['date']}: {total} requests in {result['seconds']} s ({result['per_second']}/s), "
          f"{CONCURRENCY} in flight, unexpected {len(unexpected)}")
    for k, v in result["latency_ms"].items():
        print(f"  {k:22} n={v['n']:>6} p50={v['p50']:>7} p90={v['p90']:>7} p99={v['p99']:>7} ms")
    print(f"  all: {result['latency_ms_all']}")
    print(f"  wasm MiB before {memprobe.mib(result['wasm_memory_before'])} after "
          f"{memprobe.mib(result['wasm_memory_after'])}; JS heap used MiB before {memprobe.mib(heap_before.used)} "
          f"after {memprobe.mib(heap_after.used)}; isolates {result['isolates']}")
    assert not unexpected, unexpected[:20]
    assert result["seconds"] >= SECS and total > 0
    assert {n.split()[0] for n in counts} == {w.name for w in PRINCIPALS}, counts
    assert len(result["isolates"]) == 1, "the isolate restarted during the run"
