"""What the proxy sends to an S3 backend, seen on the wire by a recording stub
(an anonymous backend: product stub/p -> stub-bucket/allowed/).

With an anonymous backend no signature protects the request, so a key that the
runtime's URL parser rewrites (dot segments) or a decoded `?`/`#`/`&` reaching
the URL as syntax would read outside the product's prefix.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote

import pytest

from support.servers import StubS3
from support.httpraw import qkey, raw, s3_error

PREFIX = "/stub-bucket/allowed/"


@pytest.fixture
def rec(worker, stub_backend):
    """The stub's requests recorded during the test."""
    start = len(stub_backend.requests)

    class View:
        def new(self):
            return stub_backend.requests[start:]

    return View()


def test_anonymous_backend_request_is_unsigned_and_exact(worker, rec):
    r = raw(worker.url, "GET", "/stub/p/dir/hello.txt")
    assert r.status == 200, r
    assert r.body == b"stub:" + PREFIX.encode() + b"dir/hello.txt"
    reqs = rec.new()
    assert [q.target for q in reqs] == [PREFIX + "dir/hello.txt"]
    assert "authorization" not in reqs[0].headers
    assert "x-amz-security-token" not in reqs[0].headers


def test_backend_internal_headers_dropped(worker):
    r = raw(worker.url, "GET", "/stub/p/x.txt")
    assert r.status == 200, r
    for name in StubS3.LEAKY:
        if name == "x-amz-request-id":
            continue
        assert r.h(name) is None, (name, r)
    assert r.h("x-amz-request-id") and r.h("x-amz-request-id") != StubS3.LEAKY["x-amz-request-id"], r
    assert len(r.headers.get_all("x-amz-request-id")) == 1, r
    assert "stubs3" not in (r.h("server") or "").lower(), r
    assert r.h("etag") == '"0123456789abcdef0123456789abcdef"'
    assert r.h("last-modified") == "Sun, 01 Nov 2026 00:00:00 GMT"


@pytest.mark.parametrize("key", [
    "odd/hello world.txt", "odd/plus+sign.txt", "odd/eq=ual.txt", "odd/per%cent.txt",
    "odd/unicodé-日本.txt", "odd/amp&hash#q?.txt", "a?b=c&d#e", "semi;colon.txt", "tilde~quote'.txt",
    "brackets[1]{2}.txt", "back\\slash.txt", "trailing-dot.", ".hidden", "dir/.hidden/x",
])
def test_key_reaches_backend_byte_exact(worker, rec, key):
    r = raw(worker.url, "GET", "/stub/p/" + qkey(key))
    reqs = rec.new()
    assert r.status == 200, r
    assert len(reqs) == 1, reqs
    path, sep, query = reqs[0].target.partition("?")
    assert unquote(path) == PREFIX + key, reqs[0].target  # nothing re-interpreted, nothing lost
    assert "#" not in reqs[0].target
    assert not sep, f"part of the key became a query: {reqs[0].target}"


# Only dot segments that appear after the proxy decodes %2F: the runtime already resolves
# the incoming URL's own dot segments ('..', '%2e%2e', '.%2E') before the Worker sees it.
@pytest.mark.parametrize("path", [
    "/stub/p/..%2Fsecret.txt",
    "/stub/p/%2e%2e%2fsecret.txt",
    "/stub/p/a/..%2F..%2Fsecret.txt",
    "/stub/p/..%2F..%2Fother-bucket%2Fsecret.txt",
    "/stub/p/x/..%2F..%2F..%2F..%2Fother-bucket%2Fsecret.txt",
    "/stub/p/a%2F.%2Fb.txt",
    "/stub/p/a%2F..",
    "/stub/p/a%2F.",
    "/stub/p/..%5Csecret.txt",
])
def test_dot_segments_never_leave_the_prefix(worker, rec, path):
    """A key with `.`/`..` segments is missing (404 NoSuchKey, as S3 answers for it) and
    never sent: fetch() would resolve it into another key. Any other key reaches the
    backend exactly as requested, under the product's prefix."""
    r = raw(worker.url, "GET", path)
    assert r.status < 500, r
    requested = unquote(path[len("/stub/p/"):])
    if any(seg in (".", "..") for seg in (PREFIX + requested).split("/")):
        assert (r.status, s3_error(r)["Code"]) == (404, "NoSuchKey"), r
        assert rec.new() == [], path
        return
    for q in rec.new():
        wire = unquote(q.target.partition("?")[0])
        assert wire.startswith(PREFIX), f"{path} escaped the product prefix: backend saw {q.target}"
        assert wire == PREFIX + requested, f"{path}: backend saw {q.target}, a different key"
    if r.status == 200:
        assert len(rec.new()) == 1, r


@pytest.mark.parametrize("prefix", ["x&max-keys=1", "x#y", "x?list-type=1", "a b+c", "..%2F", "x%26delimiter%3D%2F"])
def test_listing_prefix_reaches_backend_as_one_parameter(worker, rec, prefix):
    from urllib.parse import quote

    r = raw(worker.url, "GET", "/stub?list-type=2&prefix=" + quote("p/" + prefix, safe=""))
    assert r.status == 200, r
    reqs = rec.new()
    assert len(reqs) == 1, reqs
    path, _, query = reqs[0].target.partition("?")
    assert path in ("/stub-bucket", "/stub-bucket/"), reqs[0].target
    params = parse_qs(query, keep_blank_values=True)
    assert params.get("prefix") == ["allowed/" + prefix], reqs[0].target
    assert params.get("max-keys", ["1000"]) != ["1"], reqs[0].target
    assert "delimiter" not in params, reqs[0].target
