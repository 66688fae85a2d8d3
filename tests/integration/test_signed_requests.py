"""Signed S3 requests with session credentials, raw: header and presigned
SigV4 as botocore computes it, then the same request wrong in exactly one way.
Plus the CORS preflights a browser sends before a signed fetch or an exchange."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from support.httpraw import raw, s3_error
from support.sts import assume, clock, flip_char, path_of, presign, sign_headers, signed_get, sts_error

pytestmark = pytest.mark.sts

OBJ = "/demo/restricted-data/secret.csv"


@pytest.fixture(scope="module")
def alice(sts_worker, idp):
    return assume(sts_worker.url, idp.token("alice"))


@pytest.fixture(scope="module")
def bob(sts_worker, idp):
    return assume(sts_worker.url, idp.token("bob"))


def err(resp, status: int, code: str) -> dict:
    assert resp.status == status, resp
    f = s3_error(resp)
    assert f["Code"] == code, resp
    return f


# --------------------------------------------------------------------------- what works


def test_header_signed_get(sts_worker, alice, secret_bytes):
    r = signed_get(sts_worker.url, OBJ, alice)
    assert (r.status, r.body) == (200, secret_bytes), r


def test_header_signed_head_and_range(sts_worker, alice, secret_bytes):
    r = signed_get(sts_worker.url, OBJ, alice, method="HEAD")
    assert r.status == 200 and int(r.h("content-length")) == len(secret_bytes), r
    r = signed_get(sts_worker.url, OBJ, alice, headers={"Range": "bytes=2-5"})
    assert (r.status, r.body) == (206, secret_bytes[2:6]), r


@pytest.mark.parametrize("accept_encoding", ["gzip", "identity"])
def test_signed_accept_encoding(sts_worker, alice, secret_bytes, accept_encoding):
    """aws-sdk-go (rclone) sends `Accept-Encoding: gzip` on GET and signs it. The Workers
    runtime rewrites that header before the Worker sees it, so a verifier that uses the
    value as received computes another canonical request."""
    h = sign_headers(sts_worker.url + OBJ, alice, headers={"Accept-Encoding": accept_encoding})
    assert "accept-encoding" in h["Authorization"].split("SignedHeaders=")[1].split(",")[0]
    r = raw(sts_worker.url, "GET", OBJ, h)
    assert r.status == 200, r
    body = r.body
    if (r.h("content-encoding") or "").lower() == "gzip":
        import gzip

        body = gzip.decompress(body)
    assert body == secret_bytes, r


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1", "auto"])
def test_any_region_accepted(sts_worker, alice, secret_bytes, region):
    r = signed_get(sts_worker.url, OBJ, alice, region=region)
    assert (r.status, r.body) == (200, secret_bytes), r


def test_presigned_get(sts_worker, alice, secret_bytes):
    url = presign(sts_worker.url + OBJ, alice, 120)
    r = raw(sts_worker.url, "GET", path_of(url))
    assert (r.status, r.body) == (200, secret_bytes), r


def test_signed_odd_key(sts_worker, alice, sample):
    """The canonical path is the path as sent (S3 does not double-encode)."""
    key = "odd/amp&hash#q?.txt"
    from support.httpraw import qkey

    path = "/demo/public-data/" + qkey(key)
    r = signed_get(sts_worker.url, path, alice)
    assert (r.status, r.body) == (200, sample.public[key]), r


def test_signed_query_parameters(sts_worker, alice):
    r = signed_get(sts_worker.url, "/demo?list-type=2&prefix=restricted-data%2F&encoding-type=url", alice)
    assert r.status == 200 and b"<Key>restricted-data/secret.csv</Key>" in r.body, r


def test_signed_root_lists_buckets(sts_worker, alice):
    r = signed_get(sts_worker.url, "/", alice)
    assert r.status == 200 and b"ListAllMyBucketsResult" in r.body and b"<Name>demo</Name>" in r.body, r


def test_bob_signed_is_not_found(sts_worker, bob):
    err(signed_get(sts_worker.url, OBJ, bob), 404, "NoSuchBucket")


# --------------------------------------------------------------------------- SigV4 errors


def test_wrong_secret(sts_worker, alice):
    r = signed_get(sts_worker.url, OBJ, alice, secret="x" * 40)
    err(r, 403, "SignatureDoesNotMatch")
    body = r.body.decode(errors="replace")
    assert alice.secret_access_key not in body and "x" * 40 not in body, r  # nothing echoed


def test_tampered_path(sts_worker, alice):
    h = sign_headers(sts_worker.url + OBJ, alice)
    err(raw(sts_worker.url, "GET", "/demo/restricted-data/other.csv", h), 403, "SignatureDoesNotMatch")
    # a public object with a signature for the restricted one: refused, not served anonymously
    err(raw(sts_worker.url, "GET", "/demo/public-data/cities.csv", h), 403, "SignatureDoesNotMatch")


def test_tampered_query(sts_worker, alice):
    h = sign_headers(sts_worker.url + OBJ, alice)
    err(raw(sts_worker.url, "GET", OBJ + "?response-content-type=text/html", h), 403, "SignatureDoesNotMatch")
    h = sign_headers(sts_worker.url + OBJ + "?response-content-type=text/plain", alice)
    err(raw(sts_worker.url, "GET", OBJ + "?response-content-type=text/html", h), 403, "SignatureDoesNotMatch")


def test_tampered_signed_header(sts_worker, alice):
    h = sign_headers(sts_worker.url + OBJ, alice, headers={"Range": "bytes=0-3"})
    assert "range" in h["Authorization"].split("SignedHeaders=")[1].split(",")[0]
    h["Range"] = "bytes=0-100"
    err(raw(sts_worker.url, "GET", OBJ, h), 403, "SignatureDoesNotMatch")


def test_tampered_amz_date(sts_worker, alice):
    h = sign_headers(sts_worker.url + OBJ, alice)
    d = h["X-Amz-Date"]
    h["X-Amz-Date"] = d[:-3] + ("00Z" if d[-3:] != "00Z" else "01Z")
    err(raw(sts_worker.url, "GET", OBJ, h), 403, "SignatureDoesNotMatch")


def test_tampered_presigned_url(sts_worker, alice):
    url = presign(sts_worker.url + OBJ, alice, 120)
    u = urlsplit(url)
    q = dict(parse_qsl(u.query, keep_blank_values=True))
    err(raw(sts_worker.url, "GET", "/demo/restricted-data/other.csv?" + u.query), 403, "SignatureDoesNotMatch")
    longer = urlencode({**q, "X-Amz-Expires": "600"})
    err(raw(sts_worker.url, "GET", u.path + "?" + longer), 403, "SignatureDoesNotMatch")
    extra = u.query + "&response-content-type=text%2Fhtml"
    err(raw(sts_worker.url, "GET", u.path + "?" + extra), 403, "SignatureDoesNotMatch")


@pytest.mark.parametrize("offset", [20 * 60, -20 * 60])
def test_skewed_clock(sts_worker, alice, offset):
    with clock(offset):
        h = sign_headers(sts_worker.url + OBJ, alice)
    err(raw(sts_worker.url, "GET", OBJ, h), 403, "RequestTimeTooSkewed")


def test_small_skew_accepted(sts_worker, alice, secret_bytes):
    with clock(-5 * 60):
        h = sign_headers(sts_worker.url + OBJ, alice)
    r = raw(sts_worker.url, "GET", OBJ, h)
    assert (r.status, r.body) == (200, secret_bytes), r


def test_unknown_access_key_without_token(sts_worker):
    h = sign_headers(sts_worker.url + OBJ, None, access_key_id="AKIAIOSFODNN7EXAMPLE",
                     secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", token=None)
    err(raw(sts_worker.url, "GET", OBJ, h), 403, "InvalidAccessKeyId")


def test_bit_flipped_session_token(sts_worker, alice):
    h = sign_headers(sts_worker.url + OBJ, alice, token=flip_char(alice.session_token))
    err(raw(sts_worker.url, "GET", OBJ, h), 400, "InvalidToken")


def test_truncated_and_garbage_session_token(sts_worker, alice):
    for tok in (alice.session_token[:-8], "not-a-token", "A" * 5000):
        h = sign_headers(sts_worker.url + OBJ, alice, token=tok)
        err(raw(sts_worker.url, "GET", OBJ, h), 400, "InvalidToken")


def test_token_of_another_session(sts_worker, alice, bob):
    """Alice's key id with bob's token (and bob's secret): the key id is bound to the token."""
    h = sign_headers(sts_worker.url + OBJ, bob, access_key_id=alice.access_key_id)
    r = raw(sts_worker.url, "GET", OBJ, h)
    assert (r.status, s3_error(r)["Code"]) in {(400, "InvalidToken"), (403, "InvalidAccessKeyId")}, r


def test_bit_flipped_presigned_token(sts_worker, alice):
    url = presign(sts_worker.url + OBJ, alice, 120)
    u = urlsplit(url)
    q = dict(parse_qsl(u.query, keep_blank_values=True))
    q["X-Amz-Security-Token"] = flip_char(q["X-Amz-Security-Token"])
    err(raw(sts_worker.url, "GET", u.path + "?" + urlencode(q)), 400, "InvalidToken")


def test_malformed_authorization_header(sts_worker, alice):
    h = sign_headers(sts_worker.url + OBJ, alice)
    for bad in ("AWS4-HMAC-SHA256 Credential=onlythis", "AWS4-HMAC-SHA256 garbage",
                h["Authorization"].replace("/s3/aws4_request", "/s3")):
        err(raw(sts_worker.url, "GET", OBJ, {**h, "Authorization": bad}), 400, "AuthorizationHeaderMalformed")


def test_credential_scope_date_must_match(sts_worker, alice):
    h = sign_headers(sts_worker.url + OBJ, alice)
    date8 = h["X-Amz-Date"][:8]
    other = "20000101" if date8 != "20000101" else "20000102"
    h["Authorization"] = h["Authorization"].replace(f"/{date8}/", f"/{other}/")
    r = raw(sts_worker.url, "GET", OBJ, h)
    assert r.status in (400, 403), r
    assert s3_error(r)["Code"] in ("AuthorizationHeaderMalformed", "SignatureDoesNotMatch"), r


def test_presigned_expired(sts_worker, alice):
    """Session expiry itself (400 ExpiredToken) cannot be waited for here (a session lives
    >= 900 s); it is unit-tested (src/session). The presigned URL's own expiry is checked here."""
    url = presign(sts_worker.url + OBJ, alice, 1)
    time.sleep(2.2)
    f = err(raw(sts_worker.url, "GET", path_of(url)), 403, "AccessDenied")
    assert "expired" in f["Message"].lower(), f


def test_presigned_expires_over_seven_days(sts_worker, alice):
    url = presign(sts_worker.url + OBJ, alice, 604801)
    r = raw(sts_worker.url, "GET", path_of(url))
    assert r.status in (400, 403), r
    assert s3_error(r)["Code"] in ("AuthorizationQueryParametersError", "AccessDenied"), r


def test_write_with_credentials_is_still_405(sts_worker, alice):
    h = sign_headers(sts_worker.url + OBJ, alice, method="PUT")
    r = raw(sts_worker.url, "PUT", OBJ, h, b"")
    assert r.status == 405 and r.h("allow") == "GET, HEAD, OPTIONS", r


# --------------------------------------------------------------------------- CORS preflights

ORIGIN = "http://127.0.0.1:1"  # another origin than the Worker's


def test_preflight_for_signed_get(sts_worker):
    asked = "authorization,x-amz-content-sha256,x-amz-date,x-amz-security-token,range"
    r = raw(sts_worker.url, "OPTIONS", OBJ, {"Origin": ORIGIN, "Access-Control-Request-Method": "GET",
                                             "Access-Control-Request-Headers": asked})
    assert r.status in (200, 204), r
    assert r.h("access-control-allow-origin") in ("*", ORIGIN), r
    allowed = {h.strip().lower() for h in (r.h("access-control-allow-headers") or "").split(",")}
    assert set(asked.split(",")) <= allowed, r  # echoed: a wildcard would not cover Authorization
    methods = {m.strip() for m in (r.h("access-control-allow-methods") or "").split(",")}
    assert "GET" in methods and "POST" not in methods, r
    assert r.h("access-control-max-age"), r


def test_preflight_for_sts_post(sts_worker):
    r = raw(sts_worker.url, "OPTIONS", "/.sts", {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "content-type"})
    assert r.status in (200, 204), r
    assert "content-type" in (r.h("access-control-allow-headers") or "").lower(), r
    # A preflight allows exactly what the endpoint serves: its 405 says the same.
    allowed = {m.strip() for m in (r.h("access-control-allow-methods") or "").split(",")}
    refused = raw(sts_worker.url, "PUT", "/.sts")
    assert refused.status == 405, refused
    assert allowed == {m.strip() for m in refused.h("allow").split(",")} == {"GET", "POST", "OPTIONS"}, (r, refused)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD"])
def test_preflight_refuses_what_sts_refuses(sts_worker, method):
    r = raw(sts_worker.url, "OPTIONS", "/.sts/", {"Origin": ORIGIN, "Access-Control-Request-Method": method})
    assert r.status == 403 and r.h("access-control-allow-methods") is None, r
    sts_error(r, 403, "AccessDenied")


def test_cors_headers_on_signed_and_sts_answers(sts_worker, idp, alice):
    h = sign_headers(sts_worker.url + OBJ, alice)
    r = raw(sts_worker.url, "GET", OBJ, {**h, "Origin": ORIGIN})
    assert r.status == 200 and r.h("access-control-allow-origin") in ("*", ORIGIN), r
    expose = (r.h("access-control-expose-headers") or "").lower()
    assert "etag" in expose and "x-amz-request-id" in expose, r
    from support.sts import exchange

    r = exchange(sts_worker.url, idp.token("alice"), headers={"Origin": ORIGIN}, accept="application/json")
    assert r.status == 200 and r.h("access-control-allow-origin") in ("*", ORIGIN), r
    r = exchange(sts_worker.url, "abc", headers={"Origin": ORIGIN})
    assert r.status == 400 and r.h("access-control-allow-origin") in ("*", ORIGIN), r
