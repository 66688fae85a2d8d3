"""HTTP-level behaviour, with raw requests."""

from __future__ import annotations

import email.utils
import json
import time
from urllib.parse import quote, unquote_plus

import pytest

from support.sample import MOTO_BUCKET
from support.httpraw import list_keys, parse_xml, qkey, raw, s3_error, strip_ns, text
from support.sample import ODD_KEYS

OBJ = "/demo/public-data/cities.csv"
ALLOW = "GET, HEAD, OPTIONS"
STORES = [("demo", "public-data"), ("mirror", "signed")]  # R2 and moto


def http_date(offset_s: float) -> str:
    return email.utils.formatdate(time.time() + offset_s, usegmt=True)


@pytest.fixture(scope="module")
def etag(worker):
    r = raw(worker.url, "HEAD", OBJ)
    assert r.status == 200, r
    assert r.h("etag"), r
    return r.h("etag")


# --------------------------------------------------------------------------- service doc, account


def test_service_document(worker):
    r = raw(worker.url, "GET", "/")
    assert r.status == 200, r
    assert (r.h("content-type") or "").startswith("application/json"), r
    doc = json.loads(r.body)
    assert doc["name"] == "oidc-data-proxy"
    assert isinstance(doc.get("version"), str) and doc["version"]
    assert doc["catalog"] == "static"
    assert r.h("x-amz-request-id")


def test_head_account(worker):
    assert raw(worker.url, "HEAD", "/demo").status == 200
    r = raw(worker.url, "HEAD", "/no-such-account")
    assert r.status == 404 and r.body == b"", r


def test_location(worker):
    r = raw(worker.url, "GET", "/demo?location")
    assert r.status == 200, r
    root = parse_xml(r.body)
    assert strip_ns(root.tag) == "LocationConstraint", r
    assert (root.text or "") in ("", "us-east-1")


def test_head_product_path_is_head_object(worker):
    """HEAD /{account}/{product} is HeadObject of key `{product}` for S3 clients: 404.
    rclone HEADs its root path first; a 200 here makes it treat the product as a file."""
    for path in ("/demo/public-data", "/mirror/signed"):
        r = raw(worker.url, "HEAD", path)
        assert r.status == 404, r
        assert r.body == b""


def test_r2_metadata_passed_through(worker, sample):
    meta = sample.meta["demo/public-data/cities.csv"]
    r = raw(worker.url, "GET", OBJ, {"Origin": "https://app.example.org"})
    assert r.status == 200, r
    assert r.h("content-type") == meta["content_type"], r
    # Stored Cache-Control, plus no-transform so that no edge re-encodes the object.
    assert r.h("cache-control") == meta["cache_control"] + ", no-transform", r
    for k, v in meta["custom_metadata"].items():
        assert r.h(f"x-amz-meta-{k}") == v, r
    exposed = {h.strip().lower() for h in (r.h("access-control-expose-headers") or "").split(",")}
    assert {f"x-amz-meta-{k}" for k in meta["custom_metadata"]} <= exposed, r
    h = raw(worker.url, "HEAD", OBJ)
    assert h.h("x-amz-meta-source") == meta["custom_metadata"]["source"], h
    assert h.h("etag") == r.h("etag") and h.h("last-modified") == r.h("last-modified"), (h, r)


# --------------------------------------------------------------------------- 405


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", [OBJ, "/demo/public-data", "/demo/public-data/", "/demo", "/demo/"])
def test_write_methods_not_allowed(worker, method, path):
    r = raw(worker.url, method, path, body=b"x" if method in ("PUT", "PATCH") else None)
    assert r.status == 405, r
    assert r.h("allow") == ALLOW, r
    assert r.h("x-amz-request-id"), r
    assert s3_error(r)["Code"] == "MethodNotAllowed"


def test_write_to_missing_or_restricted_is_405_too(worker):
    for path in ("/demo/restricted-data/secret.csv", "/nope/nope/nope"):
        r = raw(worker.url, "DELETE", path)
        assert r.status == 405 and r.h("allow") == ALLOW, r


# --------------------------------------------------------------------------- ranges


def test_unsatisfiable_range_416(worker, sample):
    size = len(sample.public["cities.csv"])
    for rng in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}"):
        r = raw(worker.url, "GET", OBJ, {"Range": rng})
        assert r.status == 416, r
        assert r.h("content-range") == f"bytes */{size}", r
        assert r.h("x-amz-request-id")
        assert s3_error(r)["Code"] == "InvalidRange"


def test_range_headers(worker, sample):
    data = sample.public["cities.csv"]
    r = raw(worker.url, "GET", OBJ, {"Range": "bytes=2-6"})
    assert r.status == 206, r
    assert r.body == data[2:7]
    assert r.h("content-range") == f"bytes 2-6/{len(data)}"
    assert r.h("content-length") == "5"
    assert r.h("accept-ranges") == "bytes"
    full = raw(worker.url, "GET", OBJ)
    assert full.status == 200 and full.body == data
    assert full.h("content-length") == str(len(data))


# --------------------------------------------------------------------------- conditionals


def test_if_none_match_304(worker, etag):
    r = raw(worker.url, "GET", OBJ, {"If-None-Match": etag})
    assert r.status == 304, r
    assert r.body == b""
    assert r.h("etag") == etag
    assert r.h("x-amz-request-id")
    r = raw(worker.url, "GET", OBJ, {"If-None-Match": '"0123456789abcdef0123456789abcdef"'})
    assert r.status == 200, r


def test_if_modified_since(worker):
    r = raw(worker.url, "GET", OBJ, {"If-Modified-Since": http_date(365 * 86400)})
    assert r.status == 304, r
    assert r.h("x-amz-request-id")
    r = raw(worker.url, "GET", OBJ, {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
    assert r.status == 200, r


def test_if_match_412(worker, etag, sample):
    r = raw(worker.url, "GET", OBJ, {"If-Match": '"0123456789abcdef0123456789abcdef"'})
    assert r.status == 412, r
    assert r.h("x-amz-request-id")
    assert s3_error(r)["Code"] == "PreconditionFailed"
    r = raw(worker.url, "GET", OBJ, {"If-Match": etag})
    assert r.status == 200 and r.body == sample.public["cities.csv"], r


def test_if_unmodified_since(worker):
    r = raw(worker.url, "GET", OBJ, {"If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
    assert r.status == 412, r
    assert s3_error(r)["Code"] == "PreconditionFailed"
    r = raw(worker.url, "GET", OBJ, {"If-Unmodified-Since": http_date(365 * 86400)})
    assert r.status == 200, r


def test_s3_conditional_precedence(worker, etag):
    # S3: If-Match true + If-Unmodified-Since false -> 200
    r = raw(worker.url, "GET", OBJ, {"If-Match": etag, "If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
    assert r.status == 200, r
    # S3: If-None-Match false + If-Modified-Since true -> 304
    r = raw(worker.url, "GET", OBJ, {"If-None-Match": etag, "If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
    assert r.status == 304, r


def test_head_conditionals(worker, etag):
    r = raw(worker.url, "HEAD", OBJ, {"If-None-Match": etag})
    assert r.status == 304 and r.body == b"", r
    r = raw(worker.url, "HEAD", OBJ, {"If-Match": '"nope"'})
    assert r.status == 412 and r.body == b"", r


@pytest.mark.parametrize("acct,prod", STORES)
def test_conditionals_on_both_backends(worker, acct, prod):
    path = f"/{acct}/{prod}/cities.csv"
    et = raw(worker.url, "HEAD", path).h("etag")
    assert et
    assert raw(worker.url, "GET", path, {"If-None-Match": et}).status == 304
    assert raw(worker.url, "GET", path, {"If-Match": '"x"'}).status == 412


# --------------------------------------------------------------------------- response-* overrides


# Like S3, only signed requests (header or presigned) may override response headers: an
# anonymous override would let anyone serve a public object as, say, text/html from the
# proxy's origin. (Anonymous overrides were honoured before; S3 answers 400 InvalidRequest.)
ANON_OVERRIDE = "Request specific response headers cannot be used for anonymous GET requests."


@pytest.mark.parametrize("acct,prod", STORES)
def test_anonymous_response_header_overrides_are_refused(worker, acct, prod):
    path = f"/{acct}/{prod}/cities.csv"
    for q in ("response-content-type=text%2Fhtml", "response-content-disposition=attachment",
              "response-cache-control=public&response-expires=0"):
        r = raw(worker.url, "GET", f"{path}?{q}")
        assert r.status == 400, r
        assert (s3_error(r)["Code"], s3_error(r)["Message"]) == ("InvalidRequest", ANON_OVERRIDE), r
        assert raw(worker.url, "HEAD", f"{path}?{q}").status == 400
    assert raw(worker.url, "GET", path + "?response-x-unknown=1").status == 200


@pytest.mark.sts
@pytest.mark.parametrize("acct,prod", STORES)
def test_signed_response_header_overrides(sts_worker, idp, sample, acct, prod):
    from support.sts import assume, path_of, presign, signed_get

    alice = assume(sts_worker.url, idp.token("alice"))
    disp = 'attachment; filename="x y.csv"'
    path = (f"/{acct}/{prod}/cities.csv?response-content-type=" + quote("text/x-itest", safe="")
            + "&response-content-disposition=" + quote(disp, safe=""))
    for r in (signed_get(sts_worker.url, path, alice),
              raw(sts_worker.url, "GET", path_of(presign(sts_worker.url + path, alice)))):
        assert r.status == 200, r
        assert (r.h("content-type"), r.h("content-disposition")) == ("text/x-itest", disp), r
        assert r.body == sample.public["cities.csv"]


# --------------------------------------------------------------------------- CORS


def test_cors_preflight(worker):
    req_headers = "authorization,range,x-amz-date,x-amz-content-sha256,x-amz-security-token"
    for path in (OBJ, "/demo", "/"):
        r = raw(worker.url, "OPTIONS", path, {
            "Origin": "https://app.example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": req_headers,
        })
        assert r.status == 204, r
        methods = {m.strip().upper() for m in (r.h("access-control-allow-methods") or "").split(",") if m.strip()}
        if path == "/":  # `POST /` with Action=AssumeRoleWithWebIdentity is an STS route
            assert methods in ({"GET", "HEAD", "OPTIONS"}, {"GET", "HEAD", "OPTIONS", "POST"}), r
        else:
            assert methods == {"GET", "HEAD", "OPTIONS"}, r
        allowed = {h.strip().lower() for h in (r.h("access-control-allow-headers") or "").split(",")}
        # echoed: a '*' would not cover Authorization in browsers
        assert set(req_headers.split(",")) <= allowed, r
        assert r.h("access-control-allow-origin") in ("*", "https://app.example.org"), r
        assert int(r.h("access-control-max-age") or "0") > 0, r
        assert r.h("x-amz-request-id"), r


def test_cors_preflight_sts_allows_post(worker):
    r = raw(worker.url, "OPTIONS", "/.sts", {"Origin": "https://app.example.org",
                                             "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "content-type"})
    assert r.status == 204, r
    methods = {m.strip().upper() for m in (r.h("access-control-allow-methods") or "").split(",")}
    # What the STS serves, as its 405 `Allow` says (test_sts_errors.py): no HEAD.
    assert methods == {"GET", "POST", "OPTIONS"}, r


@pytest.mark.parametrize("path", [OBJ, "/mirror/extras/meta.txt"])
def test_cors_on_get(worker, path):
    r = raw(worker.url, "GET", path, {"Origin": "https://app.example.org"})
    assert r.status == 200, r
    acao = r.h("access-control-allow-origin")
    assert acao in ("*", "https://app.example.org"), r
    if acao != "*":
        assert "origin" in (r.h("vary") or "").lower()
    exposed = {h.strip().lower() for h in (r.h("access-control-expose-headers") or "").split(",")}
    need = {"etag", "content-length", "content-range", "content-type", "last-modified", "accept-ranges",
            "x-amz-request-id"}
    assert need <= exposed, (need - exposed, r)
    if "extras/meta.txt" in path:
        assert {"x-amz-meta-color", "x-amz-meta-owner"} <= exposed, r


def test_cors_on_error(worker):
    r = raw(worker.url, "GET", "/demo/public-data/nope.txt", {"Origin": "https://app.example.org"})
    assert r.status == 404, r
    assert r.h("access-control-allow-origin") in ("*", "https://app.example.org"), r


# --------------------------------------------------------------------------- request ids, errors


REQUEST_ID_CASES = [
    ("GET", "/", {}),
    ("GET", OBJ, {}),
    ("HEAD", OBJ, {}),
    ("GET", "/demo?list-type=2&delimiter=/", {}),
    ("GET", "/demo/public-data/nope.txt", {}),
    ("HEAD", "/demo/public-data/nope.txt", {}),
    ("GET", "/demo/restricted-data/secret.csv", {}),
    ("PUT", OBJ, {}),
    ("DELETE", "/demo", {}),
    ("GET", OBJ, {"Range": "bytes=999999-"}),
    ("GET", OBJ, {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}),
    ("GET", OBJ, {"If-Match": '"nope"'}),
    ("OPTIONS", OBJ, {"Origin": "https://x.example", "Access-Control-Request-Method": "GET"}),
    ("GET", "/.sts", {}),
    ("GET", "/.well-known/jwks.json", {}),
    ("GET", "/mirror/signed/cities.csv", {}),
    ("GET", "/mirror/wrongkey/cities.csv", {}),
]


def test_request_id_on_every_response(worker):
    ids = []
    for method, path, hdrs in REQUEST_ID_CASES:
        r = raw(worker.url, method, path, hdrs)
        rid = r.h("x-amz-request-id")
        assert rid and rid.strip(), r
        ids.append(rid)
    assert len(set(ids)) == len(ids), "request ids repeat: " + repr(ids)


@pytest.mark.parametrize("path,status", [
    ("/demo/public-data/nope.txt", 404),
    ("/demo/restricted-data/secret.csv", 404),
    ("/demo/no-such-product/x", 404),
    ("/no-such-account/p/x", 404),
    ("/mirror/signed/nope.txt", 404),
    ("/mirror/wrongkey/cities.csv", None),
])
def test_head_errors_have_no_body(worker, path, status):
    g = raw(worker.url, "GET", path)
    h = raw(worker.url, "HEAD", path)
    assert h.status == g.status, (g, h)
    if status is not None:
        assert h.status == status, h
    assert h.status >= 400
    assert h.body == b"", h
    assert h.h("x-amz-request-id"), h
    s3_error(g)  # while the GET carries the XML error


def test_error_document_fields(worker):
    r = raw(worker.url, "GET", "/demo/public-data/does-not-exist.txt")
    assert r.status == 404, r
    f = s3_error(r)
    assert f["Code"] == "NoSuchKey"
    assert "Resource" in f, r
    r = raw(worker.url, "GET", "/demo/restricted-data/secret.csv")
    f = s3_error(r)
    assert (r.status, f["Code"]) == (404, "NoSuchBucket")


def test_restricted_equals_missing_everywhere(worker):
    def answer(method, path):
        r = raw(worker.url, method, path)
        code = s3_error(r)["Code"] if method == "GET" else None
        return r.status, code

    for method in ("GET", "HEAD"):
        for suffix in ("/secret.csv", "/nope.csv", "?list-type=2", "/?list-type=2", "?prefix=x"):
            a = answer(method, "/demo/restricted-data" + suffix)
            b = answer(method, "/demo/never-existed" + suffix)
            assert a == b, (method, suffix, a, b)
            assert a[0] == 404 and a[1] in (None, "NoSuchBucket"), (method, suffix, a)


# --------------------------------------------------------------------------- backend headers


def test_backend_internal_headers_dropped(worker, moto):
    direct = moto.client().get_object(Bucket=MOTO_BUCKET, Key="extras/sse.txt")["ResponseMetadata"]["HTTPHeaders"]
    assert direct.get("x-amz-server-side-encryption") == "AES256"  # moto does send them
    r = raw(worker.url, "GET", "/mirror/extras/sse.txt")
    assert r.status == 200, r
    for name in ("x-amz-id-2", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
                 "x-amzn-requestid", "x-amz-content-sha256", "x-amz-sdk-checksum-algorithm", "set-cookie"):
        assert r.h(name) is None, (name, r)
    assert "werkzeug" not in (r.h("server") or "").lower(), r
    assert r.h("x-amz-request-id") not in (direct.get("x-amzn-requestid"), direct.get("x-amz-request-id"))
    assert len(r.headers.get_all("x-amz-request-id")) == 1, r


# --------------------------------------------------------------------------- odd keys


@pytest.mark.parametrize("acct,prod", STORES)
def test_odd_keys_get_head(worker, sample, acct, prod):
    for k in ODD_KEYS:
        path = f"/{acct}/{prod}/{qkey(k)}"
        g = raw(worker.url, "GET", path)
        assert g.status == 200 and g.body == sample.public[k], g
        h = raw(worker.url, "HEAD", path)
        assert h.status == 200 and h.h("content-length") == str(len(sample.public[k])), h


@pytest.mark.parametrize("acct,prod", STORES)
def test_odd_keys_alternative_encodings(worker, sample, acct, prod):
    base = f"/{acct}/{prod}/odd/"
    # '+' in a path is a literal plus (never a space), '=' may come raw or encoded
    assert raw(worker.url, "GET", base + "plus+sign.txt").body == sample.public["odd/plus+sign.txt"]
    assert raw(worker.url, "GET", base + "plus%2Bsign.txt").body == sample.public["odd/plus+sign.txt"]
    assert raw(worker.url, "GET", base + "eq=ual.txt").body == sample.public["odd/eq=ual.txt"]
    assert raw(worker.url, "GET", base + "eq%3Dual.txt").body == sample.public["odd/eq=ual.txt"]
    r = raw(worker.url, "GET", base + "hello+world.txt")
    assert r.status == 404 and s3_error(r)["Code"] == "NoSuchKey", r
    assert raw(worker.url, "GET", base + "per%25cent.txt").body == sample.public["odd/per%cent.txt"]


@pytest.mark.parametrize("acct,prod", STORES)
@pytest.mark.parametrize("flavour", ["v2", "v2-url", "v1", "v1-url"])
def test_odd_keys_list(worker, acct, prod, flavour):
    prefix = quote(f"{prod}/odd/", safe="")
    q = {"v2": "list-type=2", "v2-url": "list-type=2&encoding-type=url", "v1": "", "v1-url": "encoding-type=url"}
    r = raw(worker.url, "GET", f"/{acct}?{q[flavour]}&prefix={prefix}".replace("?&", "?"))
    keys, _, root = list_keys(r)
    if flavour.endswith("-url"):
        assert text(root, "EncodingType") == "url", r
        keys = [unquote_plus(k) for k in keys]
    assert sorted(keys) == sorted(f"{prod}/{k}" for k in ODD_KEYS), r


# --------------------------------------------------------------------------- listings


def test_list_v2_document(worker, sample):
    r = raw(worker.url, "GET", "/demo?list-type=2&prefix=public-data/many/&max-keys=7&start-after=public-data/many/00010.txt")
    keys, prefixes, root = list_keys(r)
    assert keys == [f"public-data/many/{i:05d}.txt" for i in range(11, 18)]
    assert prefixes == []
    assert text(root, "Name") == "demo"
    assert text(root, "Prefix") == "public-data/many/"
    assert text(root, "MaxKeys") == "7"
    assert text(root, "KeyCount") == "7"
    assert text(root, "IsTruncated") == "true"
    assert text(root, "StartAfter") == "public-data/many/00010.txt"
    token = text(root, "NextContinuationToken")
    assert token
    c = root.find("{http://s3.amazonaws.com/doc/2006-03-01/}Contents")
    assert text(c, "Size") == str(len(sample.public["many/00011.txt"]))
    assert text(c, "ETag") and text(c, "LastModified") and text(c, "StorageClass")
    r2 = raw(worker.url, "GET", f"/demo?list-type=2&prefix=public-data/many/&max-keys=7&continuation-token={quote(token, safe='')}")
    keys2, _, root2 = list_keys(r2)
    assert keys2 == [f"public-data/many/{i:05d}.txt" for i in range(18, 25)]
    assert text(root2, "ContinuationToken") == token


def test_list_v1_marker_paging(worker, sample):
    keys, marker, pages = [], "", 0
    while True:
        r = raw(worker.url, "GET", f"/demo?prefix=public-data/many/&max-keys=500&marker={quote(marker, safe='')}")
        got, _, root = list_keys(r)
        pages += 1
        keys += got
        assert text(root, "Marker") == marker
        if text(root, "IsTruncated") != "true":
            break
        marker = text(root, "NextMarker") or got[-1]
        assert pages < 10
    assert pages == 3
    assert keys == sorted(f"public-data/{k}" for k in sample.public if k.startswith("many/"))


def test_max_keys_zero(worker):
    r = raw(worker.url, "GET", "/demo?list-type=2&prefix=public-data/&max-keys=0")
    keys, _, root = list_keys(r)
    assert keys == [] and text(root, "KeyCount") == "0"


def test_max_keys_over_1000_is_capped(worker):
    r = raw(worker.url, "GET", "/demo?list-type=2&prefix=public-data/many/&max-keys=5000")
    keys, _, root = list_keys(r)
    assert len(keys) == 1000 and text(root, "IsTruncated") == "true", r


def test_product_level_listing(worker):
    r = raw(worker.url, "GET", "/demo/public-data?list-type=2&prefix=nested/")
    keys, _, _ = list_keys(r)
    assert len(keys) == 1 and keys[0].endswith("nested/a/b/c.txt"), r
    r = raw(worker.url, "GET", "/mirror/signed/?list-type=2&prefix=nested/")
    keys, _, _ = list_keys(r)
    assert len(keys) == 1 and keys[0].endswith("nested/a/b/c.txt"), r
    assert not any(k.startswith("base/") for k in keys)


def test_unlisted_product(worker, sample):
    r = raw(worker.url, "GET", "/demo/unlisted-data/hidden.csv")
    assert r.status == 200 and r.body == sample.files["demo/unlisted-data/hidden.csv"], r
    for q in ("list-type=2&delimiter=/", "delimiter=/", "list-type=2", ""):
        keys, prefixes, _ = list_keys(raw(worker.url, "GET", "/demo?" + q if q else "/demo"))
        assert "unlisted-data/" not in prefixes and not any(k.startswith("unlisted-data/") for k in keys), q
        assert not any(k.startswith("restricted-data/") for k in keys), q
        assert "restricted-data/" not in prefixes, q
