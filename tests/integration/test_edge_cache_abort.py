"""The edge cache's teed miss (one block read exactly: the backend body teed by the runtime,
one branch to the client, one into `cache.put`) when the client drops its connection before
the put settles, in real workerd. The backend (moto) sits behind a FaultProxy that sends the
block slowly (`slow`), so the client's connection is gone while the leader's put still runs.

What must hold: a request waiting for that block (the same isolate's in-flight slot) gets the
right bytes, and no later than the backend's own time plus a little, not the whole wait bound
(`WAIT_MS` in src/proxy/cached.rs, 10 s): the slot is released when the leader's work ends;
and a read of the block after everything settled is prompt (a slot left claimed would make
every later miss of the block wait the whole bound first)."""

from __future__ import annotations

import random
import socket
import threading
import time

import pytest
import requests

from conftest import _fail
from support.faultproxy import FaultProxy
from support.procs import HarnessError
from support.sample import MOTO_BUCKET
from support.wrangler import launch_worker, panics, wait_ready

MIB = 1024 * 1024
PREFIX = "cache-abort/"
WAIT_BOUND_S = 10  # cached.rs WAIT_MS
TAIL = 256 * 1024
SLOW = {"chunk": 16 * 1024, "interval": 0.15}  # the 256 KiB block in ~2.4 s
TAIL_RANGE = f"bytes={MIB}-{MIB + TAIL - 1}"  # exactly the tail block: the teed miss


@pytest.fixture(scope="module")
def rig(tmp_root, wrangler_env, moto):
    fp = FaultProxy(int(moto.url.rsplit(":", 1)[1]))
    backend = {"type": "s3", "endpoint": fp.url, "bucket": MOTO_BUCKET, "region": "us-east-1",
               "access_key_id_var": "MIRROR_ACCESS_KEY_ID", "secret_access_key_var": "MIRROR_SECRET_ACCESS_KEY"}
    catalog = {"backends": {"fp": backend},
               "accounts": {"cache": {"products": {"pub": {"visibility": "public", "backend": "fp",
                                                           "prefix": PREFIX}}}}}
    vars_ = {"MIRROR_ACCESS_KEY_ID": moto.creds.access_key_id,
             "MIRROR_SECRET_ACCESS_KEY": moto.creds.secret_access_key,
             "OBJECT_CACHE": "on", "OBJECT_CACHE_BLOCK_BYTES": str(MIB),
             "OBJECT_CACHE_WHOLE_MAX_BYTES": str(256 << 10), "LOG_LEVEL": "info"}
    proc = None
    try:
        proc, port = launch_worker("wrangler-edge-cache-abort", tmp_root / "workers" / "edge-cache-abort", catalog,
                                   vars_, {}, tmp_root / "state-edge-cache-abort", wrangler_env,
                                   tmp_root / "logs" / "wrangler-edge-cache-abort.log")
        wait_ready(f"http://127.0.0.1:{port}", proc, 90)
    except HarnessError as e:
        if proc is not None:
            proc.stop()
        fp.stop()
        _fail(e)
    yield fp, proc, f"http://127.0.0.1:{port}"
    proc.stop()
    fp.stop()
    hits = panics(proc)
    assert not hits, "the Worker's log shows panics:\n" + "\n".join(hits[:20])


def _object(moto, key: str, seed: int) -> bytes:
    data = random.Random(seed).randbytes(MIB + TAIL)  # two blocks; the read takes the 256 KiB tail
    moto.client().put_object(Bucket=MOTO_BUCKET, Key=PREFIX + key, Body=data)
    return data


def _get(url: str, key: str, rng: str = TAIL_RANGE) -> tuple[requests.Response, float]:
    t0 = time.monotonic()
    r = requests.get(f"{url}/cache/pub/{key}", headers={"Range": rng}, timeout=60)
    return r, time.monotonic() - t0


def _abandoned_read(url: str, key: str, rng: str = TAIL_RANGE) -> None:
    """A client that reads the answer's headers and a first byte of the body, then resets."""
    port = int(url.rsplit(":", 1)[1])
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(f"GET /cache/pub/{key} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  f"Range: {rng}\r\nConnection: close\r\n\r\n".encode())
        buf = b""
        while b"\r\n\r\n" not in buf or len(buf) <= buf.index(b"\r\n\r\n") + 4:
            chunk = s.recv(4096)
            if not chunk:
                raise AssertionError(f"the answer ended before its body: {buf[:300]!r}")
            buf += chunk
        assert buf.startswith(b"HTTP/1.1 206"), buf[:300]
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    finally:
        s.close()


def _wait_backend_done(fp: FaultProxy, bound: float) -> None:
    """Until every `slow` connection so far has ended (or `bound` s)."""
    deadline = time.monotonic() + bound
    while len(fp.slow_sent) < fp.accepted["slow"] and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_waiter_on_an_abandoned_teed_miss_is_released(rig, moto):
    fp, proc, url = rig
    data = _object(moto, "waiter.bin", 41)
    want = data[MIB:]
    # The metadata first (a HEAD), so that the read below is a block miss with the metadata
    # cached: a concurrent read then waits on the block's in-flight slot.
    assert requests.head(f"{url}/cache/pub/waiter.bin", timeout=30).status_code == 200
    fp.set("slow", **SLOW)
    done: dict = {}

    def waiter():
        # Started once the leader's answer has begun: the leader holds the block's slot.
        done["answer"] = _get(url, "waiter.bin")

    _abandoned_read(url, "waiter.bin")
    fp.set("pass")  # any fetch from here on (the waiter's own, if it gives up waiting) is prompt
    t = threading.Thread(target=waiter)
    t.start()
    t.join(WAIT_BOUND_S + 20)
    assert "answer" in done, "the waiter never got an answer"
    r, took = done["answer"]
    assert r.status_code == 206 and r.content == want
    assert r.headers["content-length"] == str(TAIL)
    backend_s = TAIL / SLOW["chunk"] * SLOW["interval"]
    # The leader's backend body ends after ~backend_s; its put then settles (or fails):
    # the waiter may read the entry or fetch the block itself from then on.
    assert took < backend_s + 3, (f"the waiter took {took:.1f} s (the backend body took ~{backend_s:.1f} s): "
                                  f"it waited out the bound; the backend sent {fp.slow_sent}")


def test_after_an_abandoned_teed_miss_the_block_is_read_promptly(rig, moto):
    fp, proc, url = rig
    data = _object(moto, "later.bin", 43)
    want = data[MIB:]
    assert requests.head(f"{url}/cache/pub/later.bin", timeout=30).status_code == 200
    backend_s = TAIL / SLOW["chunk"] * SLOW["interval"]
    _wait_backend_done(fp, backend_s + 10)
    n = len(fp.slow_sent)
    fp.set("slow", **SLOW)
    _abandoned_read(url, "later.bin")
    fp.set("pass")
    _wait_backend_done(fp, backend_s + 10)
    time.sleep(1)  # the leader's put and its release, if they are still to run
    r, took = _get(url, "later.bin")
    assert r.status_code == 206 and r.content == want
    assert took < 3, (f"a read after the abandoned miss settled took {took:.1f} s: the block's in-flight "
                      f"slot is still claimed (the backend sent {fp.slow_sent[n:]} of {TAIL})")


def test_a_read_abandoned_before_the_backend_answered_leaves_no_claim(rig, moto):
    """The client goes away while the leader still waits for the backend's headers (no answer
    begun): the leader's request is cancelled with its claim on the object's metadata."""
    fp, proc, url = rig
    data = _object(moto, "early.bin", 47)
    want = data[MIB:]
    fp.set("delay", delay=2)
    port = int(url.rsplit(":", 1)[1])
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(f"GET /cache/pub/early.bin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
              f"Range: bytes={MIB}-{MIB + TAIL - 1}\r\nConnection: close\r\n\r\n".encode())
    time.sleep(0.5)  # the Worker is waiting for the backend
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    fp.set("pass")
    time.sleep(3)  # past the backend's delayed answer
    r, took = _get(url, "early.bin")
    assert r.status_code == 206 and r.content == want
    assert took < 3, f"a read after the abandoned one took {took:.1f} s: the metadata's in-flight slot is still claimed"


def test_after_an_abandoned_spliced_miss_the_blocks_are_read_promptly(rig, moto):
    """The same with the answer spliced in wasm (two blocks fetched, an answer that is not
    exactly one entry): the puts run inside the answer's stream, which the runtime cancels."""
    fp, proc, url = rig
    data = _object(moto, "spliced.bin", 53)
    rng, want = f"bytes=0-{MIB + TAIL - 2}", data[:-1]
    assert requests.head(f"{url}/cache/pub/spliced.bin", timeout=30).status_code == 200
    slow = {"chunk": 64 * 1024, "interval": 0.1}  # 1.25 MiB in ~2 s
    _wait_backend_done(fp, 15)
    n = len(fp.slow_sent)
    fp.set("slow", **slow)
    _abandoned_read(url, "spliced.bin", rng)
    fp.set("pass")
    _wait_backend_done(fp, 15)
    time.sleep(1)
    r, took = _get(url, "spliced.bin", rng)
    assert r.status_code == 206 and r.content == want
    assert took < 3, (f"a read after the abandoned miss settled took {took:.1f} s: an in-flight slot is still "
                      f"claimed (the backend sent {fp.slow_sent[n:]} of {MIB + TAIL})")
