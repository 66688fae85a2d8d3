"""Other real SigV4 signers with STS session credentials: DuckDB's httpfs, GDAL's
/vsis3/, rclone (aws-sdk-go), s3fs (aiobotocore), obstore and polars (Rust object_store)
each read the restricted object byte for byte; bob's session gets NoSuchBucket.
The clients are configured as in the foundation tests (clients.py) plus a session token."""

from __future__ import annotations

import pytest

from support.clients import REGION, duckdb_conn, gdal_options, need, object_store_options, rclone
from support.sts import assume

pytestmark = pytest.mark.sts

BUCKET, KEY = "demo", "restricted-data/secret.csv"


@pytest.fixture(scope="module")
def alice(sts_worker, idp):
    return assume(sts_worker.url, idp.token("alice"))


@pytest.fixture(scope="module")
def bob(sts_worker, idp):
    return assume(sts_worker.url, idp.token("bob"))


def test_duckdb(sts_worker, alice, bob, secret_bytes):
    con = duckdb_conn(sts_worker.url, alice)
    con.execute(f"SET s3_session_token='{alice.session_token}'")
    blob = con.execute(f"SELECT content FROM read_blob('s3://{BUCKET}/{KEY}')").fetchone()[0]
    assert bytes(blob) == secret_bytes
    rows = con.execute(f"SELECT * FROM read_csv('s3://{BUCKET}/{KEY}')").fetchall()
    assert len(rows) == secret_bytes.count(b"\n") - 1
    con = duckdb_conn(sts_worker.url, bob)
    con.execute(f"SET s3_session_token='{bob.session_token}'")
    with pytest.raises(Exception) as ei:
        con.execute(f"SELECT content FROM read_blob('s3://{BUCKET}/{KEY}')").fetchone()
    assert "404" in str(ei.value) or "Not Found" in str(ei.value) or "No files found" in str(ei.value), ei.value


def test_gdal(sts_worker, alice, secret_bytes):
    pyogrio = need("pyogrio")
    opts = {**gdal_options(sts_worker.url, alice), "AWS_SESSION_TOKEN": alice.session_token}
    pyogrio.set_gdal_config_options(opts)
    try:
        _meta, table = pyogrio.read_arrow(f"/vsis3/{BUCKET}/{KEY}")
    finally:
        pyogrio.set_gdal_config_options({k: None for k in opts})
    header = secret_bytes.split(b"\n")[0].decode().split(",")
    assert list(table.column_names) == header, table.schema
    assert table.num_rows == secret_bytes.count(b"\n") - 1


def test_rclone(sts_worker, alice, bob, secret_bytes, tmp_path):
    # (clients.rclone drops RCLONE_* from the environment: the token goes on the command line)
    r = rclone(sts_worker.url, ["cat", f"p:{BUCKET}/{KEY}", "--s3-session-token", alice.session_token],
               tmp_path, alice)
    assert r.stdout == secret_bytes
    r = rclone(sts_worker.url, ["cat", f"p:{BUCKET}/{KEY}", "--s3-session-token", bob.session_token],
               tmp_path, bob, check=False)
    # rclone takes a path whose HEAD is 404 for an empty directory (exit 0): what
    # matters is that bob gets nothing of the object.
    assert r.stdout == b"" and secret_bytes not in r.stderr, r


def test_s3fs(sts_worker, alice, secret_bytes):
    s3fs = need("s3fs")
    fs = s3fs.S3FileSystem(
        key=alice.access_key_id, secret=alice.secret_access_key, token=alice.session_token,
        client_kwargs={"endpoint_url": sts_worker.url, "region_name": REGION},
        config_kwargs={"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 1}},
        skip_instance_cache=True, use_listings_cache=False)
    assert fs.cat(f"{BUCKET}/{KEY}") == secret_bytes
    assert fs.ls(f"{BUCKET}/restricted-data/", detail=False) == [f"{BUCKET}/{KEY}"]


def test_obstore(sts_worker, alice, secret_bytes):
    obstore = need("obstore")
    from obstore.store import S3Store

    store = S3Store(BUCKET, endpoint=sts_worker.url, region=REGION, virtual_hosted_style_request=False,
                    client_options={"allow_http": True}, access_key_id=alice.access_key_id,
                    secret_access_key=alice.secret_access_key, session_token=alice.session_token)
    assert bytes(obstore.get(store, KEY).bytes()) == secret_bytes
    assert bytes(obstore.get_range(store, KEY, start=0, end=4)) == secret_bytes[:4]


def test_polars(sts_worker, alice, secret_bytes):
    pl = need("polars")
    opts = {**object_store_options(sts_worker.url, alice), "aws_session_token": alice.session_token}
    df = pl.read_csv(f"s3://{BUCKET}/{KEY}", storage_options=opts)
    assert df.columns == secret_bytes.split(b"\n")[0].decode().split(",")
    assert df.height == secret_bytes.count(b"\n") - 1
