"""Key rotation with zero downtime.

Session key: credentials minted by the main Worker (SESSION_TOKEN_KEY=K1) keep working
on a Worker restarted with SESSION_TOKEN_KEY=K2 + SESSION_TOKEN_KEY_PREVIOUS=K1, and
stop working on one with K2 only. (The "restart" is another wrangler instance of the
same build and configuration but for the keys: conftest.extra_workers.)

IdP key: after the IdP rotates its signing key, a token with the new `kid` exchanges
(one JWKS refetch on an unknown kid), and tokens of the old key still do."""

from __future__ import annotations

import time

import pytest
import requests

from conftest import ROT_ROLE
from support.httpraw import raw, s3_error
from support.sts import (
    SessionCreds, assume, exchange, jwt_split, path_of, presign, session_s3, signed_get, sts_error, sts_success_xml,
)

pytestmark = pytest.mark.sts

OBJ = "/demo/restricted-data/secret.csv"
REFUSED = {(400, "InvalidToken"), (403, "InvalidAccessKeyId")}


def refused(resp) -> tuple[int, str]:
    return resp.status, s3_error(resp)["Code"]


def test_session_key_rotation(sts_worker, extra_workers, idp, secret_bytes):
    k2k1, k2 = extra_workers["k2k1"], extra_workers["k2"]
    assert len({sts_worker.session_key, k2k1.session_key}) == 2 and k2k1.session_key == k2.session_key
    old = assume(sts_worker.url, idp.token("alice"))  # sealed under K1

    # K2 active, K1 previous: the old session still reads (header-signed, boto3, presigned)
    r = signed_get(k2k1.url, OBJ, old)
    assert (r.status, r.body) == (200, secret_bytes), r
    assert session_s3(k2k1.url, old).get_object(Bucket="demo", Key="restricted-data/secret.csv")["Body"].read() \
        == secret_bytes
    r = raw(k2k1.url, "GET", path_of(presign(k2k1.url + OBJ, old, 60)))
    assert (r.status, r.body) == (200, secret_bytes), r

    # K2 only: the old session is refused
    assert refused(signed_get(k2.url, OBJ, old)) in REFUSED
    assert refused(raw(k2.url, "GET", path_of(presign(k2.url + OBJ, old, 60)))) in REFUSED

    # a session minted after the rotation (under K2) reads on both K2 Workers, not on K1 alone
    new = assume(k2k1.url, idp.token("alice"))
    for w in (k2k1, k2):
        r = signed_get(w.url, OBJ, new)
        assert (r.status, r.body) == (200, secret_bytes), (w.proc.name, r)
    assert refused(signed_get(sts_worker.url, OBJ, new)) in REFUSED

    # the main Worker (K1) still reads its own
    r = signed_get(sts_worker.url, OBJ, old)
    assert (r.status, r.body) == (200, secret_bytes), r


def test_rotation_workers_issue_credentials(extra_workers, idp):
    for name in ("k2k1", "k2"):
        f = sts_success_xml(exchange(extra_workers[name].url, idp.token("alice")))
        assert f["SubjectFromWebIdentityToken"] == "alice"


def stats(idp) -> dict:
    return requests.get(idp.url + "/stats", timeout=5).json()


def test_idp_key_rotation(sts_worker, rot_idp, secret_bytes):
    old_tok = rot_idp.token("alice")
    old_kid = jwt_split(old_tok)[0]["kid"]
    sts_success_xml(exchange(sts_worker.url, old_tok, ROT_ROLE))  # first use: discovery + JWKS fetched
    first_fetch = time.monotonic()
    fetched = stats(rot_idp)["jwks"]
    assert fetched == 1
    sts_success_xml(exchange(sts_worker.url, rot_idp.token("alice"), ROT_ROLE))
    assert stats(rot_idp)["jwks"] == fetched, "the JWKS is cached (1 h), not fetched per exchange"

    new_kid = rot_idp.rotate()["kid"]
    assert new_kid != old_kid
    new_tok = rot_idp.token("alice")
    assert jwt_split(new_tok)[0]["kid"] == new_kid
    r = exchange(sts_worker.url, new_tok, ROT_ROLE)
    # at once: the once-a-minute limit is for kid-triggered refetches, not the first fetch
    creds = sts_success_xml(r)["Credentials"]
    assert time.monotonic() - first_fetch < 60
    assert stats(rot_idp)["jwks"] == fetched + 1, "exactly one JWKS refetch for the unknown kid"

    # a second unknown kid within the minute: no second refetch (the IdP is not hammered)
    sts_error(exchange(sts_worker.url, rot_idp.token("alice", header={"kid": "rsa-999"}), ROT_ROLE),
              400, "InvalidIdentityToken")
    assert stats(rot_idp)["jwks"] == fetched + 1

    # tokens of the old key still verify (the JWKS serves both), from the cache
    after = stats(rot_idp)["jwks"]
    sts_success_xml(exchange(sts_worker.url, rot_idp.token("alice", kid=old_kid), ROT_ROLE))
    sts_success_xml(exchange(sts_worker.url, rot_idp.token("alice"), ROT_ROLE))
    assert stats(rot_idp)["jwks"] == after

    s = SessionCreds(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    r = signed_get(sts_worker.url, OBJ, s)
    assert (r.status, r.body) == (200, secret_bytes), r
