"""A recording HTTP/1.1 proxy on 127.0.0.1 in front of one real server (moto): every
request is relayed untouched (Host included, so SigV4 signatures still verify) and
recorded with what the answer cost, so a test can count backend requests and bytes.

    rp = RecordingProxy(moto_port)
    ... the Worker reads through rp.url ...
    rp.records  # [{"method", "path", "range", "if_match", "status", "bytes"}, ...]
"""

from __future__ import annotations

import http.client
import http.server
import threading

HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}


class RecordingProxy:
    def __init__(self, upstream_port: int):
        self.upstream = upstream_port
        self.records: list[dict] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _relay(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                up = http.client.HTTPConnection("127.0.0.1", proxy.upstream, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                    up.request(self.command, self.path, body=body, headers=headers)
                    r = up.getresponse()
                    data = r.read() if self.command != "HEAD" else b""
                    self.send_response(r.status)
                    for k, v in r.getheaders():
                        if k.lower() not in HOP and k.lower() != "content-length":
                            self.send_header(k, v)
                    clen = r.getheader("content-length")
                    self.send_header("Content-Length", clen if self.command == "HEAD" and clen else str(len(data)))
                    # One request per connection: nothing pooled can go stale between tests.
                    self.send_header("Connection", "close")
                    self.close_connection = True
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    up.close()
                with proxy._lock:
                    proxy.records.append({
                        "method": self.command, "path": self.path, "range": self.headers.get("range"),
                        "if_match": self.headers.get("if-match"), "status": r.status, "bytes": len(data),
                    })

            do_GET = do_HEAD = _relay

        http.server.ThreadingHTTPServer.request_queue_size = 128
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True, name=f"recproxy:{self.port}").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self.records)

    def since(self, mark: int) -> list[dict]:
        return self.snapshot()[mark:]

    def mark(self) -> int:
        with self._lock:
            return len(self.records)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
