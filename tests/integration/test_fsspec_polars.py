"""s3fs (anon), polars (object_store, skip_signature) and obstore against the proxy."""

from __future__ import annotations

import pytest

from support.clients import need, object_store_options, obstore_store, s3fs_fs


@pytest.fixture(scope="module")
def fs(worker):
    return s3fs_fs(worker.url)


def test_s3fs_ls_account(fs):
    assert fs.ls("demo") == ["demo/public-data"]


def test_s3fs_ls_and_cat(fs, sample):
    assert fs.ls("demo/public-data/nested/a/b") == ["demo/public-data/nested/a/b/c.txt"]
    assert fs.cat("demo/public-data/nested/a/b/c.txt") == sample.public["nested/a/b/c.txt"]
    odd = sorted(fs.ls("demo/public-data/odd"))
    assert odd == sorted(f"demo/public-data/{k}" for k in sample.public if k.startswith("odd/"))
    for k in sample.public:
        if k.startswith("odd/"):
            assert fs.cat(f"demo/public-data/{k}") == sample.public[k], k


def test_s3fs_info_and_ranged_read(fs, sample):
    data = sample.public["cities.parquet"]
    info = fs.info("demo/public-data/cities.parquet")
    assert info["size"] == len(data)
    with fs.open("demo/public-data/cities.parquet", "rb", block_size=16) as f:
        f.seek(len(data) - 8)
        assert f.read() == data[-8:]
    assert fs.cat_file("demo/public-data/cities.parquet", start=4, end=20) == data[4:20]


def test_s3fs_find_many(fs, sample):
    found = fs.find("demo/public-data/many/")
    assert found == sorted(f"demo/public-data/{k}" for k in sample.public if k.startswith("many/"))


def test_polars_read_parquet(worker, sample):
    pl = need("polars")
    got = pl.read_parquet("s3://demo/public-data/cities.parquet", storage_options=object_store_options(worker.url))
    want = pl.read_parquet(sample.path("demo/public-data/cities.parquet"))
    assert got.height > 0 and got.equals(want)


def test_polars_scan_csv(worker, sample):
    pl = need("polars")
    got = pl.scan_csv("s3://demo/public-data/cities.csv", storage_options=object_store_options(worker.url)).collect()
    want = pl.read_csv(sample.path("demo/public-data/cities.csv"))
    assert got.height > 0 and got.equals(want)


def test_obstore_get_list_head(worker, sample):
    obs = need("obstore")
    store = obstore_store(worker.url, "demo")
    assert bytes(obs.get(store, "public-data/cities.csv").bytes()) == sample.public["cities.csv"]
    for k in sample.public:
        if k.startswith("odd/"):
            assert bytes(obs.get(store, f"public-data/{k}").bytes()) == sample.public[k], k
    listed = sorted(o["path"] for batch in obs.list(store, prefix="public-data/many/") for o in batch)
    assert listed == sorted(f"public-data/{k}" for k in sample.public if k.startswith("many/"))
    meta = obs.head(store, "public-data/cities.parquet")
    assert meta["size"] == len(sample.public["cities.parquet"])
    rng = bytes(obs.get_range(store, "public-data/cities.parquet", start=0, end=4))
    assert rng == sample.public["cities.parquet"][:4]
    res = obs.list_with_delimiter(store, prefix="public-data/odd/")
    assert sorted(o["path"] for o in res["objects"]) == sorted(
        f"public-data/{k}" for k in sample.public if k.startswith("odd/"))
