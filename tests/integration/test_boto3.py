"""boto3 (anonymous, path-style) against the proxy's R2-backed demo account."""

from __future__ import annotations

import hashlib

import pytest

from support.clients import need
from support.sample import ODD_KEYS

BUCKET = "demo"


@pytest.fixture(scope="module")
def s3(worker):
    return worker.s3()


def client_error():
    return need("botocore.exceptions").ClientError


@pytest.mark.parametrize("key", ["cities.csv", "cities.parquet", "cities.geojson", "nested/a/b/c.txt",
                                 "many/00000.txt", "many/01199.txt"])
def test_get_object_byte_exact(s3, sample, key):
    r = s3.get_object(Bucket=BUCKET, Key=f"public-data/{key}")
    body = r["Body"].read()
    assert body == sample.public[key]
    assert r["ContentLength"] == len(sample.public[key])
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_head_object(s3, sample):
    data = sample.public["cities.parquet"]
    r = s3.head_object(Bucket=BUCKET, Key="public-data/cities.parquet")
    assert r["ContentLength"] == len(data)
    assert r["ETag"].startswith('"') and r["ETag"].endswith('"')
    assert r["LastModified"] is not None
    # local R2 uses the MD5 of the bytes as ETag for single-part objects
    assert r["ETag"].strip('"') == hashlib.md5(data).hexdigest()
    g = s3.get_object(Bucket=BUCKET, Key="public-data/cities.parquet")
    assert g["ETag"] == r["ETag"]
    assert g["LastModified"] == r["LastModified"]


@pytest.mark.parametrize(
    "rng,slc",
    [
        ("bytes=0-9", slice(0, 10)),
        ("bytes=-5", slice(-5, None)),
        ("bytes=10-", slice(10, None)),
        ("bytes=5-99999999", slice(5, None)),  # past the end: clamped
    ],
)
def test_ranged_get(s3, sample, rng, slc):
    data = sample.public["cities.csv"]
    size = len(data)
    want = data[slc]
    start = slc.start if slc.start is None or slc.start >= 0 else size + slc.start
    r = s3.get_object(Bucket=BUCKET, Key="public-data/cities.csv", Range=rng)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert r["Body"].read() == want
    assert r["ContentRange"] == f"bytes {start}-{start + len(want) - 1}/{size}"
    assert r["ContentLength"] == len(want)


def test_list_v2_paginator_many(s3, sample):
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="public-data/many/"))
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    want = sorted(f"public-data/{k}" for k in sample.public if k.startswith("many/"))
    assert len(want) == 1200
    assert keys == want
    assert len(pages) > 1
    assert all(p["KeyCount"] <= 1000 for p in pages)
    sizes = {o["Key"]: o["Size"] for p in pages for o in p["Contents"]}
    assert all(sizes[k] == len(sample.public[k[len("public-data/"):]]) for k in want)


def test_list_v2_small_pages_continuation(s3, sample):
    pages = list(s3.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix="public-data/nested/", PaginationConfig={"PageSize": 1}))
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert keys == ["public-data/nested/a/b/c.txt"]


def test_account_listing_with_delimiter(s3):
    r = s3.list_objects_v2(Bucket=BUCKET, Delimiter="/")
    prefixes = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
    assert prefixes == ["public-data/"]  # unlisted and restricted never listed anonymously
    assert r.get("Contents", []) == []
    # V1 too
    r1 = s3.list_objects(Bucket=BUCKET, Delimiter="/")
    assert [p["Prefix"] for p in r1.get("CommonPrefixes", [])] == ["public-data/"]


def test_list_with_delimiter_inside_product(s3):
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="public-data/", Delimiter="/")
    prefixes = {p["Prefix"] for p in r.get("CommonPrefixes", [])}
    assert prefixes == {"public-data/many/", "public-data/nested/", "public-data/odd/", "public-data/large/"}
    keys = {o["Key"] for o in r.get("Contents", [])}
    assert {"public-data/cities.csv", "public-data/cities.parquet", "public-data/cities.geojson"} <= keys
    assert all(k.count("/") == 1 for k in keys)


def test_odd_keys_get_head_list(s3, sample):
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="public-data/odd/")
    assert sorted(o["Key"] for o in r["Contents"]) == sorted(f"public-data/{k}" for k in ODD_KEYS)
    for k in ODD_KEYS:
        full = f"public-data/{k}"
        assert s3.get_object(Bucket=BUCKET, Key=full)["Body"].read() == sample.public[k], k
        assert s3.head_object(Bucket=BUCKET, Key=full)["ContentLength"] == len(sample.public[k]), k


def test_missing_key_is_no_such_key(s3):
    with pytest.raises(client_error()) as ei:
        s3.get_object(Bucket=BUCKET, Key="public-data/does/not/exist.txt")
    assert ei.value.response["Error"]["Code"] == "NoSuchKey"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(client_error()) as ei:
        s3.head_object(Bucket=BUCKET, Key="public-data/does/not/exist.txt")
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def _err(call):
    with pytest.raises(client_error()) as ei:
        call()
    r = ei.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]


def test_restricted_product_looks_missing(s3):
    for product in ("restricted-data", "no-such-product"):
        assert _err(lambda: s3.get_object(Bucket=BUCKET, Key=f"{product}/secret.csv")) == (404, "NoSuchBucket")
        # HEAD errors carry no body: botocore reports the status as the code
        assert _err(lambda: s3.head_object(Bucket=BUCKET, Key=f"{product}/secret.csv")) == (404, "404")
        # an account-level listing into a product one may not see is empty, as for a missing one
        r = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{product}/")
        assert r.get("Contents", []) == [] and r["KeyCount"] == 0
    # existing key vs missing key inside the restricted product: same answer
    assert _err(lambda: s3.get_object(Bucket=BUCKET, Key="restricted-data/nope.csv")) == (404, "NoSuchBucket")


def test_unlisted_readable_not_listed(s3, sample):
    r = s3.get_object(Bucket=BUCKET, Key="unlisted-data/hidden.csv")
    assert r["Body"].read() == sample.files["demo/unlisted-data/hidden.csv"]
    listed = s3.list_objects_v2(Bucket=BUCKET, Delimiter="/")
    assert "unlisted-data/" not in [p["Prefix"] for p in listed.get("CommonPrefixes", [])]


def test_missing_account(s3):
    assert _err(lambda: s3.get_object(Bucket="no-such-account", Key="p/k")) == (404, "NoSuchBucket")
    assert _err(lambda: s3.list_objects_v2(Bucket="no-such-account")) == (404, "NoSuchBucket")
    assert _err(lambda: s3.head_bucket(Bucket="no-such-account")) == (404, "404")


def test_head_bucket_and_location(s3):
    assert s3.head_bucket(Bucket=BUCKET)["ResponseMetadata"]["HTTPStatusCode"] == 200
    loc = s3.get_bucket_location(Bucket=BUCKET)
    assert loc["LocationConstraint"] in (None, "us-east-1")


def test_part_number_and_version_as_s3_answers_them(s3, sample):
    """An object through the proxy has one version (`null`) and one part, as on an
    unversioned bucket: part 1 is all of it, anything else is S3's error, never other bytes."""
    data = sample.public["cities.csv"]
    r = s3.get_object(Bucket=BUCKET, Key="public-data/cities.csv", PartNumber=1)
    assert r["Body"].read() == data
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert r["ContentRange"] == f"bytes 0-{len(data) - 1}/{len(data)}"
    assert s3.get_object(Bucket=BUCKET, Key="public-data/cities.csv", VersionId="null")["Body"].read() == data
    for kw, status, code in [
        ({"PartNumber": 2}, 416, "InvalidPartNumber"),
        ({"VersionId": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"}, 404, "NoSuchVersion"),
    ]:
        with pytest.raises(client_error()) as e:
            s3.get_object(Bucket=BUCKET, Key="public-data/cities.csv", **kw)
        err = e.value.response
        assert (err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"]) == (status, code), kw
