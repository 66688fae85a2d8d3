"""GDAL (bundled in pyogrio) reading /vsis3/ through the proxy, anonymously."""

from __future__ import annotations

import pytest

from support.clients import gdal_read, need


def test_geojson_features(worker, sample):
    pyogrio = need("pyogrio")
    meta, got = gdal_read("/vsis3/demo/public-data/cities.geojson", worker.url)
    _, want = pyogrio.read_arrow(str(sample.path("demo/public-data/cities.geojson")))
    assert got.num_rows > 0
    assert got.num_rows == want.num_rows
    assert got.equals(want)
    assert meta["geometry_type"] in ("Point", "Unknown")


def test_csv_via_vsis3(worker, sample):
    pyogrio = need("pyogrio")
    _, got = gdal_read("/vsis3/demo/public-data/cities.csv", worker.url)
    _, want = pyogrio.read_arrow(str(sample.path("demo/public-data/cities.csv")))
    assert got.num_rows > 0 and got.equals(want)


def test_missing_file_is_an_error(worker):
    need("pyogrio")
    errors = need("pyogrio.errors")
    with pytest.raises((errors.DataSourceError, errors.DataLayerError)):
        gdal_read("/vsis3/demo/restricted-data/secret.csv", worker.url)
