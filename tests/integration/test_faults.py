"""Faults at the proxy's upstreams, in real workerd: the catalog API, an S3 backend and a
federation STS, each behind a FaultProxy (faultproxy.py) switched through every fault class
(down, headers late, body trickling, garbage, not HTTP, huge, cut mid-body). Each maps to its
documented error (docs/OPERATIONS.md, "Faults and what clients see") within its timeout, a
second catalog product, backend or STS in the same Worker keeps working during the fault, and
the same request succeeds again once the fault clears, without restarting the Worker. The
identity provider's faults are in test_sts_idp_faults.py.

Timeouts: CATALOG_TIMEOUT_MS=1500 (conftest), S3 backends 20 s, the STS 5 s (built in).
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import threading
import time

import pytest

from conftest import PROVIDER_ISSUER, PROVIDER_KEY_PEM, PROVIDER_KID, _fail, running_catalog_worker
from support.wrangler import PANIC_MARKERS, launch_worker, wait_ready
from support.clients import boto3_client
from support.faultproxy import FaultProxy
from support.procs import HarnessError
from support.sample import MOTO_BUCKET
from support.servers import LoopbackServer
from support.httpraw import raw, s3_error
from support.stub_sts import FED_BUCKET, FED_OBJECTS, FED_TRUSTED, StubSts

pytestmark = pytest.mark.faults

MIB = 1024 * 1024


# --------------------------------------------------------------------------- the rig itself


class _Upstream(LoopbackServer):
    """Answers every GET with 64 KiB of a known pattern."""

    BODY = bytes(range(256)) * 256

    def __init__(self):
        import http.server

        body = self.BODY

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._serve(Handler)


def _get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        c.request("GET", "/x")
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def _collect(port: int, secs: float) -> tuple[bytes, bytes]:
    """(head, body bytes) of a GET, as far as they arrived within `secs`."""
    got, deadline = b"", time.monotonic() + secs
    with socket.create_connection(("127.0.0.1", port), timeout=secs) as s:
        s.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        while (left := deadline - time.monotonic()) > 0:
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    return head, body


def test_fault_proxy_modes():
    """Before trusting the rig: each mode does what faultproxy.py says, switched at runtime."""
    up = _Upstream()
    fp = FaultProxy(up.port)
    try:
        assert _get(fp.url) == (200, _Upstream.BODY)
        fp.set("refuse")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", fp.port), timeout=2).close()
        fp.set("delay", delay=1)
        t0 = time.monotonic()
        assert _get(fp.url)[0] == 200 and time.monotonic() - t0 >= 1
        fp.set("trickle", interval=0.2)
        head, body = _collect(fp.port, 1.5)
        assert head.startswith(b"HTTP/1.1 200") and 3 <= len(body) <= 10, (head, len(body))
        fp.set("garbage")
        status, body = _get(fp.url)
        assert status == 200 and body.startswith(b"\x00\xff")
        fp.set("junk")
        with pytest.raises((http.client.HTTPException, OSError)):
            _get(fp.url)
        fp.set("huge", status=503)
        c = http.client.HTTPConnection("127.0.0.1", fp.port, timeout=5)
        c.request("GET", "/x")
        r = c.getresponse()
        assert r.status == 503 and len(r.read(5 * MIB)) == 5 * MIB
        c.close()
        fp.set("cut")
        with pytest.raises(http.client.IncompleteRead) as e:
            _get(fp.url)
        assert len(e.value.partial) == len(_Upstream.BODY) // 2
        fp.set("pass")
        assert _get(fp.url) == (200, _Upstream.BODY)
        assert all(fp.accepted[m] >= 1 for m in ("pass", "delay", "trickle", "garbage", "junk", "huge", "cut"))
        assert not fp.errors, fp.errors
    finally:
        fp.stop()
        up.stop()


# --------------------------------------------------------------------------- helpers


def timed(fn, *a, **kw):
    t0 = time.monotonic()
    r = fn(*a, **kw)
    return r, time.monotonic() - t0


def expect_error(resp, status: int, code: str) -> dict:
    assert resp.status == status, resp
    e = s3_error(resp)
    assert e["Code"] == code, resp
    if status == 503:
        assert resp.h("retry-after") == "5", resp
    return e


# --------------------------------------------------------------------------- the catalog API

# mode, options, how long the 503 may take (CATALOG_TIMEOUT_MS=1500)
CATALOG_FAULTS = [
    ("refuse", {}, 1.5),
    ("delay", {"delay": 5}, 3.5),  # the answer's headers come too late
    ("trickle", {"interval": 0.3}, 3.5),  # headers on time, the body never ends
    ("garbage", {}, 1.5),
    ("junk", {}, 1.5),
    ("huge", {}, 3.5),  # an endless answer: cut at the 256 KiB cap
    ("cut", {}, 1.5),
]


@pytest.fixture(scope="module")
def catalog_front():
    fp = FaultProxy()
    yield fp
    fp.stop()


@pytest.fixture(scope="module")
def fault_catalog(tmp_root, wrangler_env, moto, catalog_data, catalog_front):
    """An HTTP-catalog Worker (conftest) whose CATALOG_URL is catalog_front, in front of the stub."""
    yield from running_catalog_worker("catalog-faults", tmp_root, wrangler_env, moto, kid=PROVIDER_KID,
                                      key_pem=PROVIDER_KEY_PEM.read_text(), front=catalog_front)


def test_catalog_faults_are_503_and_recover(fault_catalog, catalog_front, catalog_data):
    """Each fault answers 503 ServiceUnavailable (Retry-After 5) within the timeout for a
    product the Worker has not cached; the product it cached before keeps being served, and
    the provider documents too; once the catalog answers again, so does the same request."""
    fp, url = catalog_front, fault_catalog.url
    cached = catalog_data.of("public-data")["readme.txt"]
    uncached = catalog_data.of("unlisted-data")["readme.txt"]
    r = raw(url, "GET", "/acme/public-data/readme.txt")
    assert r.status == 200 and r.body == cached, r  # product + data connection now cached (5 min)
    for mode, opts, bound in CATALOG_FAULTS:
        fp.set(mode, **opts)
        before = fp.accepted[mode]
        r, secs = timed(raw, url, "GET", "/acme/unlisted-data/readme.txt", timeout=15)
        e = expect_error(r, 503, "ServiceUnavailable")
        assert secs < bound, f"{mode}: 503 after {secs:.1f} s"
        assert str(fp.port) not in e["Message"], e
        assert mode == "refuse" or fp.accepted[mode] > before, f"{mode}: the catalog was never asked"
        r = raw(url, "GET", "/acme/public-data/readme.txt")
        assert r.status == 200 and r.body == cached, (mode, r)
        assert raw(url, "GET", "/.well-known/jwks.json").status == 200
    fp.set("pass")
    r = raw(url, "GET", "/acme/unlisted-data/readme.txt")
    assert r.status == 200 and r.body == uncached, r
    assert not fp.errors, fp.errors


# --------------------------------------------------------------------------- S3 backend and federation STS

BLOB_KEY = "faults/blob.bin"  # in the shared moto's MOTO_BUCKET
BLOB = bytes(range(256)) * 4096  # 1 MiB: much more than one chunk, so a cut lands mid-stream


@pytest.fixture(scope="module")
def s3_front():
    fp = FaultProxy()
    yield fp
    fp.stop()


@pytest.fixture(scope="module")
def sts_front():
    fp = FaultProxy()
    yield fp
    fp.stop()


@pytest.fixture(scope="module")
def fault_sts(fed_moto, sts_front):
    """A stub STS of this module's own (it verifies against this module's Worker), behind sts_front."""
    moto, role_arn = fed_moto
    s = StubSts(PROVIDER_ISSUER, moto, {role_arn: set(FED_TRUSTED)})
    sts_front.upstream = s.port
    yield s
    s.stop()


def fault_catalog_doc(moto_url: str, s3_front_url: str, fed_url: str, sts_url: str, front_sts_url: str,
                      role_arn: str) -> dict:
    """f/direct and f/faulty: the same moto prefix, f/faulty through s3_front; f/fed and
    f/fedfaulty: web-identity backends on moto-fed, the latter's STS through sts_front."""
    keyed = {"type": "s3", "bucket": MOTO_BUCKET, "region": "us-east-1",
             "access_key_id_var": "MIRROR_ACCESS_KEY_ID", "secret_access_key_var": "MIRROR_SECRET_ACCESS_KEY"}

    def fed(sts: str) -> dict:
        return {"type": "s3", "endpoint": fed_url, "bucket": FED_BUCKET, "region": "us-east-1",
                "web_identity": {"role_arn": role_arn, "sts_endpoint": sts, "subject": "backend:fed",
                                 "duration_secs": 900}}

    backends = {"direct": {**keyed, "endpoint": moto_url}, "faulty": {**keyed, "endpoint": s3_front_url},
                "fed": fed(sts_url), "fedfaulty": fed(front_sts_url)}
    prefixes = {"direct": "faults/", "faulty": "faults/", "fed": "data/", "fedfaulty": "data/"}
    return {"backends": backends, "accounts": {"f": {"products": {
        name: {"visibility": "public", "backend": name, "prefix": prefix} for name, prefix in prefixes.items()}}}}


@pytest.fixture(scope="module")
def fault_worker(tmp_root, wrangler_env, moto, fed_moto, s3_front, sts_front, fault_sts):
    fed, role_arn = fed_moto
    s3_front.upstream = moto.moto.port
    moto.client().put_object(Bucket=MOTO_BUCKET, Key=BLOB_KEY, Body=BLOB)
    catalog = fault_catalog_doc(moto.url, s3_front.url, fed.url, fault_sts.url, sts_front.url, role_arn)
    vars_ = {"MIRROR_ACCESS_KEY_ID": moto.creds.access_key_id, "OIDC_PROVIDER_ISSUER": PROVIDER_ISSUER,
             "OIDC_PROVIDER_KID": PROVIDER_KID, "OIDC_ALLOW_LOOPBACK_ISSUERS": "true", "LOG_LEVEL": "info"}
    secrets = {"MIRROR_SECRET_ACCESS_KEY": moto.creds.secret_access_key,
               "OIDC_PROVIDER_KEY": PROVIDER_KEY_PEM.read_text()}
    state = tmp_root / "state-faults"
    state.mkdir(exist_ok=True)
    try:
        proc, port = launch_worker("wrangler-faults", tmp_root / "workers" / "faults", catalog, vars_, secrets,
                                    state, wrangler_env, tmp_root / "logs" / "wrangler-faults.log")
        wait_ready(f"http://127.0.0.1:{port}", proc, 90)
    except HarnessError as e:
        _fail(e)
    url = f"http://127.0.0.1:{port}"
    fault_sts.jwks_url = url + "/.well-known/jwks.json"
    yield url
    proc.stop()
    hits = [ln for ln in proc.log_since(0).splitlines() if any(m in ln for m in PANIC_MARKERS)]
    assert not hits, "the faults Worker logged panics/uncaught errors:\n" + "\n".join(hits[:20])


def get_blob(url: str, product: str, timeout: float = 30):
    return raw(url, "GET", f"/f/{product}/blob.bin", timeout=timeout)


def list_page(url: str, product: str, timeout: float = 30):
    return raw(url, "GET", f"/f/{product}?list-type=2", timeout=timeout)


def others_work(url: str) -> None:
    """The second backend (same moto, not through the proxy) and a federated one."""
    r = get_blob(url, "direct")
    assert r.status == 200 and r.body == BLOB, r
    assert list_page(url, "direct").status == 200
    r = raw(url, "GET", "/f/fed/hello.txt")
    assert r.status == 200 and r.body == FED_OBJECTS["data/hello.txt"], r


def recovered(url: str, fp: FaultProxy) -> None:
    fp.set("pass")
    r = get_blob(url, "faulty")
    assert r.status == 200 and r.body == BLOB, r
    r = list_page(url, "faulty")
    assert r.status == 200 and b"<Key>blob.bin</Key>" in r.body, r
    assert not fp.errors, fp.errors


# mode, options, status of a GET and of a listing, how long each may take
S3_FAULTS = [
    ("refuse", {}, 503, 503, 3),
    ("garbage", {}, 502, 502, 3),  # a 200 without a length is no object; nor is it a listing
    ("junk", {}, 503, 503, 3),
    ("huge", {}, 502, 502, 5),  # 200, endless: no length for a GET; a listing past its 4 MiB cap
    ("huge", {"status": 503}, 503, 503, 5),  # an endless error document: its status decides
]


@pytest.mark.parametrize("mode,opts,get_status,list_status,bound", S3_FAULTS,
                         ids=[f"{m}{o.get('status', '')}" for m, o, *_ in S3_FAULTS])
def test_s3_backend_fault(fault_worker, s3_front, mode, opts, get_status, list_status, bound):
    url = fault_worker
    s3_front.set(mode, **opts)
    for call, status in ((get_blob, get_status), (list_page, list_status)):
        r, secs = timed(call, url, "faulty")
        expect_error(r, status, "ServiceUnavailable" if status == 503 else "InternalError")
        assert secs < bound, f"{mode} {call.__name__}: {secs:.1f} s"
    others_work(url)
    recovered(url, s3_front)


def test_s3_backend_headers_late(fault_worker, s3_front):
    """The backend timeout is 20 s: a GET and a listing both end in 503 then, while the
    other backends keep answering."""
    url = fault_worker
    s3_front.set("delay", delay=26)
    results = {}
    threads = [threading.Thread(target=lambda c=c: results.__setitem__(c.__name__, timed(c, url, "faulty")))
               for c in (get_blob, list_page)]
    for t in threads:
        t.start()
    time.sleep(1)
    others_work(url)
    for t in threads:
        t.join(40)
    assert len(results) == 2, f"no answer: {results}"
    for name, (r, secs) in results.items():
        expect_error(r, 503, "ServiceUnavailable")
        assert 19 <= secs < 25, f"{name}: {secs:.1f} s"
    recovered(url, s3_front)


def test_s3_backend_body_trickles(fault_worker, s3_front):
    """Headers on time, then one byte a second. A listing (read whole) is 503 within the
    20 s timeout. An object is streamed as it comes: the client has 200, the full
    Content-Length and the first bytes at once, and its own read timeout decides."""
    url = fault_worker
    s3_front.set("trickle", interval=1)
    listing = {}
    t = threading.Thread(target=lambda: listing.__setitem__("r", timed(list_page, url, "faulty")))
    t.start()
    c = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=5)
    try:
        t0 = time.monotonic()
        c.request("GET", "/f/faulty/blob.bin")
        r = c.getresponse()
        assert r.status == 200 and r.getheader("content-length") == str(len(BLOB))
        first = r.read(2)
        assert first == BLOB[:2] and time.monotonic() - t0 < 5
    finally:
        c.close()  # the client gives up; the Worker drops the backend's stream
    others_work(url)
    t.join(40)
    assert "r" in listing, "the listing never answered"
    r, secs = listing["r"]
    expect_error(r, 503, "ServiceUnavailable")
    assert secs < 24, f"listing: {secs:.1f} s"
    recovered(url, s3_front)


def test_s3_backend_cut_mid_body(fault_worker, s3_front):
    """The backend closes the connection halfway through an object the proxy is already
    streaming: the client sees 200 with the full Content-Length and then the connection
    closing short of it (a failed transfer), never a complete-looking short body; so do
    curl and boto3. A listing cut short is 503."""
    url = fault_worker
    s3_front.set("cut")
    c = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=10)
    try:
        c.request("GET", "/f/faulty/blob.bin")
        r = c.getresponse()
        assert r.status == 200 and r.getheader("content-length") == str(len(BLOB)), r.getheaders()
        with pytest.raises(http.client.IncompleteRead) as e:
            r.read()
        assert len(e.value.partial) < len(BLOB) and BLOB.startswith(e.value.partial)
    finally:
        c.close()
    # curl: exit 18 (CURLE_PARTIAL_FILE, "transfer closed with N bytes remaining to read")
    curl = shutil.which("curl")
    assert curl, "curl not found (Debian package curl)"
    out = subprocess.run([curl, "-sS", "-o", "/dev/null", "--noproxy", "*", url + "/f/faulty/blob.bin"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 18 and "bytes remaining" in out.stderr, (out.returncode, out.stderr)
    # boto3: get_object succeeds (status and headers), reading its body raises
    body = boto3_client(url).get_object(Bucket="f", Key="faulty/blob.bin")["Body"]
    from botocore.exceptions import IncompleteReadError, ResponseStreamingError

    with pytest.raises((IncompleteReadError, ResponseStreamingError)):
        body.read()
    expect_error(list_page(url, "faulty"), 503, "ServiceUnavailable")
    others_work(url)
    recovered(url, s3_front)


# mode, options, status, how long it may take (the STS timeout is 5 s)
STS_FAULTS = [
    ("refuse", {}, 503, 3),
    ("delay", {"delay": 8}, 503, 7.5),
    ("trickle", {"interval": 0.5}, 503, 7.5),
    ("garbage", {}, 502, 3),  # 200 without usable credentials
    ("junk", {}, 503, 3),
    ("huge", {}, 502, 5),  # 200, past the 64 KiB cap: no usable credentials either
    ("huge", {"status": 503}, 503, 5),
    ("cut", {}, 503, 3),
]


def test_federation_sts_faults(fault_worker, sts_front, fault_sts):
    """A web-identity backend whose STS fails: 503 (down, late, trickling, cut) or 502 (a 200
    without usable credentials), each within the 5 s timeout; another web identity in the
    same Worker keeps reading; nothing is cached, so once the STS answers the read works."""
    url = fault_worker
    for mode, opts, status, bound in STS_FAULTS:
        sts_front.set(mode, **opts)
        before = sts_front.accepted[mode]
        r, secs = timed(raw, url, "GET", "/f/fedfaulty/hello.txt", timeout=30)
        expect_error(r, status, "ServiceUnavailable" if status == 503 else "InternalError")
        assert secs < bound, f"{mode}: {secs:.1f} s"
        assert mode == "refuse" or sts_front.accepted[mode] > before, f"{mode}: the STS was never asked"
        r = raw(url, "GET", "/f/fed/hello.txt")
        assert r.status == 200 and r.body == FED_OBJECTS["data/hello.txt"], (mode, r)
    sts_front.set("pass")
    asked = sts_front.accepted["pass"]
    for _ in range(2):
        r = raw(url, "GET", "/f/fedfaulty/hello.txt")
        assert r.status == 200 and r.body == FED_OBJECTS["data/hello.txt"], r
    assert sts_front.accepted["pass"] == asked + 1, "one exchange, then its credentials are reused"
    assert not sts_front.errors, sts_front.errors
