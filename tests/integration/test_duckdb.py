"""DuckDB + httpfs (extension loaded from the duckdb-extension-httpfs package), anonymous."""

from __future__ import annotations

import pytest

from support.clients import duckdb_conn


@pytest.fixture(scope="module")
def con(worker):
    return duckdb_conn(worker.url)


def test_parquet(con, sample):
    local = sample.path("demo/public-data/cities.parquet")
    got = con.execute("SELECT * FROM read_parquet('s3://demo/public-data/cities.parquet') ORDER BY ALL").fetchall()
    want = con.execute(f"SELECT * FROM read_parquet('{local}') ORDER BY ALL").fetchall()
    assert got and got == want
    cols = [d[0] for d in con.execute("DESCRIBE SELECT * FROM read_parquet('s3://demo/public-data/cities.parquet')")
            .fetchall()]
    assert cols[:5] == ["name", "country", "population", "lat", "lon"]


def test_csv(con, sample):
    local = sample.path("demo/public-data/cities.csv")
    got = con.execute("SELECT * FROM read_csv('s3://demo/public-data/cities.csv') ORDER BY ALL").fetchall()
    want = con.execute(f"SELECT * FROM read_csv('{local}') ORDER BY ALL").fetchall()
    assert got and got == want


def test_parquet_and_csv_agree(con):
    q = ("SELECT count(*) FROM read_parquet('s3://demo/public-data/cities.parquet') p "
         "JOIN read_csv('s3://demo/public-data/cities.csv') c USING (name)")
    n_join = con.execute(q).fetchone()[0]
    n_csv = con.execute("SELECT count(*) FROM read_csv('s3://demo/public-data/cities.csv')").fetchone()[0]
    assert n_csv > 0 and n_join == n_csv


def test_glob_lists_through_proxy(con, sample):
    rows = con.execute("SELECT file FROM glob('s3://demo/public-data/many/*.txt') ORDER BY file").fetchall()
    want = sorted(f"s3://demo/public-data/{k}" for k in sample.public if k.startswith("many/"))
    assert [r[0] for r in rows] == want


def test_read_text_odd_key(con, sample):
    got = con.execute("SELECT content FROM read_text('s3://demo/public-data/odd/hello world.txt')").fetchone()[0]
    assert got == sample.public["odd/hello world.txt"].decode()


def test_restricted_is_an_error(con):
    duckdb = __import__("duckdb")
    with pytest.raises(duckdb.Error) as ei:
        con.execute("SELECT * FROM read_csv('s3://demo/restricted-data/secret.csv')").fetchall()
    assert "404" in str(ei.value) or "not found" in str(ei.value).lower()
