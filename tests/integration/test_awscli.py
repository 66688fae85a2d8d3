"""The aws CLI (from the venv), --no-sign-request, against the proxy."""

from __future__ import annotations

import json

from support.clients import aws_cli


def _ls_entries(out: bytes) -> list[tuple[str, str]]:
    """`aws s3 ls` lines -> [(kind-or-size, name)]."""
    rows = []
    for line in out.decode().splitlines():
        if line.strip().startswith("PRE "):
            rows.append(("PRE", line.strip()[4:]))
        elif line.strip():
            _date, _time, size, name = line.split(None, 3)
            rows.append((size, name))
    return rows


def test_ls_account(worker, tmp_path):
    r = aws_cli(worker.url, ["s3", "ls", "s3://demo/"], tmp_path)
    assert _ls_entries(r.stdout) == [("PRE", "public-data/")]


def test_ls_recursive_product(worker, sample, tmp_path):
    r = aws_cli(worker.url, ["s3", "ls", "--recursive", "s3://demo/public-data/"], tmp_path)
    rows = _ls_entries(r.stdout)
    got = {name: int(size) for size, name in rows}
    want = {f"public-data/{k}": size for k, size in sample.public_sizes_r2().items()}
    assert got == want
    assert len(rows) == len(want)  # no duplicates across pages


def test_ls_odd_folder(worker, sample, tmp_path):
    r = aws_cli(worker.url, ["s3", "ls", "s3://demo/public-data/odd/"], tmp_path)
    names = {name for _, name in _ls_entries(r.stdout)}
    assert names == {k[len("odd/"):] for k in sample.public if k.startswith("odd/")}


def test_cp_object(worker, sample, tmp_path):
    for key in ("cities.parquet", "odd/unicodé-日本.txt", "odd/amp&hash#q?.txt"):
        out = tmp_path / "out.bin"
        aws_cli(worker.url, ["s3", "cp", f"s3://demo/public-data/{key}", str(out)], tmp_path)
        assert out.read_bytes() == sample.public[key], key
        out.unlink()


def test_s3api_get_object_range(worker, sample, tmp_path):
    data = sample.public["cities.csv"]
    out = tmp_path / "range.bin"
    r = aws_cli(worker.url, ["s3api", "get-object", "--bucket", "demo", "--key", "public-data/cities.csv",
                             "--range", "bytes=0-9", str(out)], tmp_path)
    meta = json.loads(r.stdout)
    assert meta["ContentRange"] == f"bytes 0-9/{len(data)}"
    assert meta["ContentLength"] == 10
    assert out.read_bytes() == data[:10]


def test_missing_key_fails(worker, tmp_path):
    r = aws_cli(worker.url, ["s3api", "head-object", "--bucket", "demo", "--key", "public-data/nope"],
                tmp_path, check=False)
    assert r.returncode != 0
    assert b"404" in r.stderr
