"""rclone (Debian), provider=Other, anonymous: uses ListObjects V1 (marker)."""

from __future__ import annotations

from support.clients import rclone


def test_lsf_account_and_products(worker, tmp_path):
    r = rclone(worker.url, ["lsf", "p:demo"], tmp_path)
    assert r.stdout.decode().splitlines() == ["public-data/"]


def test_lsf_many_paginates(worker, sample, tmp_path):
    r = rclone(worker.url, ["lsf", "p:demo/public-data/many"], tmp_path)
    names = r.stdout.decode().splitlines()
    want = sorted(k[len("many/"):] for k in sample.public if k.startswith("many/"))
    assert names == want  # 1200 > 1000: needs V1 marker paging


def test_ls_sizes(worker, sample, tmp_path):
    r = rclone(worker.url, ["ls", "p:demo/public-data"], tmp_path)
    got = {}
    for line in r.stdout.decode().splitlines():
        size, name = line.strip().split(" ", 1)
        got[name] = int(size)
    assert got == sample.public_sizes_r2(), (
        f"rclone ls printed {len(got)} entries; stderr: {r.stderr.decode(errors='replace')[-1500:]}")


def test_copy_folder_byte_exact(worker, sample, tmp_path):
    dest = tmp_path / "copy"
    # odd/ holds the tricky names; nested/ a deep path. rclone checks size and MD5 (from the ETag).
    for folder in ("odd", "nested"):
        rclone(worker.url, ["copy", f"p:demo/public-data/{folder}", str(dest / folder)], tmp_path)
    got = {p.relative_to(dest).as_posix(): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    want = {k: v for k, v in sample.public.items() if k.startswith(("odd/", "nested/"))}
    assert got == want


def test_copy_single_file(worker, sample, tmp_path):
    rclone(worker.url, ["copyto", "p:demo/public-data/cities.parquet", str(tmp_path / "c.parquet")], tmp_path)
    assert (tmp_path / "c.parquet").read_bytes() == sample.public["cities.parquet"]
