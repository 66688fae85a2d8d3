"""SigV4 for the corpus, with every field under the row's control: the scope (date,
region, service, terminator), the request time, the signed header list, the payload
hash, the token's place. A mutated field still gets a signature that is valid for
what was sent, so a row tests exactly one wrong thing. Checked against botocore by
test_corpus.py::test_signer_matches_botocore."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"


def amz(t: dt.datetime) -> str:
    return t.strftime("%Y%m%dT%H%M%SZ")


def _enc(s: str) -> str:
    return quote(s, safe="-_.~")


def canonical_query(raw: str, drop: tuple[str, ...] = ()) -> str:
    pairs = []
    for part in filter(None, raw.split("&")):
        k, _, v = part.partition("=")
        k, v = unquote(k), unquote(v)
        if k not in drop:
            pairs.append((_enc(k), _enc(v)))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _fold(v: str) -> str:
    return " ".join(v.split())


@dataclass
class Scope:
    date8: str
    region: str = "us-east-1"
    service: str = "s3"
    terminator: str = "aws4_request"

    def __str__(self) -> str:
        return f"{self.date8}/{self.region}/{self.service}/{self.terminator}"


def signature(secret: str, scope: Scope, amz_date: str, creq: str) -> str:
    key = ("AWS4" + secret).encode()
    for part in (scope.date8, scope.region, scope.service, scope.terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sts = "\n".join([ALGORITHM, amz_date, str(scope), hashlib.sha256(creq.encode()).hexdigest()])
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def canonical_request(method: str, path: str, query: str, headers: dict[str, str], signed: list[str],
                      payload: str) -> str:
    lower = {k.lower(): v for k, v in headers.items()}
    canon = "".join(f"{n}:{_fold(lower.get(n, ''))}\n" for n in signed)
    return "\n".join([method, path, query, canon, ";".join(signed), payload])


@dataclass
class Signed:
    target: str
    headers: dict[str, str] = field(default_factory=dict)


def sign_header(method: str, target: str, host: str, akid: str, secret: str, token: str | None,
                when: dt.datetime, scope: Scope | None = None, extra: dict[str, str] | None = None,
                payload: str | None = EMPTY_SHA256, signed_names: list[str] | None = None,
                date_header: bool = False) -> Signed:
    """Header auth as the SDKs send it: host, x-amz-content-sha256, x-amz-date and the
    security token signed, plus `extra`. `payload` None: no x-amz-content-sha256 header
    (the empty body's hash is still what gets signed)."""
    scope = scope or Scope(when.strftime("%Y%m%d"))
    path, _, query = target.partition("?")
    h = {"host": host}
    if date_header:
        h["date"] = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    else:
        h["x-amz-date"] = amz(when)
    if payload is not None:
        h["x-amz-content-sha256"] = payload
    if token is not None:
        h["x-amz-security-token"] = token
    h.update({k.lower(): v for k, v in (extra or {}).items()})
    names = signed_names if signed_names is not None else sorted(h)
    creq = canonical_request(method, path, canonical_query(query), h, names,
                             payload if payload is not None else EMPTY_SHA256)
    sig = signature(secret, scope, amz(when), creq)
    h["authorization"] = (f"{ALGORITHM} Credential={akid}/{scope}, SignedHeaders={';'.join(names)}, "
                          f"Signature={sig}")
    return Signed(target, h)


def presign(method: str, target: str, host: str, akid: str, secret: str, token: str | None,
            when: dt.datetime, expires: str = "300", scope: Scope | None = None,
            signed_names: list[str] | None = None, extra: dict[str, str] | None = None) -> Signed:
    """Query auth as botocore presigns: the token is in the signed query."""
    scope = scope or Scope(when.strftime("%Y%m%d"))
    path, _, query = target.partition("?")
    names = signed_names or ["host"] + sorted(k.lower() for k in (extra or {}))
    params = [("X-Amz-Algorithm", ALGORITHM), ("X-Amz-Credential", f"{akid}/{scope}"),
              ("X-Amz-Date", amz(when)), ("X-Amz-Expires", expires), ("X-Amz-SignedHeaders", ";".join(names))]
    if token is not None:
        params.append(("X-Amz-Security-Token", token))
    q = "&".join(filter(None, [query] + [f"{_enc(k)}={_enc(v)}" for k, v in params]))
    h = {"host": host, **{k.lower(): v for k, v in (extra or {}).items()}}
    creq = canonical_request(method, path, canonical_query(q), h, names, UNSIGNED)
    sig = signature(secret, scope, amz(when), creq)
    return Signed(f"{path}?{q}&X-Amz-Signature={sig}", {k: v for k, v in h.items() if k != "host"})
