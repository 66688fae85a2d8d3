"""STS exchanges (AssumeRoleWithWebIdentity of dev-IdP tokens) and SigV4-signed GETs of a
restricted product vs anonymous GETs of the same R2 object, in the running Worker."""

from __future__ import annotations

import base64
import json
import os
import re
import statistics
import textwrap
import time
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from support.bench.common import BENCH_OBJECTS, STS_AUDIENCE, STS_OBJECT, STS_PRODUCT, STS_SUBJECT, body_bytes, log, sha
from support.bench.cpu import CpuMeter, task_cpu_ns, wrangler_tree
from support.bench.setup import check_get
from support.bench.sts_floor import VARIANTS, start_sts_floor
from support.bench.wrk import rotating_lua
from support.procs import HarnessError, Proc
from support.sts import FORM, SessionCreds, json_lines, sign_headers, sts_params
from support.stubs import DevIdp


STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
WARMUP = 10  # unmeasured exchanges per Worker before the rounds
SIGNED_ROUNDS = 3  # interleaved rounds of anonymous and signed GETs per concurrency


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
    return {"n": len(lat), "wall_s": time.perf_counter() - t0, "lat": lat, "bad": bad, "creds": creds}


def workerd_ns(meter: CpuMeter) -> int:
    """CPU nanoseconds of the Worker's workerd (schedstat), for batches too short for /proc ticks."""
    return sum(task_cpu_ns(pid)[0] for pid in wrangler_tree(*meter.wrangler)["workerd"])


def measured_batch(what: str, base: str, tokens: list[str], conc: int, meter: CpuMeter) -> dict:
    """bench_exchanges with the CPU of `meter`'s processes meanwhile; any bad answer fails the run.
    The Worker workerd's figure is from schedstat (ns): a batch of 50 exchanges is ~15 ticks."""
    before, ns = meter.snap(), workerd_ns(meter)
    b = bench_exchanges(base, tokens, conc, 60)
    ns = workerd_ns(meter) - ns
    b["cpu"] = CpuMeter.delta(before, meter.snap())
    b["cpu"]["workerd_ticks"], b["cpu"]["workerd"] = b["cpu"]["workerd"], ns / 1e9
    if b["bad"]:
        raise HarnessError(f"{what}: {len(b['bad'])} bad answers of {b['n']}, first: {b['bad'][:3]}")
    if b["n"] < len(tokens):
        raise HarnessError(f"{what}: stopped after {b['n']} of {len(tokens)} exchanges (60 s bound)")
    return b


def merged(batches: list[dict]) -> dict:
    """The rounds of one Worker as one row: counts, wall time and CPU summed, latencies pooled;
    `rounds_ms`: the Worker's workerd CPU per exchange in each round."""
    lat = sorted(x for b in batches for x in b["lat"])
    wall = sum(b["wall_s"] for b in batches)
    n = len(lat)
    return {"n": n, "requests": n, "wall_s": wall, "rps": n / wall, "bad": [],
            "creds": [c for b in batches for c in b["creds"]],
            "cpu": {k: sum(b["cpu"][k] for b in batches) for k in batches[0]["cpu"]},
            "p50_ms": lat[n // 2] * 1e3, "p99_ms": lat[min(n - 1, int(n * 0.99))] * 1e3,
            "rounds_ms": [b["cpu"]["workerd"] * 1000 / b["n"] for b in batches]}


def pooled(runs: list[dict]) -> dict:
    """wrk runs of one request kind as one: counts, wall time and CPU summed, rates recomputed,
    latency percentiles the median of the runs' (wrk's histograms are not kept)."""
    out = dict(runs[0])
    for k in ("requests", "bytes", "duration_us", "moto_requests", "repeats"):
        out[k] = sum(r.get(k, 0) for r in runs)
    out["cpu"] = {k: sum(r["cpu"][k] for r in runs) for k in runs[0]["cpu"]}
    out["rps"] = out["requests"] / (out["duration_us"] / 1e6)
    for k in ("p50_us", "p90_us", "p99_us"):
        out[k] = statistics.median(r[k] for r in runs)
    out["lat_mean_us"] = sum(r["lat_mean_us"] * r["requests"] for r in runs) / out["requests"]
    out["lat_max_us"] = max(r["lat_max_us"] for r in runs)
    return out


def line_len(o: dict) -> int:
    """The bytes of a log line as compact JSON (the proxy's and the floor's, measured alike)."""
    return len(json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode())


def chunks(xs: list, k: int) -> list[list]:
    return [xs[i * len(xs) // k:(i + 1) * len(xs) // k] for i in range(k)]


def check_floor(furl: str, floor: Proc, tokens: dict[str, list[str]], proxy_creds: list[SessionCreds],
                floor_creds: dict[str, list[SessionCreds]], session_key: bytes, mark: int, notes: list[str]) -> dict:
    """What shows the floor did the work: a forged signature refused, its session tokens open with
    its key to the proxy's session shape, token sizes equal to the proxy's, one log line per
    exchange of its /log path and none from the others."""
    tok = tokens["floor"][0]
    forged = tok[:-8] + ("AAAAAAAA" if not tok.endswith("AAAAAAAA") else "BBBBBBBB")
    r = requests.post(furl + "/.sts", data=sts_form(forged, "bench-forged"), headers={"Content-Type": FORM}, timeout=30)
    if r.status_code != 400 or b"InvalidIdentityToken" not in r.content:
        raise HarnessError(f"STS floor: a forged signature -> {r.status_code} {r.content[:300]!r} "
                           "(want 400 InvalidIdentityToken)")
    c = floor_creds["floor"][0]
    raw = base64.urlsafe_b64decode(c.session_token + "=" * (-len(c.session_token) % 4))
    sess = json.loads(AESGCM(session_key).decrypt(raw[5:17], raw[17:], b"odp-session-v1" + c.access_key_id.encode()))
    if list(sess) != ["k", "s", "i", "u", "r", "c", "n", "a", "e", "d"] or sess["k"] != c.access_key_id \
            or sess["s"] != c.secret_access_key or sess["u"] != STS_SUBJECT:
        raise HarnessError(f"STS floor: its session token opens to {sorted(sess)} for {sess.get('u')!r}")
    lens = {w: statistics.mean(len(x.session_token) for x in cs) for w, cs in floor_creds.items()}
    lens["proxy"] = statistics.mean(len(x.session_token) for x in proxy_creds)
    if max(lens.values()) - min(lens.values()) > 2:
        raise HarnessError(f"STS floor: mean session-token lengths differ from the proxy's: {lens}")
    logged = [o for o in json_lines(floor.log_since(mark)) if o.get("msg") == "sts exchange"]
    want = len(tokens["floor + line"])
    if len(logged) != want:
        raise HarnessError(f"STS floor: {len(logged)} `sts exchange` lines, want {want} (one per /log exchange)")
    notes.append(f"STS floor: a forged signature answered 400 InvalidIdentityToken; a floor session token opens "
                 f"(AES-256-GCM, same AAD) to the proxy's session fields; mean session-token length "
                 f"{lens['proxy']:.1f} characters (proxy) vs {lens['floor']:.1f} (floor); {len(logged)} log lines "
                 f"for {want} exchanges of its /log path, none from the others.")
    return {"token_len": lens, "line_len": statistics.median(map(line_len, logged))}


def sts_phase(args, measure, env: dict[str, str], state: Path, logs: Path, idp: DevIdp, worker: Proc, proxy: str,
              meter: CpuMeter, notes: list[str], procs: list[Proc]) -> dict:
    """STS exchanges, the proxy's and (unless --no-sts-floor) the JS floor's in interleaved rounds,
    then signed vs anonymous GETs of the same R2 object, in the running Worker (`measure`: the
    bench's wrk.Measure; `logs`: where the wrk scripts go; `procs`: where the floor is added)."""
    t_phase = time.monotonic()
    feats = requests.get(proxy + "/", timeout=10).json().get("features", {})
    if not (feats.get("sts") and feats.get("signed_requests")):
        raise HarnessError(f"STS is not enabled in the Worker: GET / features = {feats}")
    n, rounds = args.sts_exchanges, args.sts_rounds
    variants = () if args.no_sts_floor else VARIANTS
    # One token per exchange, warm-ups included, for the proxy and each floor path.
    minted = chunks(mint_tokens(idp, (n + WARMUP) * (1 + len(variants))), 1 + len(variants))
    tokens = dict(zip(["proxy", *(v for v, _ in variants)], minted))
    log(f"STS: {len(minted) * (n + WARMUP)} RS256 ID tokens minted by the dev IdP in {time.monotonic() - t_phase:.1f} s")
    mark = worker.log_size()
    # Warm-up exchange (not measured): the Worker fetches discovery + JWKS here and caches them.
    s = requests.Session()
    first = s.post(proxy + "/.sts", data=sts_form(tokens["proxy"][0], "bench-warmup"),
                   headers={"Content-Type": FORM}, timeout=30)
    got = parse_exchange(first)
    if isinstance(got, str):
        raise HarnessError(f"STS warm-up exchange: {got}\nPOST {proxy}/.sts\n{redacted_exchange(first)}")
    log("STS warm-up exchange (request: POST /.sts, Content-Type: " + FORM + ", form "
        f"{', '.join(k for k, _ in sts_params('x', session_name='bench-warmup'))}):\n"
        + textwrap.indent(redacted_exchange(first), "    "))
    # name -> (base URL of its /.sts, meter); the floor's meter counts the same extra processes.
    targets = {"proxy": (proxy, meter)}
    if variants:
        session_key = os.urandom(32)
        floor, furl = start_sts_floor(env, state, logs, idp.issuer, STS_AUDIENCE, STS_SUBJECT, session_key)
        procs.append(floor)
        fmeter = CpuMeter((floor.popen.pid, int(furl.rsplit(":", 1)[1])),
                          {k: v for k, v in meter.extra.items() if k in ("client", "idp")})
        fmark = floor.log_size()
        for who, path in variants:
            targets[who] = (furl + path.removesuffix("/.sts"), fmeter)
            r = s.post(targets[who][0] + "/.sts", data=sts_form(tokens[who][0], "bench-warmup"),
                       headers={"Content-Type": FORM}, timeout=30)
            if isinstance(parse_exchange(r), str):
                raise HarnessError(f"STS floor warm-up ({who}): {parse_exchange(r)}\n{redacted_exchange(r)}")
    # The rest of the warm-up, unmeasured (the JIT's tiers, wasm's and JS's): checked all the same.
    for who, (base, m) in targets.items():
        bad = bench_exchanges(base, tokens[who][1:WARMUP], args.sts_concurrency, 60)["bad"]
        if bad:
            raise HarnessError(f"STS warm-up ({who}): {bad[:3]}")
    stats0 = idp_stats(idp)
    batches: dict[str, list[dict]] = {w: [] for w in targets}
    for rnd in range(rounds):
        for who, (base, m) in targets.items():
            batches[who].append(measured_batch(f"STS {who} round {rnd + 1}", base, chunks(tokens[who][WARMUP:], rounds)[rnd],
                                               args.sts_concurrency, m))
    stats1 = idp_stats(idp)
    rows = {w: merged(bs) for w, bs in batches.items()}
    ex = rows.pop("proxy")
    ex["idp_fetches"] = {k: stats1[k] - stats0[k] for k in ("discovery", "jwks")}
    creds: list[SessionCreds] = ex.pop("creds")
    if len({c.access_key_id for c in creds}) != len(creds):
        raise HarnessError("STS exchanges returned duplicate access key ids")
    floor_check = None
    if variants:
        fcreds = {w: r.pop("creds") for w, r in rows.items()}
        if len({c.access_key_id for cs in fcreds.values() for c in cs}) != sum(map(len, fcreds.values())):
            raise HarnessError("the STS floor returned duplicate access key ids")
        floor_check = check_floor(furl, floor, tokens, creds, fcreds, session_key, fmark, notes)
        floor.stop()
    for who, r in {"proxy": ex, **rows}.items():
        log(f"STS exchanges {who} c{args.sts_concurrency}: {r['rps']:.1f}/s  p50 {r['p50_ms']:.1f} ms  p99 "
            f"{r['p99_ms']:.1f} ms  Worker workerd {r['cpu']['workerd'] * 1000 / r['n']:.2f} ms CPU each ({r['n']} "
            f"exchanges in {rounds} rounds: {', '.join(f'{x:.2f}' for x in r['rounds_ms'])})")
    log(f"IdP asked {ex['idp_fetches']} during the measured exchanges")

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

    # Interleaved rounds, the order turned every other round: what a signed read adds is a few
    # percent of a read, less than one run's drift, so it is judged per round (pooled below too).
    gets = []
    runs = (("anon", anon_url, anon_lua, None), ("signed", signed_url, signed_lua, check_signed))
    for conns, duration, warmup in ((args.connections, args.duration, args.warmup),
                                    (1, args.unloaded_duration, 0)):
        got: dict[str, list[dict]] = {"anon": [], "signed": []}
        for rnd in range(SIGNED_ROUNDS):
            for tag, url, script, check in (runs if rnd % 2 == 0 else runs[::-1]):
                got[tag].append(measure(url, size, h, f"64 KiB R2 {tag} (STS phase) #{rnd + 1}", conns, duration,
                                        warmup, meter, script=script, check=check))
        for tag in ("anon", "signed"):
            gets.append({"tag": tag, "conns": conns, "res": pooled(got[tag]),
                         "rounds_ms": [r["cpu"]["workerd"] * 1000 / r["requests"] for r in got[tag]]})

    lines = json_lines(worker.log_since(mark))
    ex_lines = [o for o in lines if o.get("msg") == "sts exchange"]
    audit = [o for o in lines if o.get("msg") == "audit"]
    issued = sum(o.get("result") == "issued" for o in ex_lines)
    audit_bad = [o for o in audit if o.get("status") not in (200, 403)]
    audit_ok = sum(o.get("status") == 200 and o.get("subject") == STS_SUBJECT for o in audit)
    signed_total = sum(g["res"]["requests"] for g in gets if g["tag"] == "signed")
    if floor_check:
        proxy_line = statistics.median(map(line_len, ex_lines))
        floor_check["proxy_line_len"] = proxy_line
        notes.append(f"STS floor log line: median {floor_check['line_len']:.0f} bytes vs the proxy's "
                     f"`sts exchange` line {proxy_line:.0f} bytes.")
    notes.append(f"STS phase: {ex['n']} + {WARMUP} exchanges, every answer 200 with credentials for `{STS_SUBJECT}` "
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
    return {"exchanges": ex, "floors": rows, "floor_check": floor_check, "rounds": rounds, "gets": gets,
            "tokens": n + WARMUP, "warmup": WARMUP, "signed_requests_prebuilt": len(signed_sets),
            "took_s": time.monotonic() - t_phase, "path_signed": f"/demo/{STS_PRODUCT}/{STS_OBJECT}",
            "path_anon": f"/demo/public-data/{STS_OBJECT}", "size": size}
