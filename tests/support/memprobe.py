"""The Worker's own memory, read while it runs (`make soak`, `make load`).

- wasm linear memory and cache sizes: the `isolate stats` lines the Worker logs with
  ISOLATE_STATS_EVERY set (src/stats.rs), parsed from wrangler's log.
- the isolate's JS heap: V8's `Runtime.getHeapUsage` over the DevTools protocol, through
  wrangler dev's `--inspector-port` (without a forced collection: see `_heap`).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from support.procs import Proc


def inspector_port(proc: Proc) -> int:
    """The --inspector-port the harness gave this `wrangler dev`."""
    args = list(proc.popen.args)
    return int(args[args.index("--inspector-port") + 1])


def stats_lines(proc: Proc, since: int = 0) -> list[dict]:
    """Every `isolate stats` line in the Worker's log after byte offset `since`."""
    out = []
    for ln in proc.log_since(since).splitlines():
        i = ln.find("{")
        if i < 0 or "isolate stats" not in ln:
            continue
        try:
            d = json.loads(ln[i:])
        except ValueError:
            continue
        if d.get("msg") == "isolate stats":
            out.append(d)
    return out


@dataclass
class Heap:
    used: int  # bytes in use in the V8 heap (live and not yet collected)
    total: int  # bytes the V8 heap has reserved


class Inspector:
    """One DevTools connection to the Worker, held open for the whole run on a thread of its
    own: wrangler's inspector proxy buffers every console message while no client is
    connected and replays them all to the next one (after a load, minutes of them), so the
    connection is made before the load and its messages are read as they come."""

    def __init__(self, port: int, timeout: float = 30.0):
        import threading

        self.port, self.timeout = port, timeout
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.pending: dict[int, asyncio.Future] = {}
        self.next_id = 900_000_000  # far above the proxy's own ids (its answers reach us too)
        self.messages = 0
        self._run(self._connect())

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, self.timeout), self.loop).result()

    async def _connect(self) -> None:
        import aiohttp

        self.session = aiohttp.ClientSession()
        async with self.session.get(f"http://127.0.0.1:{self.port}/json") as r:
            targets = await r.json(content_type=None)
        urls = [t["webSocketDebuggerUrl"] for t in targets if t.get("webSocketDebuggerUrl")]
        if not urls:
            raise RuntimeError(f"no inspector target on {self.port}: {targets!r}")
        # The proxy wants a local Origin from a client that sends a User-Agent.
        self.ws = await self.session.ws_connect(urls[0], max_msg_size=1 << 26, origin="http://localhost")
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        import aiohttp

        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            self.messages += 1
            d = json.loads(msg.data)
            f = self.pending.pop(d.get("id"), None)
            if f is not None and not f.done():
                f.set_result(d)
        for f in self.pending.values():
            f.set_exception(RuntimeError("inspector connection closed"))

    async def _call(self, method: str, params: dict | None = None) -> dict:
        self.next_id += 1
        f = self.loop.create_future()
        self.pending[self.next_id] = f
        msg = {"id": self.next_id, "method": method, **({"params": params} if params else {})}
        await self.ws.send_str(json.dumps(msg))
        d = await f
        if "error" in d:
            raise RuntimeError(f"{method}: {d['error']}")
        return d.get("result", {})

    def call(self, method: str, params: dict | None = None) -> dict:
        """One DevTools method call; its `result` (RuntimeError on an `error` answer)."""
        return self._run(self._call(method, params))

    def heap(self) -> Heap:
        # Without a forced collection: workerd left HeapProfiler.collectGarbage unanswered
        # (20 s) here, so `used` includes garbage not yet collected.
        u = self._run(self._call("Runtime.getHeapUsage"))
        return Heap(int(u["usedSize"]), int(u["totalSize"]))

    def close(self) -> None:
        async def shut():
            await self.ws.close()
            await self.session.close()

        try:
            self._run(shut())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


def mib(n: int | None) -> str:
    return "-" if n is None else f"{n / (1 << 20):.2f}"
