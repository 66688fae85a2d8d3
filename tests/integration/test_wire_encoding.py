"""Objects leave as stored, on the wire: the same bytes and Content-Length whatever
Accept-Encoding the client sends, an object stored with a Content-Encoding goes out with
that header and its stored bytes, for 200, 206 and HEAD, from R2 and from moto. Read
with http.client (httpraw), which never decodes a body.

Account `wire` (conftest): `r2` and `s3` serve the sample's demo/wire-data/ objects from
R2 and from moto. Two ways in:
- `wrangler dev`, as a client sees it locally. Miniflare's entry worker there emulates
  the Cloudflare edge's compression of text types (text/plain, application/json, ...) for
  clients that accept gzip or br, ignoring `Cache-Control: no-transform`, which the edge
  honours (docs/OPERATIONS.md). So through it, only types the edge never compresses.
- the same build in workerd through a direct socket (js/direct_worker.mjs): exactly
  what the Worker sends, every type.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from conftest import make_catalog
from support.wrangler import copy_state
from support.procs import REPO, Proc
from support.sample import MOTO_BUCKET
from support.wrangler import R2_BUCKET, compat_settings
from support.httpraw import raw

WIRE = "demo/wire-data/"
ENC = ["plain.txt", "table.csv", "blob.bin", "data.json", "stored.json.gz", "stored.csv.gz", "opaque.br"]
# What Cloudflare's edge compresses (its documented list; Miniflare copies it).
EDGE_COMPRESSES = {"text/plain", "application/json"}
ACCEPT = [None, "gzip", "br", "identity", "gzip, deflate, br, zstd", "*"]
RANGES = [None, "bytes=0-9", "bytes=7-", "bytes=-5"]


@pytest.fixture(scope="module")
def objects(sample, moto) -> dict[str, tuple[bytes, dict]]:
    """enc/ objects: relative key -> (stored bytes, manifest entry); moto gets them with
    their content type and encoding (the session seeds moto with bytes only)."""
    s3 = moto.client()
    out = {}
    for name in ENC:
        key = WIRE + "enc/" + name
        data, meta = sample.files[key], sample.meta[key]
        extra = {"ContentEncoding": meta["content_encoding"]} if meta.get("content_encoding") else {}
        s3.put_object(Bucket=MOTO_BUCKET, Key="base/wire-data/enc/" + name, Body=data,
                      ContentType=meta["content_type"], **extra)
        out["enc/" + name] = (data, meta)
    return out


@pytest.fixture(scope="module")
def direct(tmp_root, wrangler_env, r2_state, moto, stub_backend, worker) -> str:
    """Base URL of the Worker's direct socket (its own copy of the R2 state)."""
    state = copy_state(r2_state, tmp_root / "state-direct")
    cfg_path = tmp_root / "direct-worker.json"
    cfg_path.write_text(json.dumps({
        "build": str(REPO / "build"), "persist": str(state), **compat_settings(),
        "r2": {"DATA": R2_BUCKET},
        "vars": {"STATIC_CATALOG": json.dumps(make_catalog(moto.url, stub_backend.url)),
                 "MIRROR_ACCESS_KEY_ID": moto.creds.access_key_id,
                 "MIRROR_SECRET_ACCESS_KEY": moto.creds.secret_access_key,
                 # The main Worker's key: its sessions sign requests here too (overrides).
                 **({"SESSION_TOKEN_KEY": worker.session_key} if worker.session_key else {})},
    }))
    node = wrangler_env.get("NODE22", "")
    if not node:
        pytest.fail("NODE22 unset: run `bash scripts/install-tools.sh build`")
    proc = Proc.start("direct-worker", [node, str(REPO / "tests/integration/js/direct_worker.mjs"), str(cfg_path)],
                      tmp_root / "logs" / "direct-worker.log", wrangler_env)
    deadline = time.monotonic() + 60
    url = None
    while time.monotonic() < deadline and url is None:
        if proc.popen.poll() is not None:
            pytest.fail(f"direct worker exited\n{proc.tail()}")
        m = re.search(r"direct-worker ready (http://127\.0\.0\.1:\d+)/", proc.log_since(0))
        url = m.group(1) if m else None
        time.sleep(0.2)
    if url is None:
        proc.stop()
        pytest.fail(f"direct worker not ready\n{proc.tail()}")
    yield url
    proc.stop()


def expect(data: bytes, rng: str | None) -> tuple[int, bytes, str | None]:
    """(status, bytes, Content-Range) S3 answers for `rng` of an object holding `data`."""
    if rng is None:
        return 200, data, None
    a, b = rng.removeprefix("bytes=").split("-")
    start, end = (len(data) - int(b), len(data) - 1) if a == "" else (int(a), int(b) if b else len(data) - 1)
    return 206, data[start:end + 1], f"bytes {start}-{end}/{len(data)}"


def check_as_stored(base: str, product: str, key: str, data: bytes, meta: dict) -> None:
    for method in ("GET", "HEAD"):
        for rng in RANGES:
            for ae in ACCEPT:
                h = {k: v for k, v in (("Range", rng), ("Accept-Encoding", ae)) if v}
                r = raw(base, method, f"/wire/{product}/{key}", h)
                status, want, crange = expect(data, rng)
                what = f"{method} {product}/{key} range={rng} accept={ae}: {r!r}"
                assert r.status == status, what
                assert r.h("transfer-encoding") is None, what
                assert r.h("content-length") == str(len(want)), what
                assert r.body == (want if method == "GET" else b""), what
                assert r.h("content-encoding") == meta.get("content_encoding"), what
                assert r.h("content-type") == meta["content_type"], what
                assert r.h("content-range") == crange, what
                assert "no-transform" in (r.h("cache-control") or ""), what


@pytest.mark.parametrize("product", ["r2", "s3"])
def test_direct_every_type_goes_out_as_stored(direct, objects, product):
    for key, (data, meta) in objects.items():
        check_as_stored(direct, product, key, data, meta)


@pytest.mark.parametrize("product", ["r2", "s3"])
def test_dev_server_types_the_edge_leaves_alone_go_out_as_stored(worker, objects, product):
    picked = {k: v for k, v in objects.items() if v[1]["content_type"].split(";")[0] not in EDGE_COMPRESSES}
    assert {"enc/table.csv", "enc/blob.bin", "enc/stored.csv.gz", "enc/opaque.br"} <= set(picked)
    for key, (data, meta) in picked.items():
        check_as_stored(worker.url, product, key, data, meta)


def test_s3_backend_is_asked_for_identity(worker, stub_backend):
    """What the Worker's fetch sends to an S3 backend for an object: Accept-Encoding:
    identity (workerd adds none), so a backend never compresses on the way."""
    start = len(stub_backend.requests)
    for ae in (None, "gzip", "br"):
        r = raw(worker.url, "GET", "/stub/p/x.txt", {"Accept-Encoding": ae} if ae else {})
        assert r.status == 200, r
    seen = [q.headers.get("accept-encoding") for q in stub_backend.requests[start:]]
    assert seen == ["identity"] * 3, seen


@pytest.mark.sts
@pytest.mark.parametrize("via", ["direct", "dev"])
@pytest.mark.parametrize("product", ["r2", "s3"])
def test_a_content_encoding_override_changes_the_header_only(request, objects, sts_worker, idp, product, via):
    """response-content-encoding sets the header, as on S3: the bytes stay as stored
    (a runtime that honoured the header would compress them). Signed: S3 (and so the
    proxy) refuses overrides on anonymous requests."""
    from support.sts import assume, sign_headers

    base = request.getfixturevalue("direct") if via == "direct" else sts_worker.url
    alice = assume(sts_worker.url, idp.token("alice"))
    path = f"/wire/{product}/enc/blob.bin?response-content-encoding=gzip"
    data, _ = objects["enc/blob.bin"]
    for ae in (None, "gzip", "identity"):
        for rng, (status, want, _) in ((None, expect(data, None)), ("bytes=0-9", expect(data, "bytes=0-9"))):
            h = {k: v for k, v in (("Range", rng), ("Accept-Encoding", ae)) if v}
            r = raw(base, "GET", path, {**sign_headers(base + path, alice), **h})
            what = f"{via} {product} accept={ae} range={rng}: {r!r}"
            assert (r.status, r.h("content-encoding")) == (status, "gzip"), what
            assert (r.body, r.h("content-length")) == (want, str(len(want))), what
            assert "no-transform" in (r.h("cache-control") or ""), what
