"""Request bodies on the wire: whatever a client uploads, with Content-Length or chunked,
it gets a clean answer with a request id, never a dropped connection or a 5xx.

The STS reads at most 64 KiB of a form body: just under and at the cap it exchanges, past
it (declared or as it arrives) it answers 413 RequestEntityTooLarge, STS-shaped. Every
other route never reads a body (405 for writes), and an upload far larger than memory
leaves workerd's RSS flat: nothing is buffered.

Raw-socket uploads (httpraw.upload: the body goes out from a thread while the answer is
read), then real clients (requests, curl)."""

from __future__ import annotations

import shutil
import subprocess
import time
from urllib.parse import urlencode

import pytest
import requests

from support.procs import RssSampler, rss_kib
from support.httpraw import raw, s3_error, upload
from support.sts import FORM, sts_error, sts_params, sts_success_xml

MAX_BODY = 64 * 1024
MIB = 1024 * 1024
MAX_RSS_GROWTH_MIB = 96
OBJ = "/demo/public-data/cities.csv"


def form_block(token: str) -> bytes:
    """A valid exchange whose last parameter absorbs the padding that follows."""
    return urlencode(sts_params(token)).encode() + b"&Padding="


def still_serving(worker) -> None:
    assert raw(worker.url, "GET", "/").status == 200


# --------------------------------------------------------------------------- the STS form body


@pytest.mark.sts
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("size", [MAX_BODY - 1, MAX_BODY])
def test_sts_body_up_to_the_cap_exchanges(sts_worker, idp, chunked, size):
    u = upload(sts_worker.url, "POST", "/.sts", {"Content-Type": FORM}, size, chunked, form_block(idp.token("alice")))
    assert u.sent == size and u.send_error is None, u
    sts_success_xml(u.resp)


@pytest.mark.sts
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("size", [MAX_BODY + 1, 4 * MIB])
@pytest.mark.parametrize("path", ["/.sts", "/.sts/", "/"])
def test_sts_body_over_the_cap_is_413(sts_worker, idp, chunked, size, path):
    u = upload(sts_worker.url, "POST", path, {"Content-Type": FORM}, size, chunked, form_block(idp.token("alice")))
    assert u.resp.status != 0, f"no answer: {u}"
    sts_error(u.resp, 413, "RequestEntityTooLarge")
    still_serving(sts_worker)


@pytest.mark.sts
def test_sts_413_with_requests(sts_worker, idp):
    body = form_block(idp.token("alice")) + b"x" * (4 * MIB)
    r = requests.post(sts_worker.url + "/.sts", data=body, headers={"Content-Type": FORM}, timeout=60)
    assert r.status_code == 413 and "<Code>RequestEntityTooLarge</Code>" in r.text, r.text
    assert r.headers.get("x-amz-request-id"), r.headers

    def chunks():  # a generator body: requests sends it chunked
        yield body[:MAX_BODY]
        for i in range(MAX_BODY, len(body), MAX_BODY):
            yield body[i:i + MAX_BODY]

    r = requests.post(sts_worker.url + "/.sts", data=chunks(), headers={"Content-Type": FORM,
                                                                     "Accept": "application/json"}, timeout=60)
    assert r.status_code == 413 and r.json()["Error"]["Code"] == "RequestEntityTooLarge", r.text
    assert r.json()["RequestId"] == r.headers.get("x-amz-request-id"), r.text


@pytest.mark.sts
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("size", [MAX_BODY, 4 * MIB])
def test_sts_with_curl(sts_worker, idp, tmp_path, chunked, size):
    """curl sends `Expect: 100-continue` for large bodies and may stop sending on an early answer."""
    curl = shutil.which("curl")
    assert curl, "curl is required (Debian package curl)"
    block = form_block(idp.token("alice"))
    f = tmp_path / "body"
    f.write_bytes(block + b"x" * (size - len(block)))
    args = [curl, "-sS", "--noproxy", "*", "-o", str(tmp_path / "out"), "-D", str(tmp_path / "hdrs"),
            "-w", "%{http_code}", "-H", f"Content-Type: {FORM}", "--data-binary", f"@{f}"]
    if chunked:
        args += ["-H", "Transfer-Encoding: chunked"]
    p = subprocess.run([*args, sts_worker.url + "/.sts"], capture_output=True, text=True, timeout=60)
    out = (tmp_path / "out").read_text(errors="replace")
    hdrs = (tmp_path / "hdrs").read_text(errors="replace").lower()
    assert p.returncode == 0, (p.returncode, p.stderr, out)
    if size <= MAX_BODY:
        assert p.stdout == "200" and "<SessionToken>" in out, (p.stdout, out)
    else:
        assert p.stdout == "413" and "<Code>RequestEntityTooLarge</Code>" in out, (p.stdout, out)
    assert "x-amz-request-id:" in hdrs, hdrs


@pytest.mark.sts
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_on_sts_with_a_body(sts_worker, method):
    u = upload(sts_worker.url, method, "/.sts", {"Content-Type": FORM}, 4 * MIB, chunked=True)
    sts_error(u.resp, 405, "MethodNotAllowed")


# --------------------------------------------------------------------------- every other route


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("method,path", [("PUT", OBJ), ("POST", OBJ), ("PATCH", OBJ), ("DELETE", OBJ),
                                         ("PUT", "/demo/public-data/new.bin"), ("POST", "/demo"), ("PUT", "/")])
def test_writes_with_a_body_are_405(worker, method, path, chunked):
    u = upload(worker.url, method, path, {"Content-Type": "application/octet-stream"}, 4 * MIB, chunked)
    assert u.resp.status == 405, f"{u}"
    s3_error(u.resp)  # an S3 error document with the request id
    still_serving(worker)


@pytest.mark.parametrize("route", ["object", "sts"])
def test_huge_upload_is_not_buffered(worker, route):
    """256 MiB, chunked (nothing declared): answered, and workerd's memory stays flat."""
    path = OBJ if route == "object" else "/.sts"
    pid = worker.workerd_pid()
    still_serving(worker)
    time.sleep(0.5)
    base_kib = rss_kib(pid)
    assert base_kib, f"cannot read RSS of workerd pid {pid}"
    with RssSampler(pid) as s:
        u = upload(worker.url, "POST", path, {"Content-Type": FORM}, 256 * MIB, chunked=True, block=b"x" * MIB)
    growth_mib = (s.peak - base_kib) / 1024
    print(f"POST {path} 256 MiB chunked: {u.resp.status} after {u.seconds:.1f}s, sent {u.sent // MIB} MiB "
          f"({u.send_error}); workerd RSS {base_kib / 1024:.0f} -> peak {s.peak / 1024:.0f} MiB")
    assert u.resp.status in (405, 413), u
    assert u.resp.h("x-amz-request-id"), u
    assert growth_mib < MAX_RSS_GROWTH_MIB, f"workerd RSS grew by {growth_mib:.0f} MiB: the upload is buffered"
    still_serving(worker)
