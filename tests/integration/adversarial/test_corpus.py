"""The adversarial corpus (corpus/*.jsonl, README.md here) through the real Worker in
workerd: one pass prepares every collected row in order (tokens, signatures), sends
them all in parallel, then each row is its own test: its expectation (S3's, AWS STS's,
OIDC's answer) plus the invariants every answer must hold (corpus_check.py)."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

import corpus_check as check
import corpus_rows
from conftest import GHA_AUDIENCE, GHA_REPO, GHA_ROLE, PREFIX_ROLE, ROT_ROLE
from support.wrangler import PANIC_MARKERS, runtime_noise
from corpus_run import Ctx, Prepared, prepare, send
from support.sts import assume

pytestmark = pytest.mark.sts

ROWS = corpus_rows.load()
PARALLEL = 8


def _marks(row: dict):
    # ODP_CORPUS_STRICT=1 runs pending rows as plain tests (to see which still fail).
    pending = row.get("pending")
    if pending and os.environ.get("ODP_CORPUS_STRICT") != "1":
        # {"reason", "strict": false}: a defect that shows only some of the time
        p = pending if isinstance(pending, dict) else {"reason": pending}
        return [pytest.mark.xfail(reason=p["reason"], strict=p.get("strict", True))]
    return []


@dataclass
class Answer:
    prep: Prepared
    resp: object = None  # httpraw.Resp, or the exception sending raised
    twin_prep: Prepared | None = None
    twin: object = None


@pytest.fixture(scope="module")
def ctx(sts_worker, idp, rot_idp, foreign_idp) -> Ctx:
    from cryptography.hazmat.primitives.asymmetric import rsa

    gha_claims = {"repository": GHA_REPO, "ref": "refs/heads/main", "environment": "prod"}
    creds = {
        "alice": assume(sts_worker.url, idp.token("alice")),
        "bob": assume(sts_worker.url, idp.token("bob")),
        # the grant (by repository) on restricted-beyond and vault/sealed, but a ceiling of demo/restricted-data
        "gha": assume(sts_worker.url, idp.token(f"repo:{GHA_REPO}:environment:prod", aud=GHA_AUDIENCE,
                                                claims=gha_claims), GHA_ROLE),
        # alice, but of another issuer: granted restricted-data only
        "rot": assume(sts_worker.url, rot_idp.token("alice"), ROT_ROLE),
        # ceiling demo/public-data/nested/*
        "prefix": assume(sts_worker.url, idp.token("carol"), PREFIX_ROLE),
    }
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return Ctx(sts_worker.url, creds, {"main": idp, "rot": rot_idp, "foreign": foreign_idp}, key,
               {"dead": sts_worker.sts.dead_issuer})


def _send(ctx: Ctx, p: Prepared):
    try:
        return send(ctx, p)
    except Exception as e:  # noqa: BLE001 - a dropped connection is an answer to report
        return e


@pytest.fixture(scope="module")
def answers(request, ctx, sts_worker, tmp_root) -> dict[str, Answer]:
    wanted = {item.callspec.params["row"]["id"] for item in request.session.items
              if item.originalname == "test_row" and hasattr(item, "callspec")}
    rows = [r for r in ROWS if r["id"] in wanted]
    t0 = time.monotonic()
    out: dict[str, Answer] = {}
    for row in rows:  # sequential: mints tokens, signs at the current time
        a = Answer(prepare(ctx, row))
        if row.get("same_as"):
            a.twin_prep = prepare(ctx, row, row["same_as"]["target"])
        out[row["id"]] = a
    prepared = time.monotonic()
    mark = sts_worker.log_size()
    jobs = [(a, "resp", a.prep) for a in out.values()] + [(a, "twin", a.twin_prep) for a in out.values()
                                                          if a.twin_prep]
    with ThreadPoolExecutor(PARALLEL) as pool:
        for (a, slot, _), resp in zip(jobs, pool.map(lambda j: _send(ctx, j[2]), jobs)):
            setattr(a, slot, resp)
    sent = time.monotonic()
    time.sleep(0.5)  # let wrangler flush the last log lines
    request.config.stash[_LOG] = sts_worker.log_since(mark)
    summary = {"rows": len(rows), "requests": len(jobs), "prepare_s": round(prepared - t0, 1),
               "send_s": round(sent - prepared, 1), "per_class": dict(Counter(r["class"] for r in rows))}
    (tmp_root / "logs" / "corpus-summary.json").write_text(json.dumps(summary, indent=1))
    print(f"\ncorpus: {summary}")
    return out


_LOG = pytest.StashKey[str]()


def _principal(row: dict, prep: Prepared) -> str:
    """Whose view the leak check takes: the signer's when its credentials are intact or
    the row expects success; anyone's (anonymous) when authentication should fail."""
    success = min(check._one_of(row["expect"]["status"])) < 400
    return row.get("as", "alice") if row.get("sign") and (prep.credentials_intact or success) else "anon"


def _describe(prep: Prepared, resp) -> str:
    req = prep.data[:600].decode("latin-1")
    return f"\n--- request ---\n{req}\n--- answer ---\n{resp!r}"


@pytest.mark.parametrize("row", [pytest.param(r, id=f"{r['class']}:{r['id']}", marks=_marks(r)) for r in ROWS])
def test_row(row, answers, ctx, sample):
    a = answers[row["id"]]
    if isinstance(a.resp, Exception):
        pytest.fail(f"{row['where']}: no answer: {a.resp!r}{_describe(a.prep, a.resp)}")
    allowed_5xx = {s for s in check._one_of(row["expect"]["status"]) if s >= 500}
    problems = check.invariants(row, a.prep.sent, _principal(row, a.prep), a.resp, allowed_5xx)
    problems += check.expectations(row, a.resp, sample.files)
    if a.twin_prep is not None:
        if isinstance(a.twin, Exception):
            problems.append(f"the missing twin got no answer: {a.twin!r}")
        else:
            problems += [f"twin: {p}" for p in check.invariants(row, a.twin_prep.sent, _principal(row, a.twin_prep),
                                                               a.twin, allowed_5xx)]
            problems += [f"twin: {p}" for p in check.expectations(row, a.twin, sample.files)]
            problems += check.same_answer(a.resp, a.twin, tuple(row["same_as"]["swap"]))
    assert not problems, f"{row['where']} {row['id']}: {row['why']}\n" + "\n".join(
        f"- {p}" for p in problems) + _describe(a.prep, a.resp)


def test_workerd_log_free_of_panics(answers, request):
    """The `no_panic` check, over the whole corpus pass (rows run in parallel, so a line
    cannot be pinned on one row: the log excerpt names the request ids around it)."""
    log = request.config.stash[_LOG]
    hits = [ln for ln in log.splitlines() if any(m in ln for m in PANIC_MARKERS) and not runtime_noise(ln)]
    assert not hits, "workerd logged panics/uncaught errors during the corpus:\n" + "\n".join(hits[:20])


def test_corpus_size_and_classes():
    per_class = Counter(r["class"] for r in ROWS)
    assert len(ROWS) >= 300, per_class
    assert set(per_class) >= {"paths", "existence", "sigv4", "sts", "listing", "headers", "cors", "oversized",
                              "methods"}, per_class


def test_signer_matches_botocore(ctx):
    """corpus_sign computes what botocore computes, header and presigned, so a row that
    changes one field changes only that field."""
    import datetime as dt
    from unittest import mock

    import botocore.auth
    from botocore.awsrequest import AWSRequest

    import corpus_sign as sig4

    c = ctx.creds["alice"]
    when = dt.datetime(2026, 5, 4, 3, 2, 1, tzinfo=dt.timezone.utc)
    target = "/demo/public-data/odd/amp%26hash%23q%3F.txt?list-type=2&prefix=a%2Fb&x-id=GetObject"
    url = ctx.url + target
    with mock.patch("botocore.auth.get_current_datetime", lambda remove_tzinfo=True: when.replace(tzinfo=None)):
        req = AWSRequest(method="GET", url=url, headers={"Range": "bytes=0-3"})
        botocore.auth.S3SigV4Auth(c.botocore(), "s3", "eu-west-1").add_auth(req)
        q = AWSRequest(method="GET", url=url)
        botocore.auth.S3SigV4QueryAuth(c.botocore(), "s3", "eu-west-1", expires=300).add_auth(q)
    mine = sig4.sign_header("GET", target, ctx.host, c.access_key_id, c.secret_access_key, c.session_token, when,
                            sig4.Scope("20260504", "eu-west-1"), {"range": "bytes=0-3"})
    assert mine.headers["authorization"] == req.headers["Authorization"]
    pre = sig4.presign("GET", target, ctx.host, c.access_key_id, c.secret_access_key, c.session_token, when, "300",
                       sig4.Scope("20260504", "eu-west-1"))
    theirs = q.url.split("X-Amz-Signature=")[1]
    assert pre.target.split("X-Amz-Signature=")[1] == theirs


def test_checks_can_fail():
    """The invariants and the comparison catch what they claim to (synthetic answers)."""
    import http.client
    import io

    from support.httpraw import Resp

    def resp(status, body=b"", method="GET", **headers):
        msg = http.client.parse_headers(io.BytesIO(
            "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n"))
        return Resp(status, msg, body, method, "/x")

    row = {"id": "t", "expect": {"status": 404}, "target": "/demo/x"}
    err = b'<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>m</Message><RequestId>R1</RequestId></Error>'
    xml = "application/xml"
    good = resp(404, err, x_amz_request_id="R1", content_type=xml)
    assert check.invariants(row, "GET /demo/x", "anon", good, set()) == []
    bad = {
        "5xx": resp(502, err.replace(b"NoSuchKey", b"InternalError"), x_amz_request_id="R1", content_type=xml),
        "request id": resp(404, err.replace(b"R1", b""), content_type=xml),
        "leak": resp(404, err + b"only-for-granted-principals", x_amz_request_id="R1", content_type=xml),
        # base64url of "1krestricted-data/secret.csv": a next-page token naming a hidden key
        "token leak": resp(200, b"<NextContinuationToken>MWtyZXN0cmljdGVkLWRhdGEvc2VjcmV0LmNzdg</NextContinuationToken>",
                           x_amz_request_id="R1"),
        "stack": resp(404, err + b"panicked at src/x.rs:1", x_amz_request_id="R1", content_type=xml),
        "shape": resp(404, b"not xml", x_amz_request_id="R1", content_type=xml),
        "head body": resp(404, b"x", "HEAD", x_amz_request_id="R1"),
        "injected": resp(404, err, x_amz_request_id="R1", content_type=xml, x_injected="1"),
    }
    for what, r in bad.items():
        assert check.invariants(row, "GET /demo/x", "anon", r, set()), what
    twin = resp(404, err.replace(b"NoSuchKey", b"NoSuchBucket"), x_amz_request_id="R2", content_type=xml)
    assert check.same_answer(good, twin, ("a", "b"))
    same = resp(404, err.replace(b"R1", b"R2"), x_amz_request_id="R2", content_type=xml)
    assert check.same_answer(good, same, ("a", "b")) == []
