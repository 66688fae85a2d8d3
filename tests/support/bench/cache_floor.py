"""The runtime's floors of the edge-cache latency read: two plain JS Workers under the same
wrangler/workerd as the proxy, so that what the runtime and Miniflare's Cache API cost in the
Worker's process can be subtracted from the proxy's figures.

- uncached floor: the bench's pass-through Worker (setup.PASS_JS): `fetch(backend + path)`
  with the client's `Range`, the backend's answer returned as it is;
- hit floor (HIT_FLOOR_JS): the Cache API work of the proxy's hit and nothing else. The
  proxy's hit (src/proxy/cached.rs `lookup` + `answer`, src/edge/platform.rs `cache_get`,
  src/edge/blobcache.rs `get`) matches the object's metadata entry (a small JSON, read whole
  and parsed), then the block's entry with a `Range` of the bytes it needs (here all of the
  block: a 206 from the cache), and answers with that body as it is. The floor does the same
  two matches on entries it stored on the path's first read (the fill, not measured)."""

from __future__ import annotations

from pathlib import Path

from support.bench.common import MOTO_BUCKET
from support.bench.cpu import task_cpu_ns, wrangler_tree
from support.bench.setup import PASS_JS, start_wrangler, write_config

HIT_FLOOR_JS = """const BASE = "https://floor.invalid";
const STORED = { "cache-control": "max-age=3600", "content-type": "application/octet-stream" };

function answer(body, start, end, meta) {
  return new Response(body, { status: 206, headers: {
    "content-type": "application/octet-stream", "accept-ranges": "bytes",
    "content-range": `bytes ${start}-${end}/${meta.size}`, "content-length": String(end - start + 1),
    "etag": meta.etag, "last-modified": meta.lastModified } });
}

export default {
  // The proxy's cache hit without the proxy: one entry per (path, range) read, stored whole
  // on the first read; later reads match the metadata, then the entry with a Range.
  async fetch(req, env) {
    const u = new URL(req.url);
    if (u.pathname === "/") return new Response("ready");  // the harness's readiness probe
    const m = /^bytes=(\\d+)-(\\d+)$/.exec(req.headers.get("range") || "");
    if (!m) return new Response("floor: only bytes=A-B", { status: 400 });
    const start = Number(m[1]), end = Number(m[2]), len = end - start + 1;
    const cache = caches.default;
    const metaKey = `${BASE}${u.pathname}/meta`, entryKey = `${BASE}${u.pathname}/${start}-${end}`;
    const hit = await cache.match(metaKey, { ignoreMethod: true });
    if (hit) {
      const meta = await hit.json();
      const got = await cache.match(new Request(entryKey, { headers: { range: `bytes=0-${len - 1}` } }),
                                    { ignoreMethod: true });
      if (!got || got.status !== 206) {
        return new Response(`floor: entry ${got ? got.status : "missing"}`, { status: 500 });
      }
      return answer(got.body, start, end, meta);
    }
    const r = await fetch(env.BACKEND + u.pathname, { headers: { range: m[0] } });
    if (r.status !== 206) return new Response(`floor: backend ${r.status}`, { status: 502 });
    const bytes = await r.arrayBuffer();
    const meta = { size: Number(r.headers.get("content-range").split("/")[1]), etag: r.headers.get("etag"),
                   lastModified: r.headers.get("last-modified") };
    await cache.put(entryKey, new Response(bytes, { headers: STORED }));
    await cache.put(metaKey, new Response(JSON.stringify(meta), { headers: STORED }));
    return answer(bytes, start, end, meta);
  },
};
"""


class JsFloor:
    """One of the floors under `wrangler dev` with an empty `--persist-to` (empty Cache API),
    reading `backend_url` (the recorder in front of moto) at `prefix`."""

    def __init__(self, env, logs: Path, name: str, js: str, backend_url: str, prefix: str):
        main = logs / f"{name}.mjs"
        main.write_text(js)
        backend = f"{backend_url}/{MOTO_BUCKET}/{prefix.rstrip('/')}"
        cfg = write_config(logs / name / "wrangler.json", main, None, {"BACKEND": backend}, f"odp-{name}")
        self.proc, self.url = start_wrangler(env, cfg, logs / f"{name}-state", logs, name)
        self.name = name
        self.port = int(self.url.rsplit(":", 1)[1])

    def object_url(self, key: str) -> str:
        return f"{self.url}/{key}"

    def cpu_ns(self) -> int:
        """CPU ns of the workerd running the Worker (and Miniflare's Cache API)."""
        return sum(task_cpu_ns(p)[0] for p in wrangler_tree(self.proc.popen.pid, self.port)["workerd"])


def start_floors(env, logs: Path, backend_url: str, prefix: str) -> tuple[JsFloor, JsFloor]:
    """(uncached floor, hit floor)."""
    unc = JsFloor(env, logs, "floor-uncached", PASS_JS, backend_url, prefix)
    try:
        hit = JsFloor(env, logs, "floor-hit", HIT_FLOOR_JS, backend_url, prefix)
    except BaseException:
        unc.proc.stop()
        raise
    return unc, hit
