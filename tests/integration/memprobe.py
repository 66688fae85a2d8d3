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
from harness import Proc


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


async def _heap(port: int, timeout: float) -> Heap:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as s:
        async with s.get(f"http://127.0.0.1:{port}/json") as r:
            targets = await r.json(content_type=None)
        urls = [t["webSocketDebuggerUrl"] for t in targets if t.get("webSocketDebuggerUrl")]
        if not urls:
            raise RuntimeError(f"no inspector target on {port}: {targets!r}")
        # wrangler's inspector proxy wants a local Origin from a client that sends a User-Agent.
        async with s.ws_connect(urls[0], max_msg_size=1 << 24, origin="http://localhost") as ws:
            # Ids far above the proxy's own (its keep-alives are answered to us too). The
            # proxy also replays every console message it buffered while no client was
            # connected: skip them.
            async def call(n: int, method: str) -> dict:
                await ws.send_str(json.dumps({"id": n, "method": method}))
                seen = []
                deadline = asyncio.get_running_loop().time() + timeout
                while True:
                    if asyncio.get_running_loop().time() > deadline:
                        raise RuntimeError(f"{method}: no answer; saw {seen[-8:]} ({len(seen)})")
                    try:
                        msg = await ws.receive(timeout=timeout)
                    except asyncio.TimeoutError:
                        raise RuntimeError(f"{method}: no answer; saw {seen[-8:]} ({len(seen)})") from None
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        raise RuntimeError(f"inspector closed: {msg.type} {msg.data!r} {msg.extra!r}")
                    d = json.loads(msg.data)
                    seen.append((d.get("id"), d.get("method"), str(d.get("error", ""))[:80]))
                    if d.get("id") == n:
                        if "error" in d:
                            raise RuntimeError(f"{method}: {d['error']}")
                        return d.get("result", {})

            # Without a forced collection: workerd left HeapProfiler.collectGarbage
            # unanswered (20 s) here, so `used` includes garbage not yet collected.
            u = await call(900_000_002, "Runtime.getHeapUsage")
            return Heap(int(u["usedSize"]), int(u["totalSize"]))


def heap_usage(port: int, timeout: float = 20.0) -> Heap:
    return asyncio.run(asyncio.wait_for(_heap(port, timeout), 3 * timeout))


def mib(n: int | None) -> str:
    return "-" if n is None else f"{n / (1 << 20):.2f}"
