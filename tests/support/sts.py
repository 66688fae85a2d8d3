"""Helpers of the `sts` tests: STS exchanges over raw
HTTP, AWS-shaped STS answers, session credentials for boto3, SigV4 signing with
botocore (optionally at another time), JWT forgery, and the Worker's JSON log lines.

Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from unittest import mock
from urllib.parse import urlencode, urlsplit

from support.clients import REGION, need
from support.httpraw import Resp, raw, strip_ns

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ARN_PREFIX = "arn:aws:iam::123456789012:role/"
FORM = "application/x-www-form-urlencoded"


def role_arn(name: str) -> str:
    return ARN_PREFIX + name


# --------------------------------------------------------------------------- the exchange


def sts_params(token: str | None, role: str | None = "_default", duration: int | None = None,
               session_name: str | None = "itest-session", extra: list[tuple[str, str]] | None = None,
               action: str | None = "AssumeRoleWithWebIdentity") -> list[tuple[str, str]]:
    p: list[tuple[str, str]] = []
    if action is not None:
        p.append(("Action", action))
    p.append(("Version", "2011-06-15"))
    if role is not None:
        p.append(("RoleArn", role if role.startswith("arn:") or role == "_default" else role_arn(role)))
    if session_name is not None:
        p.append(("RoleSessionName", session_name))
    if token is not None:
        p.append(("WebIdentityToken", token))
    if duration is not None:
        p.append(("DurationSeconds", str(duration)))
    return p + (extra or [])


def exchange(base_url: str, token: str | None, role: str | None = "_default", *, duration: int | None = None,
             session_name: str | None = "itest-session", accept: str | None = None, via: str = "form",
             extra: list[tuple[str, str]] | None = None, headers: dict | None = None,
             action: str | None = "AssumeRoleWithWebIdentity") -> Resp:
    """One AssumeRoleWithWebIdentity request, raw. via: form (POST /.sts, form body),
    form-slash (POST /.sts/), get (GET /.sts?...), post-query (POST /.sts?... empty body),
    root (POST / with a form body)."""
    params = sts_params(token, role, duration, session_name, extra, action)
    body = urlencode(params).encode()
    hdrs = dict(headers or {})
    if accept:
        hdrs["Accept"] = accept
    if via in ("form", "form-slash", "root"):
        path = {"form": "/.sts", "form-slash": "/.sts/", "root": "/"}[via]
        hdrs.setdefault("Content-Type", FORM)
        return raw(base_url, "POST", path, hdrs, body)
    if via == "get":
        return raw(base_url, "GET", "/.sts?" + body.decode(), hdrs)
    if via == "post-query":
        return raw(base_url, "POST", "/.sts?" + body.decode(), hdrs, b"")
    raise ValueError(via)


@dataclass(frozen=True)
class SessionCreds:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: str = ""

    def botocore(self):
        from botocore.credentials import Credentials

        return Credentials(self.access_key_id, self.secret_access_key, self.session_token)


def _children(el: ET.Element) -> dict[str, ET.Element]:
    return {strip_ns(c.tag): c for c in el}


def assert_no_store(resp: Resp) -> None:
    assert "no-store" in (resp.h("cache-control") or "").lower(), resp


def sts_success_xml(resp: Resp) -> dict:
    """Asserts an AWS-faithful AssumeRoleWithWebIdentityResponse; returns its fields flat."""
    assert resp.status == 200, resp
    assert_no_store(resp)
    assert (resp.h("content-type") or "").split(";")[0].strip() in ("text/xml", "application/xml"), resp
    root = ET.fromstring(resp.body)
    assert root.tag == "{%s}AssumeRoleWithWebIdentityResponse" % STS_NS, (root.tag, resp)
    top = _children(root)
    result = _children(top["AssumeRoleWithWebIdentityResult"])
    for el in root.iter():
        assert el.tag.startswith("{%s}" % STS_NS), f"element {el.tag} outside the STS namespace"
    cred = {k: (v.text or "") for k, v in _children(result["Credentials"]).items()}
    user = {k: (v.text or "") for k, v in _children(result["AssumedRoleUser"]).items()}
    meta = {k: (v.text or "") for k, v in _children(top["ResponseMetadata"]).items()}
    return {
        "Credentials": cred,
        "SubjectFromWebIdentityToken": result["SubjectFromWebIdentityToken"].text or "",
        "AssumedRoleUser": user,
        "Provider": result["Provider"].text or "",
        "Audience": result["Audience"].text or "",
        "RequestId": meta.get("RequestId", ""),
    }


def creds_of(fields: dict) -> SessionCreds:
    c = fields["Credentials"]
    return SessionCreds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], c["Expiration"])


def assume(base_url: str, token: str, role: str = "_default", **kw) -> SessionCreds:
    r = exchange(base_url, token, role, **kw)
    assert r.status == 200, r
    return creds_of(sts_success_xml(r))


def sts_error(resp: Resp, status: int, code: str) -> dict:
    """Asserts an AWS-shaped STS error with this status and code; returns its fields."""
    assert (resp.status, _code(resp)) == (status, code), resp
    assert_no_store(resp)
    assert resp.h("x-amz-request-id"), resp
    ctype = (resp.h("content-type") or "").split(";")[0].strip()
    if ctype == "application/json":
        doc = json.loads(resp.body)
        err, rid = doc["Error"], doc["RequestId"]
    else:
        assert ctype in ("text/xml", "application/xml"), resp
        root = ET.fromstring(resp.body)
        assert root.tag == "{%s}ErrorResponse" % STS_NS, (root.tag, resp)
        top = _children(root)
        err = {k: (v.text or "") for k, v in _children(top["Error"]).items()}
        rid = top["RequestId"].text or ""
    assert err["Type"] == ("Receiver" if status >= 500 else "Sender"), resp
    assert err["Code"] == code and err.get("Message"), resp
    assert rid and rid == resp.h("x-amz-request-id"), resp
    return {**err, "RequestId": rid}


def _code(resp: Resp) -> str | None:
    try:
        if resp.body.lstrip().startswith(b"{"):
            return json.loads(resp.body)["Error"]["Code"]
        root = ET.fromstring(resp.body)
        for el in root.iter():
            if strip_ns(el.tag) == "Code":
                return el.text
    except Exception:  # noqa: BLE001 - shown by the assertion's repr of resp
        return None
    return None


def s3_error_code(resp: Resp) -> tuple[int, str | None]:
    """(status, S3 error code) of a response (code None for a bodiless HEAD)."""
    return resp.status, _code(resp) if resp.body else None


# --------------------------------------------------------------------------- signed S3 requests


def session_s3(base_url: str, creds: SessionCreds, **cfg):
    """boto3 S3 client with session credentials, path-style, us-east-1, no retries.
    (boto3 presigns with SigV2 for a custom endpoint in us-east-1 unless told
    `signature_version="s3v4"`; pass it for presigned URLs.)"""
    boto3 = need("boto3")
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=base_url, region_name=REGION,
                        aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
                        aws_session_token=creds.session_token,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **cfg))


@contextlib.contextmanager
def clock(offset_s: float):
    """botocore's signers see a clock `offset_s` seconds off."""
    import botocore.auth

    real = botocore.auth.get_current_datetime

    def fake(remove_tzinfo=True):
        return real(remove_tzinfo) + dt.timedelta(seconds=offset_s)

    with mock.patch("botocore.auth.get_current_datetime", fake):
        yield


def sign_headers(url: str, creds: SessionCreds | None, method: str = "GET", headers: dict | None = None,
                 access_key_id: str | None = None, secret: str | None = None, token: str | None = "keep",
                 region: str = REGION) -> dict:
    """Headers of a SigV4 (S3, header auth) request for `url` as botocore signs it."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    c = Credentials(access_key_id or creds.access_key_id, secret or creds.secret_access_key,
                    (creds.session_token if creds else None) if token == "keep" else token)
    req = AWSRequest(method=method, url=url, headers=dict(headers or {}))
    S3SigV4Auth(c, "s3", region).add_auth(req)
    return dict(req.headers.items())


def presign(url: str, creds: SessionCreds, expires: int = 300, region: str = REGION) -> str:
    """A presigned GET URL (query auth, with X-Amz-Security-Token) as botocore makes it."""
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest

    req = AWSRequest(method="GET", url=url)
    S3SigV4QueryAuth(creds.botocore(), "s3", region, expires=expires).add_auth(req)
    return req.url


def path_of(url: str) -> str:
    u = urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def signed_get(base_url: str, path: str, creds: SessionCreds, method: str = "GET", headers: dict | None = None,
               **kw) -> Resp:
    h = sign_headers(base_url + path, creds, method, headers, **kw)
    return raw(base_url, method, path, h)


# --------------------------------------------------------------------------- JWTs


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_split(token: str) -> tuple[dict, dict, str]:
    h, p, s = token.split(".")
    return json.loads(unb64u(h)), json.loads(unb64u(p)), s


def jwt_join(header: dict, payload: dict, sig: str) -> str:
    enc = lambda d: b64u(json.dumps(d, separators=(",", ":")).encode())  # noqa: E731
    return f"{enc(header)}.{enc(payload)}.{sig}"


def forge_alg_none(token: str) -> str:
    h, p, _ = jwt_split(token)
    return jwt_join({**h, "alg": "none"}, p, "")


def forge_hs256(token: str, hmac_key: bytes) -> str:
    """The algorithm-confusion attack: HS256 with the issuer's public key as HMAC secret."""
    h, p, _ = jwt_split(token)
    head = b64u(json.dumps({**h, "alg": "HS256"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(p, separators=(",", ":")).encode())
    sig = hmac.new(hmac_key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64u(sig)}"


def tamper_payload(token: str, **changes) -> str:
    """Same header and signature, payload changed."""
    h, p, s = jwt_split(token)
    hp, _pp, _ = token.split(".")
    p.update(changes)
    return f"{hp}.{b64u(json.dumps(p, separators=(',', ':')).encode())}.{s}"


def rs256_token(claims: dict, kid: str = "itest-1", key=None) -> tuple[str, object]:
    """An RS256 JWT signed by a throwaway RSA key (or `key`); returns (token, key)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    head = b64u(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}, separators=(",", ":")).encode())
    body = b64u(json.dumps(claims, separators=(",", ":")).encode())
    sig = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64u(sig)}", key


def jwk_public_pem(jwk: dict) -> bytes:
    """PEM (SubjectPublicKeyInfo) of an RSA JWK: the HMAC key of the confusion attack."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

    n = int.from_bytes(unb64u(jwk["n"]), "big")
    e = int.from_bytes(unb64u(jwk["e"]), "big")
    pub = RSAPublicNumbers(e, n).public_key()
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def claims(iss: str, sub: str, aud: str = "oidc-data-proxy", ttl: int = 600, **extra) -> dict:
    now = int(time.time())
    return {"iss": iss, "sub": sub, "aud": aud, "iat": now, "nbf": now, "exp": now + ttl, **extra}


# --------------------------------------------------------------------------- bit flips


def flip_char(s: str, at: int | None = None) -> str:
    """`s` with one base64url character changed (flips bits of the decoded bytes)."""
    i = len(s) // 2 if at is None else at
    c = s[i]
    return s[:i] + ("B" if c == "A" else "A") + s[i + 1:]


# --------------------------------------------------------------------------- Worker log


def json_lines(text: str) -> list[dict]:
    """The Worker's structured log lines (one JSON object per line) in a log excerpt; tolerant
    of what wrangler writes around a line (its colour codes around warnings and errors)."""
    out = []
    decoder = json.JSONDecoder()
    for line in text.splitlines():
        i = line.find("{")
        if i < 0:
            continue
        try:
            obj, _ = decoder.raw_decode(line[i:])
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def lines_for(worker, request_id: str, mark: int = 0, wait: float = 5.0) -> list[dict]:
    """The Worker's JSON log lines carrying this request id (waits for wrangler to flush)."""
    deadline = time.monotonic() + wait
    while True:
        found = [o for o in json_lines(worker.log_since(mark)) if o.get("request_id") == request_id]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
