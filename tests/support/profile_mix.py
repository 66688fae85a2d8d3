"""What `make profile` (scripts/profile.py) runs against and drives: the proxy under `wrangler dev`
with the bench's catalog (moto and local R2 products), its own OIDC provider (a public test key)
and, for STS, the dev IdP; the request mixes, each request checked (status, and the exact bytes
of a GET)."""

from __future__ import annotations

import base64
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import requests

from support.bench.common import BENCH_OBJECTS, STS_OBJECT, STS_PRODUCT, body_bytes, sha
from support.bench.setup import catalog, start_wrangler, write_config
from support.bench.common import STS_AUDIENCE
from support.procs import HarnessError, Proc, free_port

PROVIDER_KEY = Path(__file__).resolve().parents[1] / "fixtures" / "oidc" / "rsa-2048.pem"  # a public test key
PROVIDER_ISSUER = "https://proxy.profile.example"
PROVIDER_KID = "profile-rsa-1"
OBJ64 = "bench/obj-64k.bin"
OBJ1M = "bench/obj-1m.bin"


def worker_vars(log_level: str, sts_issuer: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """(vars, secrets) of the profiled proxy: its OIDC provider always (discovery, JWKS), STS when
    `sts_issuer` names the dev IdP."""
    vars_ = {"LOG_LEVEL": log_level, "OIDC_PROVIDER_ISSUER": PROVIDER_ISSUER, "OIDC_PROVIDER_KID": PROVIDER_KID}
    secrets = {"OIDC_PROVIDER_KEY": PROVIDER_KEY.read_text()}
    if sts_issuer:
        vars_.update({"AUTH_ISSUER": sts_issuer, "AUTH_AUDIENCE": STS_AUDIENCE, "OIDC_ALLOW_LOOPBACK_ISSUERS": "true"})
        secrets["SESSION_TOKEN_KEY"] = base64.b64encode(os.urandom(32)).decode()
    return vars_, secrets


def write_worker_config(main: Path, moto_url: str, logs: Path, name: str, log_level: str,
                        sts_issuer: str | None) -> Path:
    vars_, secrets = worker_vars(log_level, sts_issuer)
    return write_config(logs / name / "wrangler.json", main, catalog(moto_url, sts_issuer), vars_, "odp-profile",
                        secrets)


def start_proxy(env: dict[str, str], main: Path, moto_url: str, state: Path, logs: Path, name: str,
                log_level: str, sts_issuer: str | None) -> tuple[Proc, str]:
    cfg = write_worker_config(main, moto_url, logs, name, log_level, sts_issuer)
    return start_wrangler(env, cfg, state, logs, name)


# --------------------------------------------------------------------------- mixes


@dataclass
class Ctx:
    """What the requests of a mix need: the proxy's URL, and for `sts`/`signed` the ID tokens
    (one per exchange) and session credentials."""
    url: str
    tokens: list[str] = field(default_factory=list)
    creds: list = field(default_factory=list)


def _get(path: str, want: int = 200, body: bytes | None = None, headers: dict | None = None,
         count_keys: int | None = None) -> Callable:
    digest = sha(body) if body is not None else None

    def run(s: requests.Session, ctx: Ctx, i: int) -> None:
        r = s.get(ctx.url + path, headers=headers, timeout=30)
        if r.status_code != want:
            raise HarnessError(f"GET {path} -> {r.status_code} (want {want}): {r.content[:300]!r}")
        if digest is not None and sha(r.content) != digest:
            raise HarnessError(f"GET {path} -> {len(r.content)} bytes with the wrong sha256")
        if count_keys is not None and r.content.count(b"<Key>") != count_keys:
            raise HarnessError(f"GET {path}: {r.content.count(b'<Key>')} keys, want {count_keys}")
    return run


def _sts(s: requests.Session, ctx: Ctx, i: int) -> None:
    from support.bench.sts import parse_exchange, sts_form
    from support.sts import FORM

    r = s.post(ctx.url + "/.sts", data=sts_form(ctx.tokens[i % len(ctx.tokens)], f"profile-{i}"),
               headers={"Content-Type": FORM}, timeout=30)
    got = parse_exchange(r)
    if isinstance(got, str):
        raise HarnessError(f"STS exchange: {got}")


def _signed(s: requests.Session, ctx: Ctx, i: int) -> None:
    from support.sts import sign_headers

    url = f"{ctx.url}/demo/{STS_PRODUCT}/{STS_OBJECT}"
    r = s.get(url, headers=sign_headers(url, ctx.creds[i % len(ctx.creds)]), timeout=30)
    if r.status_code != 200 or sha(r.content) != sha(body_bytes(STS_OBJECT)):
        raise HarnessError(f"signed GET -> {r.status_code}: {r.content[:300]!r}")


_B64, _B1M = body_bytes(OBJ64), body_bytes(OBJ1M)
assert len(_B64) == BENCH_OBJECTS[OBJ64]
# name -> (request, needs R2, needs STS). `get*`/`range`/`list` read the moto-backed product,
# `r2*` the same objects from local R2.
MIXES: dict[str, tuple[Callable, bool, bool]] = {
    "root": (_get("/"), False, False),
    "get64k": (_get(f"/mirror/public-data/{OBJ64}", body=_B64), False, False),
    "get1m": (_get(f"/mirror/public-data/{OBJ1M}", body=_B1M), False, False),
    "range": (_get(f"/mirror/public-data/{OBJ64}", 206, _B64[:1024], {"Range": "bytes=0-1023"}), False, False),
    "list": (_get("/mirror?list-type=2&prefix=public-data/many/", count_keys=1000), False, False),
    "r2get64k": (_get(f"/demo/public-data/{OBJ64}", body=_B64), True, False),
    "r2list": (_get("/demo?list-type=2&prefix=public-data/many/", count_keys=1000), True, False),
    "jwks": (_get("/.well-known/jwks.json"), False, False),
    "discovery": (_get("/.well-known/openid-configuration"), False, False),
    "miss": (_get("/mirror/nope/x", 404), False, False),
    "sts": (_sts, False, True),
    "signed": (_signed, True, True),
}


def parse_mix(spec: str) -> list[str]:
    names = [m.strip() for m in spec.split(",") if m.strip()]
    bad = [m for m in names if m not in MIXES]
    if not names or bad:
        raise SystemExit(f"--mix: unknown {bad or spec!r}; known: {', '.join(MIXES)}")
    return names


def needs(mix: list[str]) -> tuple[bool, bool]:
    """(R2, STS) the mix needs."""
    return any(MIXES[m][1] for m in mix), any(MIXES[m][2] for m in mix)


def drive(ctx: Ctx, mix: list[str], n: int, conc: int, offset: int = 0, max_s: float = 120) -> dict:
    """`n` requests, the mix's kinds in turn, `conc` at a time over kept-alive sessions; every
    answer checked. Bounded by `max_s` (HarnessError when not all were sent by then)."""
    todo = iter(range(offset, offset + n))
    done, deadline = [0], time.monotonic() + max_s

    def worker() -> None:
        s = requests.Session()
        for i in todo:
            if time.monotonic() > deadline:
                return
            MIXES[mix[i % len(mix)]][0](s, ctx, i)
            done[0] += 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(conc) as pool:
        for f in [pool.submit(worker) for _ in range(conc)]:
            f.result()
    wall = time.perf_counter() - t0
    if done[0] != n:
        raise HarnessError(f"{done[0]} of {n} requests sent in {max_s} s")
    return {"requests": n, "wall_s": wall, "rps": n / wall}


def sts_context(url: str, idp, n: int, with_creds: int) -> Ctx:
    """ID tokens for `n` exchanges; `with_creds` sessions opened up front (for `signed`)."""
    from support.bench.sts import mint_tokens

    tokens = mint_tokens(idp, n + with_creds)
    ctx = Ctx(url, tokens[with_creds:])
    if with_creds:
        from support.bench.sts import parse_exchange, sts_form
        from support.sts import FORM

        s = requests.Session()
        for i, tok in enumerate(tokens[:with_creds]):
            got = parse_exchange(s.post(url + "/.sts", data=sts_form(tok, f"profile-creds-{i}"),
                                        headers={"Content-Type": FORM}, timeout=30))
            if isinstance(got, str):
                raise HarnessError(f"STS exchange for the signed mix: {got}")
            ctx.creds.append(got)
    return ctx


