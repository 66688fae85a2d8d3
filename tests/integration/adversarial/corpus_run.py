"""Turns corpus rows into the exact bytes to send: the request line and headers as the
row writes them, SigV4 (header or presigned, one field wrong at a time), STS exchanges
with forged ID tokens. Preparation is sequential (it mints tokens and reads the clock);
sending is parallel (test_corpus.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urlencode

import corpus_sign as sig4
from support.httpraw import Resp, send_bytes
from support.sts import ARN_PREFIX, SessionCreds, b64u, flip_char, jwt_split

_BYTES = re.compile(r"«x:([0-9A-Fa-f]*)»")
AUDIENCE = "oidc-data-proxy"


def to_bytes(s: str) -> bytes:
    """UTF-8, except `«x:HEX»` which is sent as those raw bytes."""
    out, last = b"", 0
    for m in _BYTES.finditer(s):
        out += s[last:m.start()].encode() + bytes.fromhex(m.group(1))
        last = m.end()
    return out + s[last:].encode()


@dataclass
class Ctx:
    url: str
    creds: dict[str, SessionCreds]
    idps: dict[str, object]  # main, rot, foreign: support.stubs.DevIdp
    local_key: object = None  # a throwaway RSA key (cryptography) no IdP publishes
    issuers: dict[str, str] = field(default_factory=dict)  # the idps' and e.g. `dead`: a trusted issuer nobody runs
    now: float = field(default_factory=time.time)

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")


@dataclass
class Prepared:
    method: str
    data: bytes
    sent: str  # what the request said, decoded, for the echo exemption of the leak check
    credentials_intact: bool  # the principal's own credentials, unmodified


_NAMED = re.compile(r"\{(issuer|issuer-upper|jwks):(\w+)\}")


def _rel(v, now: int, issuers: dict[str, str]):
    """`{"rel": n}` is now + n; `{issuer:NAME}`, `{issuer-upper:NAME}` (scheme in
    capitals) and `{jwks:NAME}` name the dev IdPs' URLs."""
    if isinstance(v, dict) and set(v) == {"rel"}:
        return now + v["rel"]
    if isinstance(v, dict):
        return {k: _rel(x, now, issuers) for k, x in v.items()}
    if isinstance(v, list):
        return [_rel(x, now, issuers) for x in v]
    if isinstance(v, str):
        def named(m):
            url = issuers[m.group(2)]
            return {"issuer": url, "issuer-upper": url.replace("http://", "HTTP://"), "jwks": url + "/jwks.json"}[
                m.group(1)]
        return _NAMED.sub(named, v)
    return v


# --------------------------------------------------------------------------- ID tokens


def _local_jwt(key, header: dict, payload: dict) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    enc = lambda d: b64u(json.dumps(d, separators=(",", ":")).encode())  # noqa: E731
    signing_input = f"{enc(header)}.{enc(payload)}"
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64u(sig)}"


def _idp_sign(idp, kid: str, signing_input: str) -> str:
    """RS256 by the dev IdP's own key `kid`: its PEM in the state dir whose modulus the JWKS lists under kid."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from support.sts import unb64u

    n = next(int.from_bytes(unb64u(k["n"]), "big") for k in idp.jwks()["keys"] if k["kid"] == kid)
    for pem in sorted(idp.state_dir.glob("rsa-*.pem")):
        key = serialization.load_pem_private_key(pem.read_bytes(), password=None)
        if key.public_key().public_numbers().n == n:
            return b64u(key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()))
    raise ValueError(f"no RSA key of the dev IdP has kid {kid}")


def _local_jwk(key) -> dict:
    n = key.public_key().public_numbers()
    return {"kty": "RSA", "n": b64u(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
            "e": b64u(n.e.to_bytes(3, "big")), "kid": "attacker", "alg": "RS256", "use": "sig"}


def mint(ctx: Ctx, spec: dict) -> str:
    now = int(ctx.now)
    spec = _rel(dict(spec), now, {**{k: i.issuer for k, i in ctx.idps.items()}, **ctx.issuers})
    forge = spec.pop("forge", [])
    which = spec.pop("idp", "main")
    sub = spec.pop("sub", "alice")
    aud = spec.pop("aud", AUDIENCE)
    if which == "local":
        claims = {"iss": ctx.idps["main"].issuer, "sub": sub, "aud": aud, "iat": now, "nbf": now, "exp": now + 600,
                  **spec.get("claims", {})}
        head = {"alg": "RS256", "typ": "JWT", "kid": "attacker", **spec.get("header", {})}
        token = _local_jwt(ctx.local_key, head, claims)
    else:
        token = ctx.idps[which].token(sub, aud, **spec)
    for op in forge:
        token = _forge(ctx, token, op)
    return token


def _forge(ctx: Ctx, token: str, op: dict) -> str:
    kind = op["op"]
    h, p, s = token.split(".") if token.count(".") == 2 else (token, "", "")
    enc = lambda d: b64u(json.dumps(d, separators=(",", ":")).encode())  # noqa: E731
    if kind == "strip_sig":
        return f"{h}.{p}."
    if kind == "flip_sig":
        return f"{h}.{p}.{flip_char(s)}"
    if kind == "truncate_sig":
        return f"{h}.{p}.{s[:-op.get('n', 4)]}"
    if kind == "tamper":  # new payload, the old signature
        return f"{h}.{enc({**jwt_split(token)[1], **op['claims']})}.{s}"
    if kind == "header":  # new header, the old signature
        head = {**jwt_split(token)[0], **op["set"]}
        for k in op.get("drop", []):
            head.pop(k, None)
        return f"{enc(head)}.{p}.{s}"
    if kind == "resign_local":  # the same claims, signed by a key no IdP publishes
        head, payload, _ = jwt_split(token)
        head = {**head, **op.get("header", {})}
        if op.get("embed") == "jwk":
            head["jwk"] = _local_jwk(ctx.local_key)
        return _local_jwt(ctx.local_key, head, payload)
    if kind == "swap_sig":  # the signature of another valid token of the same IdP
        other = mint(ctx, op["from"])
        return f"{h}.{p}.{other.split('.')[2]}"
    if kind == "pad":
        padded = lambda x: x + "=" * (-len(x) % 4)  # noqa: E731
        return ".".join(padded(x) for x in (h, p, s))
    if kind == "append":
        return token + op["value"]
    if kind == "prepend":
        return op["value"] + token
    if kind == "payload_raw":  # a payload that is not a JSON object, the old signature
        return f"{h}.{b64u(op['value'].encode())}.{s}"
    if kind == "header_raw":
        return f"{b64u(op['value'].encode())}.{p}.{s}"
    if kind == "resign_idp":  # raw members appended to the header or claims, validly signed by the IdP's own key
        head, payload, _ = jwt_split(token)
        raw = lambda d, extra: (json.dumps(d, separators=(",", ":"))[:-1] + extra + "}").encode()  # noqa: E731
        signing_input = f"{b64u(raw(head, op.get('header', '')))}.{b64u(raw(payload, op.get('claims', '')))}"
        return f"{signing_input}.{_idp_sign(ctx.idps[op.get('idp', 'main')], head['kid'], signing_input)}"
    raise ValueError(f"unknown forge op {kind}")


# --------------------------------------------------------------------------- STS requests


def sts_request(ctx: Ctx, spec: dict) -> tuple[str, str, dict[str, str], str | None]:
    """(method, target, headers, body) of an exchange."""
    token = spec.get("token", {})
    if isinstance(token, dict):
        token = mint(ctx, token)
    role = spec.get("role", "_default")
    params = [("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"),
              ("RoleArn", role if role.startswith("arn:") else ARN_PREFIX + role),
              ("RoleSessionName", "corpus")]
    if token is not None:
        params.append(("WebIdentityToken", token))
    mods = spec.get("params", {})
    for k, v in mods.get("set", {}).items():
        params = [(pk, v if pk == k else pv) for pk, pv in params]
        if k not in {pk for pk, _ in params}:
            params.append((k, v))
    params = [(k, v) for k, v in params if k not in mods.get("drop", [])]
    params += [tuple(kv) for kv in mods.get("add", [])]
    encoded = urlencode(params)
    via = spec.get("via", "form")
    headers = {}
    if spec.get("accept"):
        headers["Accept"] = spec["accept"]
    body = spec.get("body")
    if body is not None:
        body = body.replace("$token", token or "")
    if via in ("form", "form-slash", "root"):
        target = {"form": "/.sts", "form-slash": "/.sts/", "root": "/"}[via]
        method, body = "POST", encoded if body is None else body
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif via == "get":
        method, target = "GET", "/.sts?" + encoded
    elif via == "post-query":
        method, target, body = "POST", "/.sts?" + encoded, body or ""
    else:
        raise ValueError(via)
    if "content_type" in spec:
        headers.pop("Content-Type", None)
        if spec["content_type"] is not None:
            headers["Content-Type"] = spec["content_type"]
    return spec.get("method", method), target, headers, body


# --------------------------------------------------------------------------- SigV4


def _token_value(ctx: Ctx, who: str, how: str | None) -> str | None:
    tok = ctx.creds[who].session_token
    if how is None:
        return tok
    if how == "none":
        return None
    if how in ctx.creds:
        return ctx.creds[how].session_token
    if how.startswith("="):
        return how[1:]
    if how == "truncate":
        return tok[:-8]
    if how == "flip":
        return flip_char(tok)
    if how.startswith("pad:"):
        return tok + "A" * int(how[4:])
    raise ValueError(how)


def signed(ctx: Ctx, row: dict, method: str, target: str, host: str) -> tuple[str, list[tuple[str, str]], bool]:
    """(target, headers, credentials intact) of a signed row."""
    who, m = row.get("as", "alice"), row.get("sig") or {}
    c = ctx.creds[who]
    when = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(seconds=m.get("time", 0))
    scope = sig4.Scope(m.get("date8", when.strftime("%Y%m%d")), m.get("region", "us-east-1"),
                       m.get("service", "s3"), m.get("terminator", "aws4_request"))
    akid = m.get("akid")
    akid = c.access_key_id if akid is None else (ctx.creds[akid].access_key_id if akid in ctx.creds else akid[1:])
    secret = "x" * 40 if m.get("secret") == "wrong" else c.secret_access_key
    token = _token_value(ctx, who, m.get("token"))
    where = m.get("token_where", "query" if row["sign"] == "presign" else "header")
    intact = not ({"secret", "akid", "token", "replace", "authorization", "send_target", "query_add"} & set(m))
    hdr_token = token if where in ("header", "both-same") else None
    if row["sign"] == "presign":
        s = sig4.presign(method, target, host, akid, secret, token if where != "header" else None, when,
                         m.get("expires", "300"), scope, m.get("signed_names"), m.get("extra_signed"))
        out_target, headers = s.target, list(s.headers.items())
        if where in ("header", "both-same"):
            headers.append(("x-amz-security-token", token))
        if where == "both-different":
            headers.append(("x-amz-security-token", ctx.creds["bob"].session_token))
        if m.get("mixed"):
            h = sig4.sign_header(method, target, host, akid, secret, None, when)
            headers += [(k, v) for k, v in h.headers.items() if k != "host"]
    else:
        names = m.get("signed_names")
        extra = dict(m.get("extra_signed", {}))
        s = sig4.sign_header(method, target, host, akid, secret, hdr_token, when, scope, extra,
                             m.get("payload", sig4.EMPTY_SHA256), names, m.get("date_header", False))
        hs = dict(s.headers)
        if m.get("unsigned"):  # re-sign without them, then send them anyway
            names = [n for n in sorted(hs) if n != "authorization" and n not in m["unsigned"]]
            s = sig4.sign_header(method, target, host, akid, secret, hdr_token, when, scope, extra,
                                 m.get("payload", sig4.EMPTY_SHA256), names, m.get("date_header", False))
            hs = dict(s.headers)
        out_target = target
        if where == "query":
            out_target += ("&" if "?" in target else "?") + "X-Amz-Security-Token=" + sig4._enc(token)
            # the query is part of what is signed: sign again over the target with the token
            s = sig4.sign_header(method, out_target, host, akid, secret, None, when, scope, extra,
                                 m.get("payload", sig4.EMPTY_SHA256), names, m.get("date_header", False))
            hs = dict(s.headers)
        if where == "both-different":
            out_target += ("&" if "?" in target else "?") + "X-Amz-Security-Token=" + sig4._enc(
                ctx.creds["bob"].session_token)
        auth = hs["authorization"]
        for a, b in m.get("replace", []):
            auth = auth.replace(a, b)
        if "authorization" in m:
            auth = m["authorization"].replace("{auth}", auth)
        if m.get("sig_case"):  # the signature itself: upper-case hex, one digit short, not hex
            head, _, sigval = auth.rpartition("Signature=")
            sigval = {"upper": sigval.upper(), "short": sigval[:-1], "nonhex": "z" * len(sigval)}[m["sig_case"]]
            auth = head + "Signature=" + sigval
        hs["authorization"] = auth
        headers = [(k, v) for k, v in hs.items() if k != "host"]
        if m.get("dup_auth"):
            headers.append(("authorization", auth))
    for k in m.get("drop", []):
        headers = [(hk, hv) for hk, hv in headers if hk.lower() != k.lower()]
    headers += list(m.get("extra_unsigned", {}).items())
    if row["sign"] == "presign":
        for a, b in m.get("replace", []):
            out_target = out_target.replace(a, b)
    if m.get("query_add"):
        out_target += ("&" if "?" in out_target else "?") + m["query_add"]
    if m.get("send_target"):  # another path than the one signed, the same query
        query = out_target.partition("?")[2]
        out_target = m["send_target"] + ("?" + query if query else "")
    return out_target, headers, intact


# --------------------------------------------------------------------------- the request


def _headers_of(row: dict) -> list[tuple[str, str]]:
    h = row.get("headers") or []
    return list(h.items()) if isinstance(h, dict) else [tuple(x) for x in h]


def prepare(ctx: Ctx, row: dict, target: str | None = None) -> Prepared:
    """The bytes of a row's request (`target` replaces the row's, for the missing twin)."""
    fill = lambda s: s.replace("{host}", ctx.host).replace("{url}", ctx.url)  # noqa: E731
    if "raw" in row:
        text = fill(row["raw"])
        data = to_bytes(text)
        return Prepared(text.split(" ", 1)[0], data, _decoded(text), True)
    method = row.get("method", "GET")
    target = target or row.get("target", "/")
    headers = [(k, fill(v)) for k, v in _headers_of(row)]
    body = row.get("body")
    intact = True
    if row.get("sts") is not None:
        method, target, sts_headers, body = sts_request(ctx, row["sts"])
        headers = list(sts_headers.items()) + headers
    host = fill(row["host"]) if row.get("host") is not None else ctx.host
    if row.get("sign"):
        target, sig_headers, intact = signed(ctx, row, method, target, host)
        headers = sig_headers + headers
    lines = [f"{method} {target} HTTP/1.1"]
    if row.get("host", "") is not None:
        lines.append(f"Host: {host}")
    lines += [f"{k}: {v}" for k, v in headers]
    lines.append("Connection: close")
    payload = b""
    if body is not None:
        payload = to_bytes(body)
        lines.append(f"Content-Length: {len(payload)}")
    elif method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: 0")
    text = "\r\n".join(lines) + "\r\n\r\n"
    return Prepared(method, to_bytes(text) + payload, _decoded(text), intact)


def _decoded(text: str) -> str:
    once = unquote(text)
    return "\n".join([text, once, unquote(once), text.replace("+", " ")])


def send(ctx: Ctx, p: Prepared, timeout: float = 60) -> Resp:
    return send_bytes(ctx.url, p.data, p.method, timeout)


def decode_token_text(token: str) -> str:
    """A continuation token as text, if it is base64 of anything: the leak check reads
    what a token would reveal."""
    for dec in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            return dec(token + "=" * (-len(token) % 4)).decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - not base64: nothing to read
            continue
    return ""

