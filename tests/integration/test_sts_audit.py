"""Audit logs: one structured JSON line per exchange (success or failure) and
per signed request, in the Worker's log (wrangler's output file of the harness), with
role, issuer, subject, access key id and result; and no token or secret anywhere in it."""

from __future__ import annotations

import re
import time

import pytest

from conftest import GHA_ROLE
from support.httpraw import raw
from support.sts import (
    creds_of, exchange, json_lines, lines_for, path_of, presign, signed_get, sts_error, sts_success_xml,
)

pytestmark = pytest.mark.sts

OBJ = "/demo/restricted-data/secret.csv"
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")


def values(obj) -> set[str]:
    """Every scalar value of a JSON line, as strings."""
    out: set[str] = set()
    if isinstance(obj, dict):
        for v in obj.values():
            out |= values(v)
    elif isinstance(obj, list):
        for v in obj:
            out |= values(v)
    elif obj is not None:
        out.add(str(obj))
    return out


def one_line(worker, resp, mark) -> dict:
    """The one JSON line the Worker logged for this response's request id: an exchange's or a
    signed request's line is also its request line (method, route, status, duration)."""
    rid = resp.h("x-amz-request-id")
    assert rid, resp
    lines = lines_for(worker, rid, mark)
    assert len(lines) == 1, f"expected one line for {rid}, got {lines}"
    line = lines[0]
    assert line.get("msg") in ("sts exchange", "audit"), line
    assert line.get("status") == resp.status and isinstance(line.get("duration_ms"), int), line
    return line


def test_exchange_lines(sts_worker, idp):
    mark = sts_worker.log_size()
    ok = exchange(sts_worker.url, idp.token("alice"), session_name="audit-ok", duration=1800)
    creds = creds_of(sts_success_xml(ok))
    line = one_line(sts_worker, ok, mark)
    v = values(line)
    for want in ("_default", sts_worker.sts.issuer, "alice", "audit-ok", creds.access_key_id, "oidc-data-proxy"):
        assert want in v, (want, line)
    assert line.get("result"), line

    bad = exchange(sts_worker.url, idp.token("alice", iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
                   session_name="audit-expired")
    sts_error(bad, 400, "ExpiredTokenException")
    fail = one_line(sts_worker, bad, mark)
    assert {"ExpiredTokenException", "_default", "audit-expired"} <= values(fail), fail
    assert fail.get("result") and fail.get("result") != line.get("result"), (line, fail)

    denied = exchange(sts_worker.url, idp.token("x", aud="sts.amazonaws.com",
                                                claims={"repository": "octo-org/octo-repo",
                                                        "ref": "refs/heads/evil", "environment": "prod"}), GHA_ROLE)
    sts_error(denied, 403, "IDPRejectedClaim")
    d = one_line(sts_worker, denied, mark)
    # the token was verified before its claims were judged: who was refused is known
    assert {"IDPRejectedClaim", GHA_ROLE, sts_worker.sts.issuer, "x"} <= values(d), d

    param = exchange(sts_worker.url, None)  # even a parameter error is one line
    sts_error(param, 400, "MissingParameter")
    assert "MissingParameter" in values(one_line(sts_worker, param, mark))


def test_signed_request_lines(sts_worker, idp, secret_bytes):
    mark = sts_worker.log_size()
    creds = creds_of(sts_success_xml(exchange(sts_worker.url, idp.token("alice"), session_name="audit-read")))
    r = signed_get(sts_worker.url, OBJ, creds)
    assert r.status == 200, r
    line = one_line(sts_worker, r, mark)
    for want in ("_default", sts_worker.sts.issuer, "alice", creds.access_key_id):
        assert want in values(line), (want, line)
    assert line.get("result"), line

    bob = creds_of(sts_success_xml(exchange(sts_worker.url, idp.token("bob"))))
    r = signed_get(sts_worker.url, OBJ, bob)
    assert r.status == 404, r
    denied = one_line(sts_worker, r, mark)
    assert {"bob", bob.access_key_id} <= values(denied), denied
    assert denied.get("result") != line.get("result"), (line, denied)

    r = signed_get(sts_worker.url, OBJ, creds, secret="y" * 40)
    assert r.status == 403, r
    assert "SignatureDoesNotMatch" in values(one_line(sts_worker, r, mark))

    r = raw(sts_worker.url, "GET", path_of(presign(sts_worker.url + OBJ, creds, 60)))
    assert r.status == 200, r
    assert creds.access_key_id in values(one_line(sts_worker, r, mark))


def test_no_token_or_secret_in_the_log(sts_worker, idp, secret_bytes):
    """Tokens and secrets travel in bodies, headers and query strings (GET /.sts, presigned
    URLs); none of them may reach the log, not even partly."""
    mark = sts_worker.log_size()
    id_tokens = [idp.token("alice"), idp.token("alice"), idp.token("alice", alg="ES256"), idp.token("carol")]
    c1 = creds_of(sts_success_xml(exchange(sts_worker.url, id_tokens[0])))
    c2 = creds_of(sts_success_xml(exchange(sts_worker.url, id_tokens[1], via="get")))
    r = exchange(sts_worker.url, id_tokens[2], accept="application/json")
    assert r.status == 200, r
    sts_error(exchange(sts_worker.url, id_tokens[3], duration=10), 400, "ValidationError")
    sts_error(exchange(sts_worker.url, id_tokens[3] + "x", via="get"), 400, "InvalidIdentityToken")
    for c in (c1, c2):
        assert signed_get(sts_worker.url, OBJ, c).status == 200
        assert raw(sts_worker.url, "GET", path_of(presign(sts_worker.url + OBJ, c, 60))).status == 200
        assert signed_get(sts_worker.url, OBJ, c, secret="z" * 40).status == 403
    time.sleep(0.5)
    log = sts_worker.log_since(0)
    assert json_lines(sts_worker.log_since(mark)), "no JSON lines logged at all?"
    secrets = {"session key (SESSION_TOKEN_KEY)": sts_worker.session_key}
    for i, t in enumerate(id_tokens):
        head, payload, sig = t.split(".")
        secrets[f"ID token {i}"] = t
        secrets[f"ID token {i} payload"] = payload
        secrets[f"ID token {i} signature"] = sig
    for i, c in enumerate((c1, c2)):
        secrets[f"secret key {i}"] = c.secret_access_key
        secrets[f"secret key {i} (prefix)"] = c.secret_access_key[:16]
        secrets[f"session token {i}"] = c.session_token
        secrets[f"session token {i} (middle)"] = c.session_token[len(c.session_token) // 2:][:32]
    leaked = [name for name, s in secrets.items() if s and s in log]
    assert not leaked, f"found in {sts_worker.proc.log_path}: {leaked}"
    jwts = JWT_RE.findall(log)
    assert not jwts, f"JWT-shaped strings in {sts_worker.proc.log_path}: {[j[:40] for j in jwts[:5]]}"
