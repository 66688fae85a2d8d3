"""Each client, configured as the proxy tests configure it, reads moto directly
(signed with moto's IAM keys). If one of these fails, the client's setup is at
fault, not the proxy. Also proves moto really enforces request authentication,
so the mirror/* tests check the proxy's outbound SigV4.
"""

from __future__ import annotations

import json

import pytest
import requests

from support.clients import (aws_cli, boto3_client, duckdb_conn, gdal_read, need, obstore_store,
                     object_store_options, rclone, s3fs_fs)
from support.sample import MOTO_BUCKET

B = MOTO_BUCKET
PUB = "base/public-data/"


def test_moto_refuses_unsigned_and_badly_signed(moto, sample):
    botocore_exc = need("botocore.exceptions")
    key = PUB + "cities.csv"
    # signed with the right key: fine
    body = moto.client().get_object(Bucket=B, Key=key)["Body"].read()
    assert body == sample.public["cities.csv"]
    # unsigned HTTP request: refused
    r = requests.get(f"{moto.url}/{B}/{key}", timeout=10)
    assert r.status_code == 403, (r.status_code, r.text[:300])
    # anonymous SDK request: refused
    with pytest.raises(botocore_exc.ClientError):
        boto3_client(moto.url).get_object(Bucket=B, Key=key)
    # right key id, wrong secret: SignatureDoesNotMatch
    bad = boto3_client(moto.url, type(moto.creds)(moto.creds.access_key_id, "x" * 40))
    with pytest.raises(botocore_exc.ClientError) as ei:
        bad.get_object(Bucket=B, Key=key)
    assert ei.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_moto_sends_backend_internal_headers(moto):
    """Precondition of test_http's header-stripping test: moto does send them."""
    h = moto.client().get_object(Bucket=B, Key="extras/sse.txt")["ResponseMetadata"]["HTTPHeaders"]
    assert h.get("x-amz-server-side-encryption") == "AES256", h
    assert "server" in h, h


def test_boto3_vs_moto(moto, sample):
    s3 = boto3_client(moto.url, moto.creds)
    for k in sample.public:
        if k.startswith("odd/"):
            assert s3.get_object(Bucket=B, Key=PUB + k)["Body"].read() == sample.public[k]
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=B, Prefix=PUB + "many/"))
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert keys == sorted(PUB + k for k in sample.public if k.startswith("many/"))
    assert len(pages) > 1


def test_awscli_vs_moto(moto, sample, tmp_path):
    out = tmp_path / "c.parquet"
    aws_cli(moto.url, ["s3", "cp", f"s3://{B}/{PUB}cities.parquet", str(out)], tmp_path, moto.creds)
    assert out.read_bytes() == sample.public["cities.parquet"]
    r = aws_cli(moto.url, ["s3api", "get-object", "--bucket", B, "--key", PUB + "cities.csv",
                           "--range", "bytes=0-9", str(tmp_path / "r")], tmp_path, moto.creds)
    assert json.loads(r.stdout)["ContentRange"].startswith("bytes 0-9/")
    ls = aws_cli(moto.url, ["s3", "ls", f"s3://{B}/{PUB}odd/"], tmp_path, moto.creds).stdout.decode()
    assert "hello world.txt" in ls


def test_rclone_vs_moto(moto, sample, tmp_path):
    r = rclone(moto.url, ["lsf", f"p:{B}/{PUB}odd"], tmp_path, moto.creds)
    names = set(r.stdout.decode().splitlines())
    assert names == {k[len("odd/"):] for k in sample.public if k.startswith("odd/")}
    dest = tmp_path / "copy"
    rclone(moto.url, ["copy", f"p:{B}/{PUB}odd", str(dest)], tmp_path, moto.creds)
    for k, v in sample.public.items():
        if k.startswith("odd/"):
            assert (dest / k[len("odd/"):]).read_bytes() == v


def test_duckdb_vs_moto(moto, sample):
    con = duckdb_conn(moto.url, moto.creds)
    got = con.execute(f"SELECT * FROM read_parquet('s3://{B}/{PUB}cities.parquet') ORDER BY ALL").fetchall()
    want = con.execute(f"SELECT * FROM read_parquet('{sample.path('demo/public-data/cities.parquet')}') "
                       "ORDER BY ALL").fetchall()
    assert got == want and got
    n = con.execute(f"SELECT count(*) FROM glob('s3://{B}/{PUB}many/*.txt')").fetchone()[0]
    assert n == 1200


def test_gdal_vs_moto(moto, sample):
    pyogrio = need("pyogrio")
    _, got = gdal_read(f"/vsis3/{B}/{PUB}cities.geojson", moto.url, moto.creds)
    _, want = pyogrio.read_arrow(str(sample.path("demo/public-data/cities.geojson")))
    assert got.num_rows > 0 and got.equals(want)


def test_s3fs_polars_obstore_vs_moto(moto, sample):
    fs = s3fs_fs(moto.url, moto.creds)
    assert fs.cat(f"{B}/{PUB}nested/a/b/c.txt") == sample.public["nested/a/b/c.txt"]
    assert fs.ls(f"{B}/{PUB}nested/a/b") == [f"{B}/{PUB}nested/a/b/c.txt"]
    pl = need("polars")
    got = pl.read_parquet(f"s3://{B}/{PUB}cities.parquet", storage_options=object_store_options(moto.url, moto.creds))
    assert got.equals(pl.read_parquet(sample.path("demo/public-data/cities.parquet")))
    obs = need("obstore")
    store = obstore_store(moto.url, B, moto.creds)
    assert bytes(obs.get(store, PUB + "cities.csv").bytes()) == sample.public["cities.csv"]
    listed = [o["path"] for batch in obs.list(store, prefix=PUB + "many/") for o in batch]
    assert len(listed) == 1200
