"""S3's 1024-byte key limit, on R2 and on moto, with keys of multi-byte characters.

For an S3 client the bucket is the account and the key is `{product}/{key}`: the limit
applies to that string, whatever the backend prefix (here `demo/wire-data/` on R2 and
`base/wire-data/` on moto, 15 bytes). Products `r2`/`s3` have a 3-byte root (`r2/`),
`r2-long-product-name`/`s3-long-product-name` a 21-byte one (conftest). The sample's
k/ objects have relative keys of 1002, 1003 and 1004 bytes, each a prefix of the next.

- Client key over 1024 bytes: 400 KeyTooLongError, even if the backend holds the object.
- Within 1024, but prefix + key over what the backend stores (1024): the object cannot
  exist, so 404 NoSuchKey, never a 4xx about length and never a 5xx.
- Listing values (prefix, start-after, marker) are limited as the client sends them; a
  backend form over 1024 bytes lists nothing (prefix) or resumes at an equivalent bound.
- A backend key the client would see as over 1024 bytes is left out of listings.
"""

from __future__ import annotations

import pytest

from support.httpraw import list_keys, qkey, raw, s3_error, text

WIRE = "demo/wire-data/"
LONG = "-long-product-name"  # 20-character products: `{product}/` is 21 bytes


@pytest.fixture(scope="module")
def k(sample) -> dict[int, str]:
    """Relative key by its length in bytes (1002, 1003, 1004)."""
    keys = {len(key[len(WIRE):].encode()): key[len(WIRE):] for key in sample.files
            if key.startswith(WIRE + "k/")}
    assert sorted(keys) == [1002, 1003, 1004], sorted(keys)
    assert keys[1002] != keys[1002].encode("ascii", "ignore").decode(), "the keys must hold multi-byte characters"
    return keys


def get(base: str, product: str, key: str, method: str = "GET"):
    return raw(base, method, f"/wire/{product}/{qkey(key)}")


def err(resp, status: int, code: str) -> None:
    assert resp.status == status, resp
    if resp.method == "GET":
        assert s3_error(resp)["Code"] == code, resp


@pytest.mark.parametrize("backend", ["r2", "s3"])
def test_keys_at_the_limit_are_read(worker, sample, k, backend):
    long = backend + LONG
    for n, client_len in ((1002, 1023), (1003, 1024)):
        assert len(f"{long}/{k[n]}".encode()) == client_len
        for method in ("GET", "HEAD"):
            r = get(worker.url, long, k[n], method)
            assert r.status == 200, r
            assert r.body == (sample.files[WIRE + k[n]] if method == "GET" else b""), r


@pytest.mark.parametrize("backend", ["r2", "s3"])
def test_a_client_key_over_1024_bytes_is_key_too_long(worker, k, backend):
    # 1025 bytes as the client sees it, though the backend holds it (1019 bytes there).
    assert len(f"{backend}{LONG}/{k[1004]}".encode()) == 1025
    for method in ("GET", "HEAD"):
        err(get(worker.url, backend + LONG, k[1004], method), 400, "KeyTooLongError")
    r = get(worker.url, backend, k[1004])
    assert r.status == 200, r  # the same object under a shorter product name
    beyond = k[1004] + "b" * (1022 - 1004)  # `r2/` + 1022 = 1025 bytes
    err(get(worker.url, backend, beyond), 400, "KeyTooLongError")


@pytest.mark.parametrize("backend", ["r2", "s3"])
def test_a_key_too_long_for_the_backend_is_no_such_key(worker, k, backend):
    for n in (1009, 1010, 1021):  # backend keys of 1024 (absent), 1025 and 1036 bytes
        key = k[1004] + "b" * (n - 1004)
        assert len(f"{backend}/{key}".encode()) <= 1024
        for method in ("GET", "HEAD"):
            err(get(worker.url, backend, key, method), 404, "NoSuchKey")


def long_after(k: dict[int, str]) -> str:
    """Between k/1002 and k/1003 ('Z' < 'a'); with `r2/` 1022 bytes, in the backend 1034,
    cut at 1024 in the middle of a 4-byte character."""
    return k[1002] + "Z" + "😀" * 4


@pytest.mark.parametrize("backend", ["r2", "s3"])
def test_a_start_after_too_long_for_the_backend_resumes_like_s3(worker, k, backend):
    after = long_after(k)
    want = [f"{backend}/{k[1003]}", f"{backend}/{k[1004]}"]
    for q in (f"list-type=2&start-after={qkey(backend + '/' + after)}", f"marker={qkey(backend + '/' + after)}"):
        keys, prefixes, _ = list_keys(raw(worker.url, "GET", f"/wire?prefix={backend}%2Fk%2F&{q}"))
        assert (keys, prefixes) == (want, []), q
    # The product form: values relative to the product.
    keys, _, _ = list_keys(raw(worker.url, "GET", f"/wire/{backend}?list-type=2&start-after={qkey(after)}"))
    assert keys == [k[1003], k[1004]]


@pytest.mark.parametrize("backend", ["r2", "s3"])
def test_a_prefix_too_long_for_the_backend_lists_nothing(worker, k, backend):
    prefix = f"{backend}/{k[1002]}" + "Z" * (1024 - 3 - 1002)
    assert len(prefix.encode()) == 1024
    for q in (f"list-type=2&prefix={qkey(prefix)}", f"prefix={qkey(prefix)}"):
        r = raw(worker.url, "GET", f"/wire?{q}")
        keys, prefixes, root = list_keys(r)
        assert (keys, prefixes) == ([], []), r
        assert text(root, "IsTruncated") == "false", r
    r = raw(worker.url, "GET", f"/wire?list-type=2&prefix={qkey(prefix + 'Z')}")
    err(r, 400, "KeyTooLongError")


@pytest.mark.parametrize("backend", ["r2", "s3"])
def test_paging_through_long_keys(worker, k, backend):
    """Continuation tokens and markers near the limit: every key once, in order."""
    want = [f"{backend}{LONG}/{k[1002]}", f"{backend}{LONG}/{k[1003]}"]
    seen, token = [], None
    for _ in range(4):
        q = f"list-type=2&max-keys=1&prefix={qkey(backend + LONG + '/k/')}"
        r = raw(worker.url, "GET", f"/wire?{q}" + (f"&continuation-token={qkey(token)}" if token else ""))
        keys, _, root = list_keys(r)
        seen += keys
        token = text(root, "NextContinuationToken")
        if not token or len(seen) == 2:
            break
    assert seen == want
    seen, marker = [], ""
    for _ in range(4):
        q = f"max-keys=1&prefix={qkey(backend + LONG + '/k/')}&marker={qkey(marker)}"
        keys, _, root = list_keys(raw(worker.url, "GET", f"/wire?{q}"))
        seen += keys
        marker = text(root, "NextMarker") or (keys[-1] if keys else "")
        if len(seen) == 2:
            break
    assert seen == want


@pytest.mark.parametrize("backend", ["r2", "s3"])
@pytest.mark.parametrize("max_keys", [1, 2, 1000])
def test_listings_leave_out_keys_too_long_to_read(worker, k, backend, max_keys):
    """The 1025-byte client key (k/1004 under the 20-character product) cannot be read
    (KeyTooLongError), so, as S3 could hold no such key, no listing shows it: at both
    levels, V1 and V2, and the pages still end exactly (no empty last page)."""
    long = backend + LONG
    want = [f"{long}/{k[1002]}", f"{long}/{k[1003]}"]
    for path, prefix, strip in (("/wire", f"{long}/k/", ""), (f"/wire/{long}", "k/", f"{long}/")):
        for v2 in (True, False):
            seen, resume, pages = [], None, 0
            while True:
                q = f"max-keys={max_keys}&prefix={qkey(prefix)}" + ("&list-type=2" if v2 else "")
                if resume:
                    q += f"&continuation-token={qkey(resume)}" if v2 else f"&marker={qkey(resume)}"
                r = raw(worker.url, "GET", f"{path}?{q}")
                keys, _, root = list_keys(r)
                assert r.status == 200 and keys, r
                seen += [strip + key for key in keys]
                pages += 1
                if text(root, "IsTruncated") != "true":
                    break
                resume = text(root, "NextContinuationToken") if v2 else (text(root, "NextMarker") or keys[-1])
                assert pages < 4, r
            assert seen == want, (path, v2)
            assert pages == -(-2 // max_keys), (path, v2, pages)
    for key in want:
        assert get(worker.url, long, key.split("/", 1)[1]).status == 200
