"""Request logs, read from the Worker's own log output: one JSON line per request with
method, route kind, status, bytes, principal (a hash of issuer and subject, never the subject)
and duration; a 5xx also logs its detail with the request id, which the client never sees."""

from __future__ import annotations

import hashlib
import time

import pytest

from support.httpraw import raw
from support.sts import creds_of, exchange, json_lines, signed_get, sts_success_xml

pytestmark = pytest.mark.sts

def logged(worker, resp, mark: int, msg: str, wait: float = 5.0) -> list[dict]:
    rid = resp.h("x-amz-request-id")
    assert rid, resp
    deadline = time.monotonic() + wait
    while True:
        found = [o for o in json_lines(worker.log_since(mark))
                 if o.get("request_id") == rid and o.get("msg") == msg]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def request_line(worker, resp, mark: int) -> dict:
    lines = logged(worker, resp, mark, "request")
    assert len(lines) == 1, (resp, lines)
    return lines[0]


def principal_hash(issuer: str, subject: str) -> str:
    """The log name of a session principal, computed independently of the Worker: SHA-256 of
    the issuer's length (u64, big-endian), the issuer and the subject; first 12 bytes, hex."""
    h = hashlib.sha256(len(issuer.encode()).to_bytes(8, "big") + issuer.encode() + subject.encode())
    return h.hexdigest()[:24]


def test_anonymous_request_lines(worker):
    mark = worker.log_size()
    r = raw(worker.url, "GET", "/demo/public-data/cities.csv")
    assert r.status == 200, r
    line = request_line(worker, r, mark)
    assert line["level"] == "info", line
    assert (line["method"], line["route"], line["status"]) == ("GET", "object", 200), line
    assert line["bytes"] == len(r.body) == int(r.h("content-length")), line
    assert line["principal"] == "anonymous", line
    assert isinstance(line["duration_ms"], int) and 0 <= line["duration_ms"] < 60_000, line

    r = raw(worker.url, "HEAD", "/demo/no-such-product/x")
    assert r.status == 404, r
    line = request_line(worker, r, mark)
    assert (line["method"], line["route"], line["status"]) == ("HEAD", "object", 404), line

    r = raw(worker.url, "GET", "/demo?list-type=2&delimiter=%2F")
    assert r.status == 200, r
    assert request_line(worker, r, mark)["route"] == "list-account"


def test_server_errors_log_their_detail_not_the_client(worker):
    # A backend whose secret is wrong: moto refuses the proxy's signature (a 5xx for the client).
    mark = worker.log_size()
    r = raw(worker.url, "GET", "/mirror/wrongkey/cities.csv")
    assert r.status >= 500, r
    line = request_line(worker, r, mark)
    assert line["status"] == r.status, line
    failed = logged(worker, r, mark, "request failed")
    assert len(failed) == 1, failed
    assert failed[0]["level"] == "error" and failed[0]["status"] == r.status, failed
    detail = failed[0]["detail"]
    assert detail, failed
    assert detail not in r.body.decode(errors="replace"), "the detail stays in the log"


def test_session_requests_log_a_principal_hash(sts_worker, idp):
    mark = sts_worker.log_size()
    subject = "alice"
    creds = creds_of(sts_success_xml(exchange(sts_worker.url, idp.token(subject))))
    r = signed_get(sts_worker.url, "/demo/restricted-data/secret.csv", creds)
    assert r.status == 200, r
    # A signed request's one line is its audit line, with the request line's fields too.
    assert logged(sts_worker, r, mark, "request", wait=0.5) == [], "no second line"
    lines = logged(sts_worker, r, mark, "audit")
    assert len(lines) == 1, lines
    line = lines[0]
    assert (line["method"], line["route"], line["status"]) == ("GET", "object", 200), line
    assert line["bytes"] == len(r.body), line
    assert line["principal"] == principal_hash(sts_worker.sts.issuer, subject), line
    assert principal_hash(sts_worker.sts.issuer, "bob") != line["principal"]
    assert line["access_key_id"] == creds.access_key_id, line
    assert creds.secret_access_key not in {str(v) for v in line.values()}, line

    # A `request` line names nobody: an anonymous read of the same Worker.
    r = raw(sts_worker.url, "GET", "/demo/public-data/cities.csv")
    assert r.status == 200, r
    line = request_line(sts_worker, r, mark)
    assert line["principal"] == "anonymous", line
    assert not {"subject", "issuer", "access_key_id", "role"} & line.keys(), line
