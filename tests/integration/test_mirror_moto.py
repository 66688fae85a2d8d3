"""Products on moto (IAM auth enforced): the proxy's outbound SigV4 must be right.

mirror/signed   -> mirror-bucket/base/public-data/  (right keys)
mirror/extras   -> mirror-bucket/extras/            (right keys; metadata, SSE objects)
mirror/wrongkey -> mirror-bucket/base/public-data/  (right key id, wrong secret)
mirror/hidden   -> restricted
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests

from support.clients import need
from support.sample import EXTRAS_META, EXTRAS_META_BODY
from support.httpraw import raw
from support.sample import ODD_KEYS

B = "mirror"


@pytest.fixture(scope="module")
def s3(worker):
    return worker.s3()


def test_get_signed(s3, sample):
    for key in ("cities.csv", "cities.parquet", "nested/a/b/c.txt"):
        r = s3.get_object(Bucket=B, Key=f"signed/{key}")
        assert r["Body"].read() == sample.public[key], key
        assert r["ContentLength"] == len(sample.public[key])


def test_head_signed(s3, sample):
    r = s3.head_object(Bucket=B, Key="signed/cities.geojson")
    assert r["ContentLength"] == len(sample.public["cities.geojson"])
    assert r["ETag"].startswith('"')


@pytest.mark.parametrize("rng,slc", [("bytes=0-9", slice(0, 10)), ("bytes=-5", slice(-5, None)),
                                     ("bytes=10-", slice(10, None)), ("bytes=3-999999", slice(3, None))])
def test_range_signed(s3, sample, rng, slc):
    data = sample.public["cities.csv"]
    r = s3.get_object(Bucket=B, Key="signed/cities.csv", Range=rng)
    want = data[slc]
    start = len(data) - len(want)
    if slc.start is not None and slc.start >= 0:
        start = slc.start
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert r["Body"].read() == want
    assert r["ContentRange"] == f"bytes {start}-{start + len(want) - 1}/{len(data)}"


def test_list_paginated_signed(s3, sample):
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=B, Prefix="signed/many/"))
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert keys == sorted(f"signed/{k}" for k in sample.public if k.startswith("many/"))
    assert len(pages) > 1
    # tokens are opaque: they must not carry the backend's bucket or prefix
    for p in pages:
        tok = p.get("NextContinuationToken") or ""
        assert "mirror-bucket" not in tok and "base/" not in tok


def test_list_v1_paginated_signed(s3, sample):
    pages = list(s3.get_paginator("list_objects").paginate(Bucket=B, Prefix="signed/many/",
                                                            PaginationConfig={"PageSize": 500}))
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert keys == sorted(f"signed/{k}" for k in sample.public if k.startswith("many/"))
    assert len(pages) >= 3


def test_list_delimiter_signed(s3):
    r = s3.list_objects_v2(Bucket=B, Prefix="signed/", Delimiter="/")
    assert {p["Prefix"] for p in r["CommonPrefixes"]} == {"signed/many/", "signed/nested/", "signed/odd/"}
    keys = {o["Key"] for o in r["Contents"]}
    assert {"signed/cities.csv", "signed/cities.parquet", "signed/cities.geojson"} <= keys
    for k in keys:
        assert not k.startswith("base/") and "public-data" not in k


def test_account_listing_mirror(s3):
    r = s3.list_objects_v2(Bucket=B, Delimiter="/")
    assert sorted(p["Prefix"] for p in r["CommonPrefixes"]) == ["extras/", "signed/", "wrongkey/"]


def test_odd_keys_signed(s3, sample):
    r = s3.list_objects_v2(Bucket=B, Prefix="signed/odd/")
    assert sorted(o["Key"] for o in r["Contents"]) == sorted(f"signed/{k}" for k in ODD_KEYS)
    for k in ODD_KEYS:
        assert s3.get_object(Bucket=B, Key=f"signed/{k}")["Body"].read() == sample.public[k], k
        assert s3.head_object(Bucket=B, Key=f"signed/{k}")["ContentLength"] == len(sample.public[k]), k
        r = s3.get_object(Bucket=B, Key=f"signed/{k}", Range="bytes=1-3")
        assert r["Body"].read() == sample.public[k][1:4], k


def test_missing_key_signed(s3):
    ce = need("botocore.exceptions").ClientError
    with pytest.raises(ce) as ei:
        s3.get_object(Bucket=B, Key="signed/nope/nothing.txt")
    assert ei.value.response["Error"]["Code"] == "NoSuchKey"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_restricted_on_moto_looks_missing(s3):
    ce = need("botocore.exceptions").ClientError
    for product in ("hidden", "nothing-here"):
        with pytest.raises(ce) as ei:
            s3.get_object(Bucket=B, Key=f"{product}/secret.csv")
        assert (ei.value.response["ResponseMetadata"]["HTTPStatusCode"], ei.value.response["Error"]["Code"]) == \
            (404, "NoSuchBucket")


def test_metadata_headers_passed_through(worker):
    r = requests.get(f"{worker.url}/{B}/extras/meta.txt", timeout=10)
    assert r.status_code == 200, r.text
    assert r.content == EXTRAS_META_BODY
    h = r.headers
    assert h["content-type"] == EXTRAS_META["ContentType"]
    # Stored Cache-Control, plus no-transform so that no edge re-encodes the object.
    assert h["cache-control"] == EXTRAS_META["CacheControl"] + ", no-transform"
    assert h["content-disposition"] == EXTRAS_META["ContentDisposition"]
    assert h["content-language"] == EXTRAS_META["ContentLanguage"]
    assert h.get("x-amz-meta-color") == "blue"
    assert h.get("x-amz-meta-owner") == "itest"
    assert h["etag"].startswith('"')
    assert "last-modified" in h


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_wrong_backend_credentials_fail_cleanly(worker, method):
    for path in ("/mirror/wrongkey/cities.csv", "/mirror/wrongkey/odd/hello%20world.txt"):
        r = requests.request(method, worker.url + path, timeout=15)
        assert 500 <= r.status_code < 600, (path, r.status_code, r.text[:500])
        assert r.headers.get("x-amz-request-id")
        if method == "HEAD":
            assert r.content == b""
            continue
        assert r.headers["content-type"].startswith("application/xml")
        root = ET.fromstring(r.content)
        assert root.tag == "Error"
        assert root.findtext("Code")
        assert root.findtext("RequestId") == r.headers["x-amz-request-id"]
        body = r.text
        # generic 5xx message: no stack trace, no backend detail
        for leak in ("panicked", "at src/", ".rs:", "Traceback", "SignatureDoesNotMatch",
                     "mirror-bucket", "127.0.0.1", worker.moto.creds.access_key_id):
            assert leak not in body, (leak, body)


def test_wrong_backend_credentials_listing(worker):
    r = requests.get(f"{worker.url}/mirror?list-type=2&prefix=wrongkey/", timeout=15)
    assert 500 <= r.status_code < 600, (r.status_code, r.text[:500])
    root = ET.fromstring(r.content)
    assert root.tag == "Error" and root.findtext("Code")
    assert "mirror-bucket" not in r.text and "SignatureDoesNotMatch" not in r.text
