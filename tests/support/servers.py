"""HTTP servers of the test tools, on 127.0.0.1 only: the threaded server and JSON handler
that the dev IdP (scripts/dev-idp.py) and the catalog stub (stub_catalog.py) run as
processes of their own, and in-thread servers for a test (LoopbackServer; StubS3, an
S3-ish backend that records every request line).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"  # loopback only, never configurable


class BadRequest(Exception):
    """A request the handler answers 400 (the message is the answer's `message`)."""


class Server(ThreadingHTTPServer):
    daemon_threads = True


class JsonHandler(BaseHTTPRequestHandler):
    """Plumbing of a JSON API handler: HTTP/1.1 keep-alive, quiet unless `verbose`, bodies
    with Content-Length and Cache-Control, a client that went away is not an error."""

    protocol_version = "HTTP/1.1"
    server_name = "stub"  # the Server header and the log prefix
    verbose = False
    json_newline = False  # end JSON bodies with a newline
    max_body = 64 * 1024

    def version_string(self):
        return self.server_name

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write(f"{self.log_prefix}: {self.address_string()} {fmt % args}\n")

    @property
    def log_prefix(self) -> str:
        return self.server_name

    def send_body(self, status: int, body: bytes, ctype: str = "application/json", cache: str = "no-store") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", cache)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout tests)

    def send_json(self, status: int, obj, cache: str = "no-store") -> None:
        self.send_body(status, json.dumps(obj).encode("utf-8") + (b"\n" if self.json_newline else b""),
                       cache=cache)

    def send_error_json(self, status: int, message: str) -> None:
        self.send_json(status, {"error": HTTPStatus(status).phrase, "message": message})

    def read_json(self):
        """The request's JSON body ({} when empty); BadRequest for chunked, oversized or not JSON."""
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise BadRequest("chunked bodies are not supported: send Content-Length")
        if length and not length.isdigit():
            self.close_connection = True
            raise BadRequest("bad Content-Length")
        n = int(length) if length else 0
        if n > self.max_body:
            self.close_connection = True
            if n <= 16 * self.max_body:
                self.rfile.read(n)  # so the client is not reset while still sending
            raise BadRequest(f"body larger than {self.max_body} bytes")
        raw = self.rfile.read(n) if n else b""
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError as e:
            raise BadRequest(f"body is not JSON: {e}") from None


def bind(name: str, port: int, handler=None) -> Server | None:
    """A Server on 127.0.0.1:`port` (0: any free one), or None after saying why on stderr."""
    try:
        return Server((HOST, port), handler)
    except OSError as e:
        print(f"{name}: cannot listen on {HOST}:{port}: {e.strerror or e}", file=sys.stderr)
        return None


def serve(server: Server, ready_line: str) -> int:
    """Prints the ready line (what the harness waits for), then serves until SIGTERM or Ctrl-C."""

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    print(ready_line, flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


@dataclass
class Recorded:
    method: str
    target: str  # request-target exactly as received (path + '?' + query)
    headers: dict


class LoopbackServer:
    """An HTTP server on 127.0.0.1 (a free port) in a daemon thread; subclasses build the
    handler class and call `_serve` with it."""

    def _serve(self, handler) -> None:
        self.server = Server((HOST, 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class StubS3(LoopbackServer):
    """An anonymous S3-ish HTTP endpoint in a thread that records every request
    line exactly as it arrives on the wire. Objects: any key answers 200 with the
    body `stub:<request-target>`, plus backend-internal headers a proxy must drop.
    Listings: an empty ListBucketResult."""

    LEAKY = {
        "x-amz-id-2": "stub-host-id",
        "x-amz-request-id": "STUBREQUESTID",
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:1:key/stub",
        "set-cookie": "stub=1; Path=/",
        "x-amz-bucket-region": "us-east-1",
    }

    def __init__(self):
        self.requests: list[Recorded] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "StubS3/1.0"

            def log_message(self, *a):  # quiet
                pass

            def _answer(self, with_body: bool):
                stub.requests.append(Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                path, _, query = self.path.partition("?")
                if path.count("/") == 1 and ("list-type" in query or "prefix" in query or not query):
                    body = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
                            b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>stub-bucket</Name>'
                            b'<Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>'
                            b'<IsTruncated>false</IsTruncated></ListBucketResult>')
                    ctype = "application/xml"
                else:
                    body = b"stub:" + self.path.encode()
                    ctype = "text/plain"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", '"0123456789abcdef0123456789abcdef"')
                self.send_header("Last-Modified", "Sun, 01 Nov 2026 00:00:00 GMT")
                for k, v in StubS3.LEAKY.items():
                    self.send_header(k, v)
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def do_GET(self):
                self._answer(True)

            def do_HEAD(self):
                self._answer(False)

        self._serve(Handler)
