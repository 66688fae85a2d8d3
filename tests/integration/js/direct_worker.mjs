// The built Worker in workerd (Miniflare, as `wrangler dev` runs it), reached through a
// direct socket that bypasses Miniflare's entry worker. That entry worker emulates the
// Cloudflare edge's compression of text types without honouring `Cache-Control:
// no-transform` (the edge does), so only this socket shows exactly what the Worker sends.
//
//   node direct_worker.mjs CONFIG.json
//   CONFIG: {"build": DIR, "persist": DIR, "compatibility_date": ..., "compatibility_flags": [...],
//            "vars": {...}, "r2": {"DATA": "bucket"}}
// Prints `direct-worker ready <url>` once listening; stops on SIGTERM/SIGINT.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const require = createRequire(path.join(process.env.ODP_NODE_MODULES, "wrangler", "package.json"));
const { Miniflare, convertV4MiniflareOptions } = require("miniflare");

const mf = new Miniflare(convertV4MiniflareOptions({
  modulesRoot: cfg.build,
  modules: [
    { type: "ESModule", path: path.join(cfg.build, "index.js") },
    { type: "CompiledWasm", path: path.join(cfg.build, "index_bg.wasm") },
  ],
  compatibilityDate: cfg.compatibility_date,
  compatibilityFlags: cfg.compatibility_flags ?? [],
  bindings: cfg.vars,
  r2Buckets: cfg.r2,
  resourcePersistencePath: path.join(cfg.persist, "v3"), // wrangler's layout under --persist-to
  host: "127.0.0.1",
  port: 0,
  unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
}));

await mf.ready;
const direct = await mf.unsafeGetDirectURL();
console.log(`direct-worker ready ${direct.href}`);
const stop = () => mf.dispose().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
