"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1, in front of one real server, for the
fault tests (test_faults.py). The Worker is pointed at the proxy instead of the server;
the test switches the fault at runtime:

    fp = FaultProxy(upstream_port)           # or FaultProxy(port=P) and fp.upstream = ... later
    fp.set("trickle", interval=0.5)          # applies to connections accepted from now on
    fp.set("pass")

Modes (each connection gets the mode of the moment it is accepted):

  pass     relay the request and the answer untouched (but `Connection: close`, below)
  refuse   nothing listens: the port is closed, so a connection is refused
  delay    the answer's headers leave `delay` seconds late (default 30), then relay as `pass`
  trickle  the headers on time, then the body one byte every `interval` seconds (default 1),
           never its last byte: the answer never ends (until the peer gives up, or 5 min)
  garbage  `200 OK`, chunked, with a body of random bytes (neither JSON nor XML nor UTF-8)
  junk     random bytes that are not HTTP at all, then close
  huge     `status` (default 200), chunked, an endless body (`{"x":"xxxx…`) until the peer
           stops reading (at most 256 MiB)
  cut      the headers and the first `cut_at` bytes of the body (default half of its
           Content-Length), then the connection closes
  slow     the headers on time, then the whole body, `chunk` bytes (default 16384) every
           `interval` seconds (default 0.1); `slow_sent` gets the bytes of the body each such
           connection sent before it ended (short: the peer stopped reading)

One request per connection: the request goes upstream with `Connection: close` and the
answer comes back with `Connection: close`, so no pooled connection outlives a switch.
`accepted[mode]` counts the connections served in each mode (proof the fault was hit).
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from collections import Counter

MODES = ("pass", "refuse", "delay", "trickle", "garbage", "junk", "huge", "cut", "slow")
MAX_HEAD = 64 * 1024
HUGE_CAP = 256 << 20
TRICKLE_CAP_SECS = 300


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """(head including the blank line, bytes read past it)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before the end of the headers ({len(buf)} bytes)")
        buf += chunk
        if len(buf) > MAX_HEAD:
            raise ConnectionError("headers too large")
    end = buf.index(b"\r\n\r\n") + 4
    return buf[:end], buf[end:]


def _header(head: bytes, name: str) -> str | None:
    for line in head.split(b"\r\n")[1:]:
        k, sep, v = line.partition(b":")
        if sep and k.strip().lower() == name.encode():
            return v.strip().decode("latin-1")
    return None


def _with_close(head: bytes) -> bytes:
    """The head with `Connection: close` instead of any connection-management header."""
    lines = [ln for ln in head[:-4].split(b"\r\n")
             if ln.split(b":", 1)[0].strip().lower() not in (b"connection", b"keep-alive")]
    return b"\r\n".join(lines + [b"Connection: close"]) + b"\r\n\r\n"


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class FaultProxy:
    def __init__(self, upstream_port: int | None = None, port: int = 0):
        self.upstream = upstream_port
        self.mode, self.opts = "pass", {}
        self.accepted: Counter = Counter()
        self.errors: list[str] = []  # the proxy's own problems (not the injected faults)
        self.slow_sent: list[int] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._listener: socket.socket | None = None
        self.port = port
        self._listen()
        threading.Thread(target=self._accept_loop, daemon=True, name=f"faultproxy:{self.port}").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(self, mode: str, **opts) -> "FaultProxy":
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (modes: {', '.join(MODES)})")
        with self._lock:
            self.mode, self.opts = mode, opts
            if mode == "refuse" and self._listener is not None:
                self._close_listener()
            elif mode != "refuse" and self._listener is None:
                self._listen()
        return self

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            if self._listener is not None:
                self._close_listener()

    # ------------------------------------------------------------------ plumbing

    def _listen(self) -> None:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))  # the same port again after `refuse`
        s.listen(64)
        self.port = s.getsockname()[1]
        self._listener = s

    def _close_listener(self) -> None:
        """Stops listening at once (shutdown wakes a select() that still holds the socket,
        which a bare close would leave listening until it returns)."""
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._listener = None

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                listener = self._listener
            if listener is None:
                time.sleep(0.05)
                continue
            try:
                ready, _, _ = select.select([listener], [], [], 0.1)
                if not ready:
                    continue
                conn, _ = listener.accept()
            except (OSError, ValueError):  # closed by set("refuse") meanwhile
                continue
            with self._lock:
                mode, opts = self.mode, dict(self.opts)
                self.accepted[mode] += 1
            if mode == "refuse":  # accepted just before the switch
                conn.close()
                continue
            threading.Thread(target=self._serve, args=(conn, mode, opts), daemon=True).start()

    def _serve(self, client: socket.socket, mode: str, opts: dict) -> None:
        upstream = None
        try:
            client.settimeout(TRICKLE_CAP_SECS)
            head, body = _read_head(client)
            length = int(_header(head, "content-length") or 0)
            while len(body) < length:
                chunk = client.recv(65536)
                if not chunk:
                    return
                body += chunk
            if mode == "garbage":
                noise = b"\x00\xff\xfe garbage " + os.urandom(2048)
                client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                               + _chunk(noise) + b"0\r\n\r\n")
                return
            if mode == "junk":
                client.sendall(b"\x16\x03\x01 not http \xff\x00" + os.urandom(512) + b"\r\n\r\n")
                return
            if mode == "huge":
                status = int(opts.get("status", 200))
                client.sendall(b"HTTP/1.1 %d Huge\r\nContent-Type: application/json\r\n"
                               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" % status)
                client.sendall(_chunk(b'{"x":"'))
                filler, sent = _chunk(b"x" * 65536), 0
                while sent < HUGE_CAP:
                    client.sendall(filler)
                    sent += 65536
                return
            if self.upstream is None:
                raise ConnectionError("no upstream set")
            upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=TRICKLE_CAP_SECS)
            upstream.sendall(_with_close(head) + body)
            resp_head, rest = _read_head(upstream)
            resp_head = _with_close(resp_head)
            if mode == "delay":
                time.sleep(float(opts.get("delay", 30)))
            if mode == "trickle":
                self._trickle(client, upstream, resp_head, rest, float(opts.get("interval", 1)))
            elif mode == "slow":
                self._slow(client, upstream, resp_head, rest, int(opts.get("chunk", 16384)),
                           float(opts.get("interval", 0.1)))
            elif mode == "cut":
                total = int(_header(resp_head, "content-length") or 32)
                cut_at = int(opts.get("cut_at", max(1, total // 2)))
                while len(rest) < cut_at:
                    chunk = upstream.recv(65536)
                    if not chunk:
                        break
                    rest += chunk
                client.sendall(resp_head + rest[:cut_at])
            else:
                client.sendall(resp_head + rest)
                while chunk := upstream.recv(65536):
                    client.sendall(chunk)
        except (OSError, ConnectionError) as e:
            # The peer giving up (a timeout, a cancelled read) is what the faults provoke.
            if mode == "pass":
                self.errors.append(f"{mode}: {e!r}")
        finally:
            for s in (client, upstream):
                if s is not None:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    s.close()

    @staticmethod
    def _trickle(client: socket.socket, upstream: socket.socket, head: bytes, body: bytes,
                 interval: float) -> None:
        """Headers now, then one byte per interval, never the last one; returns when the
        client closes its side (or after TRICKLE_CAP_SECS)."""
        client.sendall(head)
        deadline = time.monotonic() + TRICKLE_CAP_SECS
        while time.monotonic() < deadline:
            if len(body) < 2:
                more = upstream.recv(65536)
                body += more
                if not more and len(body) < 2:
                    break
            else:
                client.sendall(body[:1])
                body = body[1:]
            ready, _, _ = select.select([client], [], [], interval)
            if ready and not client.recv(1):
                return  # the client closed
        ready, _, _ = select.select([client], [], [], max(0.0, deadline - time.monotonic()))

    def _slow(self, client: socket.socket, upstream: socket.socket, head: bytes, body: bytes, chunk: int,
              interval: float) -> None:
        """Headers now, then the body `chunk` bytes at a time, one every `interval` s, to its end."""
        sent = 0
        try:
            client.sendall(head)
            while True:
                while len(body) < chunk and (more := upstream.recv(65536)):
                    body += more
                if not body:
                    return
                client.sendall(body[:chunk])
                sent += len(body[:chunk])
                body = body[chunk:]
                time.sleep(interval)
        finally:
            with self._lock:
                self.slow_sent.append(sent)
