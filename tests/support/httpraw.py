"""Raw HTTP requests (http.client sends the path exactly as given: no dot-segment
removal or re-encoding, unlike requests/urllib3) and S3 XML helpers."""

from __future__ import annotations

import http.client
import re
import socket
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote

S3NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


@dataclass
class Resp:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    method: str
    path: str

    def h(self, name: str) -> str | None:
        return self.headers.get(name)

    def __repr__(self) -> str:  # shows up in assertion messages
        hdrs = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
        return f"<{self.method} {self.path} -> {self.status} [{hdrs}] {self.body[:400]!r}>"


def raw(base_url: str, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
        timeout: float = 30) -> Resp:
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        elif method in ("PUT", "POST", "PATCH"):
            conn.putheader("Content-Length", "0")
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, r.headers, data, method, path)
    finally:
        conn.close()


@dataclass
class Upload:
    """What a raw-socket upload saw: the answer (status 0 when none came), and how much of
    the body went out before the server answered or closed."""
    resp: Resp
    sent: int
    send_error: str | None
    seconds: float


def _read_http_response(sock, method: str, path: str) -> Resp:
    """One HTTP/1.1 response from a socket (read until the server closes)."""
    import io

    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    if not data:
        return Resp(0, http.client.HTTPMessage(), b"", method, path)

    class _Sock:
        def makefile(self, *_a, **_k):
            return io.BytesIO(data)

    r = http.client.HTTPResponse(_Sock(), method=method)
    r.begin()
    try:
        body = r.read()
    except http.client.IncompleteRead as e:
        body = e.partial
    return Resp(r.status, r.headers, body, method, path)


def upload(base_url: str, method: str, path: str, headers: dict | None, body_size: int,
           chunked: bool = False, block: bytes | None = None, timeout: float = 120) -> Upload:
    """Sends a `body_size`-byte body over a raw socket, with Content-Length or chunked
    transfer encoding, from a thread, while this one reads the answer as a client that
    reads early would (the server may answer before the body is all sent).
    `block` is repeated to make the body (its first bytes may carry real parameters)."""
    import socket
    import threading
    import time

    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
    for k, v in (headers or {}).items():
        head += f"{k}: {v}\r\n"
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {body_size}\r\n"
    block = block or b"x" * 65536
    state = {"sent": 0, "error": None}

    def send() -> None:
        try:
            sock.sendall(head.encode() + b"\r\n")
            left = body_size
            first = True
            while left > 0:
                piece = block if first else b"x" * len(block)
                piece = piece[:min(left, len(piece))]
                first = False
                sock.sendall(b"%x\r\n%b\r\n" % (len(piece), piece) if chunked else piece)
                state["sent"] += len(piece)
                left -= len(piece)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError as e:
            state["error"] = repr(e)

    t0 = time.monotonic()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        resp = _read_http_response(sock, method, path)
    finally:
        sender.join(timeout)
        sock.close()
    return Upload(resp, state["sent"], state["error"], time.monotonic() - t0)


def send_bytes(base_url: str, data: bytes, method: str = "GET", timeout: float = 30) -> Resp:
    """Writes `data` to the server byte for byte (http.client refuses control characters,
    spaces and CRLF in targets and header values, which malformed requests need) and
    parses the answer. `method` tells the parser whether a body follows (HEAD)."""
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            # A server may answer (405, 413) and close before a large body is all sent;
            # the answer it gave is what counts, so read it if it is there.
            sent_error = e
        else:
            sent_error = None
        r = http.client.HTTPResponse(sock, method=method)
        try:
            r.begin()
        except (http.client.HTTPException, OSError):
            if sent_error is not None:
                raise sent_error from None
            raise
        body = r.read()
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        return Resp(r.status, r.headers, body, method, line)
    finally:
        sock.close()


def qkey(key: str) -> str:
    """Percent-encode a key for a URL path as SDKs do (keep '/')."""
    return quote(key, safe="/")


def strip_ns(tag: str) -> str:
    return tag.split("}", 1)[-1]


def parse_xml(body: bytes) -> ET.Element:
    return ET.fromstring(body)


def find(el: ET.Element, name: str) -> ET.Element | None:
    """Child by local name, with or without the S3 namespace."""
    for c in el:
        if strip_ns(c.tag) == name:
            return c
    return None


def findall(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if strip_ns(c.tag) == name]


def text(el: ET.Element, name: str) -> str | None:
    c = find(el, name)
    return None if c is None else (c.text or "")


def s3_error(resp: Resp) -> dict:
    """Asserts an S3 error document and returns its fields."""
    assert (resp.h("content-type") or "").startswith("application/xml"), resp
    root = parse_xml(resp.body)
    assert strip_ns(root.tag) == "Error", resp
    fields = {strip_ns(c.tag): (c.text or "") for c in root}
    assert fields.get("Code"), resp
    assert "Message" in fields, resp
    assert fields.get("RequestId"), resp
    assert fields["RequestId"] == resp.h("x-amz-request-id"), resp
    return fields


def list_keys(resp: Resp) -> tuple[list[str], list[str], ET.Element]:
    """(keys, common prefixes, root) of a ListBucketResult."""
    assert resp.status == 200, resp
    root = parse_xml(resp.body)
    assert root.tag == S3NS + "ListBucketResult", (root.tag, resp)
    keys = [text(c, "Key") for c in findall(root, "Contents")]
    prefixes = [text(c, "Prefix") for c in findall(root, "CommonPrefixes")]
    return keys, prefixes, root


_CODE = re.compile(rb"<Code>([^<]*)</Code>")


def code_of(body: bytes) -> str | None:
    """The <Code> of an S3 or STS error body, found without parsing (bodies under load)."""
    m = _CODE.search(body)
    return m.group(1).decode() if m else None


def tag(body: bytes, name: str) -> str | None:
    """The text of the first <name> element of a body, found without parsing."""
    m = re.search(rf"<{name}>([^<]*)</{name}>".encode(), body)
    return m.group(1).decode() if m else None
