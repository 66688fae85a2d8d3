"""STS exchanges (AssumeRoleWithWebIdentity of dev-IdP tokens) and SigV4-signed GETs of a
restricted product vs anonymous GETs of the same R2 object, in the running Worker."""

from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import requests

from support.bench.common import BENCH_OBJECTS, STS_AUDIENCE, STS_OBJECT, STS_PRODUCT, STS_SUBJECT, body_bytes, log, sha
from support.bench.cpu import CpuMeter
from support.bench.setup import check_get
from support.bench.wrk import rotating_lua
from support.procs import HarnessError, Proc
from support.sts import FORM, SessionCreds, json_lines, sign_headers, sts_params
from support.stubs import DevIdp


STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


def mint_tokens(idp: DevIdp, n: int) -> list[str]:
    """`n` distinct RS256 ID tokens for STS_SUBJECT (aud STS_AUDIENCE, valid 10 min), minted up
    front by the dev IdP so that minting is not part of the measured exchanges. A `jti` makes
    them distinct (RS256 signatures are deterministic: same claims in the same second, same token).
    One connection per token: over a kept-alive connection every answer of the dev IdP waits
    ~40 ms (delayed ACK; 2.5 ms per token otherwise)."""
    out = []
    for i in range(n):
        r = requests.post(idp.url + "/token", json={"sub": STS_SUBJECT, "aud": STS_AUDIENCE, "alg": "RS256",
                                                    "claims": {"jti": f"odp-bench-{i}"}}, timeout=10)
        if r.status_code != 200:
            raise HarnessError(f"dev IdP POST /token -> {r.status_code}: {r.text[:300]}")
        out.append(r.json()["token"])
    if len(set(out)) != n:
        raise HarnessError("dev IdP minted identical tokens")
    return out


def idp_stats(idp: DevIdp) -> dict:
    return requests.get(idp.url + "/stats", timeout=10).json()


def sts_form(token: str, session_name: str) -> bytes:
    return urlencode(sts_params(token, session_name=session_name)).encode()


def parse_exchange(r: requests.Response) -> SessionCreds | str:
    """The credentials of an AssumeRoleWithWebIdentity answer, or what is wrong with it."""
    if r.status_code != 200:
        return f"{r.status_code} {r.content[:300]!r}"
    if "no-store" not in r.headers.get("Cache-Control", ""):
        return f"200 without Cache-Control: no-store ({dict(r.headers)})"
    try:
        root = ET.fromstring(r.content)
    except ET.ParseError as e:
        return f"200 with unparsable XML ({e}): {r.content[:300]!r}"
    res = root.find(f"{STS_NS}AssumeRoleWithWebIdentityResult")
    c = res.find(f"{STS_NS}Credentials") if res is not None else None
    if root.tag != f"{STS_NS}AssumeRoleWithWebIdentityResponse" or c is None:
        return f"200 but not an AssumeRoleWithWebIdentityResponse with Credentials: {r.content[:300]!r}"
    f = {k: (c.findtext(f"{STS_NS}{k}") or "") for k in ("AccessKeyId", "SecretAccessKey", "SessionToken",
                                                          "Expiration")}
    if not all(f.values()):
        return f"200 with empty credential fields {[k for k, v in f.items() if not v]}"
    subject = res.findtext(f"{STS_NS}SubjectFromWebIdentityToken")
    if subject != STS_SUBJECT:
        return f"200 for subject {subject!r}, want {STS_SUBJECT!r}"
    return SessionCreds(f["AccessKeyId"], f["SecretAccessKey"], f["SessionToken"], f["Expiration"])


def redacted_exchange(r: requests.Response) -> str:
    """An exchange answer as received (status, headers, body) with the secret and token cut."""
    body = r.content.decode(errors="replace")
    for tag in ("SecretAccessKey", "SessionToken"):
        body = re.sub(rf"(<{tag}>)([^<]{{8}})[^<]*(</{tag}>)", rf"\1\2…\3", body)
    head = "\n".join(f"{k}: {v}" for k, v in r.headers.items())
    return f"HTTP {r.status_code}\n{head}\n\n{body}"


def bench_exchanges(base: str, tokens: list[str], conc: int, max_s: float) -> dict:
    """One POST /.sts (form body, `_default` role) per token, `conc` at a time over keep-alive
    sessions (bounded by max_s). Every answer must carry credentials (parse_exchange)."""
    lat: list[float] = []
    creds: list[SessionCreds] = []
    bad: list[str] = []
    deadline = time.monotonic() + max_s
    todo = iter(enumerate(tokens))

    def worker() -> None:
        s = requests.Session()
        for i, tok in todo:
            if time.monotonic() > deadline:
                return
            body = sts_form(tok, f"bench-{i}")
            t = time.perf_counter()
            r = s.post(base + "/.sts", data=body, headers={"Content-Type": FORM}, timeout=30)
            r.content  # noqa: B018  (read the whole body inside the timing)
            lat.append(time.perf_counter() - t)
            got = parse_exchange(r)
            (bad if isinstance(got, str) else creds).append(got)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(conc) as pool:
        for f in [pool.submit(worker) for _ in range(conc)]:
            f.result()
    wall = time.perf_counter() - t0
    lat.sort()
    return {"n": len(lat), "wall_s": wall, "rps": len(lat) / wall, "bad": bad, "creds": creds,
            "p50_ms": lat[len(lat) // 2] * 1e3 if lat else 0.0,
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3 if lat else 0.0}


def sts_phase(args, measure, logs: Path, idp: DevIdp, worker: Proc, proxy: str, meter: CpuMeter,
              notes: list[str]) -> dict:
    """STS exchanges, then signed vs anonymous GETs of the same R2 object, in the running Worker
    (`measure`: the bench's wrk.Measure; `logs`: where the wrk scripts go)."""
    t_phase = time.monotonic()
    feats = requests.get(proxy + "/", timeout=10).json().get("features", {})
    if not (feats.get("sts") and feats.get("signed_requests")):
        raise HarnessError(f"STS is not enabled in the Worker: GET / features = {feats}")
    n = args.sts_exchanges
    tokens = mint_tokens(idp, n + 1)
    log(f"STS: {n + 1} RS256 ID tokens minted by the dev IdP in {time.monotonic() - t_phase:.1f} s")
    mark = worker.log_size()
    # Warm-up exchange (not measured): the Worker fetches discovery + JWKS here and caches them.
    s = requests.Session()
    first = s.post(proxy + "/.sts", data=sts_form(tokens[0], "bench-warmup"),
                   headers={"Content-Type": FORM}, timeout=30)
    got = parse_exchange(first)
    if isinstance(got, str):
        raise HarnessError(f"STS warm-up exchange: {got}\nPOST {proxy}/.sts\n{redacted_exchange(first)}")
    log("STS warm-up exchange (request: POST /.sts, Content-Type: " + FORM + ", form "
        f"{', '.join(k for k, _ in sts_params('x', session_name='bench-warmup'))}):\n"
        + textwrap.indent(redacted_exchange(first), "    "))
    stats0 = idp_stats(idp)
    before = meter.snap()
    ex = bench_exchanges(proxy, tokens[1:], args.sts_concurrency, 60)
    ex["cpu"], ex["requests"] = CpuMeter.delta(before, meter.snap()), ex["n"]
    stats1 = idp_stats(idp)
    ex["idp_fetches"] = {k: stats1[k] - stats0[k] for k in ("discovery", "jwks")}
    if ex["bad"]:
        raise HarnessError(f"STS exchanges: {len(ex['bad'])} bad answers, first: {ex['bad'][:3]}")
    if ex["n"] < n:
        notes.append(f"STS exchanges: stopped after {ex['n']} of {n} (60 s bound)")
    creds: list[SessionCreds] = ex.pop("creds")
    if len({c.access_key_id for c in creds}) != len(creds):
        raise HarnessError("STS exchanges returned duplicate access key ids")
    log(f"STS exchanges c{args.sts_concurrency}: {ex['rps']:.1f}/s  p50 {ex['p50_ms']:.1f} ms  p99 "
        f"{ex['p99_ms']:.1f} ms  Worker workerd {ex['cpu']['workerd'] * 1000 / max(ex['n'], 1):.2f} ms CPU "
        f"each ({ex['n']} exchanges; IdP asked {ex['idp_fetches']} meanwhile)")

    # Signed (restricted product) vs anonymous (public product): the same R2 object.
    size, h = BENCH_OBJECTS[STS_OBJECT], sha(body_bytes(STS_OBJECT))
    signed_url = f"{proxy}/demo/{STS_PRODUCT}/{STS_OBJECT}"
    anon_url = f"{proxy}/demo/public-data/{STS_OBJECT}"
    r = requests.get(signed_url, timeout=10)
    if r.status_code != 404 or b"NoSuchBucket" not in r.content:
        raise HarnessError(f"anonymous GET {signed_url} -> {r.status_code} (want 404 NoSuchBucket): "
                           f"{r.content[:300]!r}")
    r = requests.get(signed_url, headers=sign_headers(signed_url, creds[0], secret="not-the-secret"), timeout=10)
    if r.status_code != 403 or b"SignatureDoesNotMatch" not in r.content:
        raise HarnessError(f"GET {signed_url} signed with a wrong secret -> {r.status_code} (want 403 "
                           f"SignatureDoesNotMatch): {r.content[:300]!r}")
    # One request per session (so every signed request differs), signed now: valid 15 min.
    signed_sets = [sign_headers(signed_url, c) for c in creds]
    signed_lua = rotating_lua(logs / "signed.lua", signed_url, signed_sets)
    anon_lua = rotating_lua(logs / "anon.lua", anon_url, [{} for _ in signed_sets])

    def check_signed(what: str) -> None:
        for hs in (signed_sets[0], signed_sets[-1]):  # the prebuilt headers, as wrk sends them
            r = check_get(signed_url, h, what, headers=hs)
            if "no-store" not in r.headers.get("Cache-Control", ""):
                raise HarnessError(f"{what}: signed 200 without Cache-Control no-store: {dict(r.headers)}")

    gets = []
    for conns, duration, warmup in ((args.connections, args.duration, args.warmup),
                                    (1, args.unloaded_duration, 0)):
        for tag, url, script, check in (("anon", anon_url, anon_lua, None),
                                        ("signed", signed_url, signed_lua, check_signed)):
            res = measure(url, size, h, f"64 KiB R2 {tag} (STS phase)", conns, duration, warmup, meter,
                           script=script, check=check)
            gets.append({"tag": tag, "conns": conns, "res": res})

    lines = json_lines(worker.log_since(mark))
    ex_lines = [o for o in lines if o.get("msg") == "sts exchange"]
    audit = [o for o in lines if o.get("msg") == "audit"]
    issued = sum(o.get("result") == "issued" for o in ex_lines)
    audit_bad = [o for o in audit if o.get("status") not in (200, 403)]
    audit_ok = sum(o.get("status") == 200 and o.get("subject") == STS_SUBJECT for o in audit)
    signed_total = sum(g["res"]["requests"] for g in gets if g["tag"] == "signed")
    notes.append(f"STS phase: {ex['n']} + 1 exchanges, every answer 200 with credentials for `{STS_SUBJECT}` "
                 f"(distinct access key ids); the Worker logged {issued} `sts exchange` lines with result "
                 f"`issued` (of {len(ex_lines)}); the dev IdP served discovery/JWKS "
                 f"{ex['idp_fetches']['discovery']}/{ex['idp_fetches']['jwks']} times during the measured "
                 f"exchanges (cached after the warm-up). Signed GETs: {audit_ok} `audit` lines with status 200 "
                 f"for {signed_total} measured signed requests (+ warm-up and checks), "
                 f"{len(audit_bad)} with another status than 200/403 (one 403: the wrong-secret check); an "
                 "anonymous GET of the restricted product answers 404 NoSuchBucket.")
    if audit_bad:
        raise HarnessError(f"signed requests logged unexpected statuses: {audit_bad[:3]}")
    log(f"STS phase took {time.monotonic() - t_phase:.1f} s")
    return {"exchanges": ex, "gets": gets, "tokens": n + 1, "signed_requests_prebuilt": len(signed_sets),
            "took_s": time.monotonic() - t_phase, "path_signed": f"/demo/{STS_PRODUCT}/{STS_OBJECT}",
            "path_anon": f"/demo/public-data/{STS_OBJECT}", "size": size}
