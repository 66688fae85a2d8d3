"""A 256 MiB object streams through the proxy without being buffered (S3: memory
stays flat): sha256 of what arrives equals the source, and workerd's RSS grows
far less than the object's size while it flows.

Two sources, two code paths of the proxy:
- r2:   demo/public-data/large/256mib.bin in local R2 (seeded by scripts/seed-r2.sh
        --large-mib 256; every 8-byte big-endian word holds its own offset). Note that
        local R2 itself runs inside the same workerd process.
- moto: mirror/extras/big/large.bin (S3 backend, SigV4-signed fetch), put by conftest.
"""

from __future__ import annotations

import hashlib
import random
import struct
import time

import pytest
import requests

from support.procs import RssSampler, rss_kib

MIB = 1024 * 1024
MAX_RSS_GROWTH_MIB = 96
# The raw bytes: no on-the-fly compression by the runtime (it would hide Content-Length and cost CPU).
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture(params=["r2", "moto"])
def big(request, worker):
    if request.param == "r2":
        o = request.getfixturevalue("r2_large_object")
        return {**o, "url": f"{worker.url}/demo/public-data/{o['key']}", "pattern": "offset"}
    o = request.getfixturevalue("large_object")
    return {**o, "url": f"{worker.url}/mirror/{o['key']}", "pattern": "blocks"}


def _expected_range(big: dict, start: int, length: int) -> bytes:
    if big["pattern"] == "offset":
        # seed-r2's pattern: word at offset o holds o
        first = start - start % 8
        words = range(first, start + length + 8, 8)
        blob = b"".join(struct.pack(">Q", w) for w in words)
        return blob[start - first:start - first + length]
    base = random.Random(20261122).randbytes(MIB)  # conftest.large_object's pattern
    out = b"".join(struct.pack(">Q", i) + base[8:] for i in range(start // MIB, (start + length) // MIB + 1))
    off = start - (start // MIB) * MIB
    return out[off:off + length]


def _warm(worker):
    # warm up the isolate (and backend connections) on small objects first
    for path in ("/demo/public-data/cities.csv", "/mirror/extras/meta.txt"):
        assert requests.get(worker.url + path, timeout=10).status_code == 200


def test_streams_with_flat_memory(worker, big):
    pid = worker.workerd_pid()
    _warm(worker)
    time.sleep(0.5)
    base_kib = rss_kib(pid)
    assert base_kib, f"cannot read RSS of workerd pid {pid}"
    digest, n = hashlib.sha256(), 0
    t0 = time.monotonic()
    with RssSampler(pid) as s:
        with requests.get(big["url"], stream=True, timeout=(5, 120), headers=IDENTITY) as r:
            status, hdrs = r.status_code, r.headers
            for chunk in r.iter_content(chunk_size=256 * 1024):
                digest.update(chunk)
                n += len(chunk)
    elapsed = time.monotonic() - t0
    growth_mib = (s.peak - base_kib) / 1024
    print(f"{big['url']}: {n // MIB} MiB in {elapsed:.1f}s; workerd RSS {base_kib / 1024:.0f} MiB -> "
          f"peak {s.peak / 1024:.0f} MiB (+{growth_mib:.0f} MiB, {len(s.samples)} samples)")
    assert status == 200
    assert hdrs.get("content-length") == str(big["size"])
    assert n == big["size"]
    assert digest.hexdigest() == big["sha256"]
    assert len(s.samples) > 5
    assert growth_mib < MAX_RSS_GROWTH_MIB, (
        f"workerd RSS grew by {growth_mib:.0f} MiB while streaming {big['size'] // MIB} MiB "
        f"(limit {MAX_RSS_GROWTH_MIB} MiB): the body is being buffered")


def test_range_deep_inside(worker, big):
    start, length = 200 * MIB + 12345, MIB
    with requests.get(big["url"], headers={**IDENTITY, "Range": f"bytes={start}-{start + length - 1}"}, timeout=60,
                      stream=True) as r:
        assert r.status_code == 206, (r.status_code, r.headers)  # (never read a 256 MiB body here)
        assert r.headers["content-range"] == f"bytes {start}-{start + length - 1}/{big['size']}"
        body = r.raw.read(length + 1, decode_content=True)
    assert len(body) == length
    assert body == _expected_range(big, start, length), "range bytes differ from the source pattern"
    with requests.get(big["url"], headers={**IDENTITY, "Range": "bytes=-16"}, timeout=60, stream=True) as r:
        assert r.status_code == 206, (r.status_code, r.headers)
        body = r.raw.read(17, decode_content=True)
    assert body == _expected_range(big, big["size"] - 16, 16)


def test_slow_reader_then_disconnect(worker, big):
    """A slow client: backpressure must hold the backend back instead of buffering in
    workerd. Reads 64 MiB slowly, then drops the connection; the proxy keeps serving."""
    pid = worker.workerd_pid()
    _warm(worker)
    base_kib = rss_kib(pid)
    read = 0
    with RssSampler(pid) as s:
        with requests.get(big["url"], stream=True, timeout=(5, 60), headers=IDENTITY) as r:
            assert r.status_code == 200
            for chunk in r.iter_content(chunk_size=MIB):
                read += len(chunk)
                time.sleep(0.02)
                if read >= 64 * MIB:
                    break
        time.sleep(1.0)  # after the drop the backend read should be cancelled
    growth_mib = (s.peak - base_kib) / 1024
    print(f"slow reader: read {read // MIB} MiB, workerd RSS +{growth_mib:.0f} MiB")
    assert growth_mib < MAX_RSS_GROWTH_MIB, f"workerd RSS grew by {growth_mib:.0f} MiB with a slow reader"
    for path in ("/demo/public-data/cities.csv", "/mirror/extras/meta.txt"):
        assert requests.get(worker.url + path, timeout=10).status_code == 200
