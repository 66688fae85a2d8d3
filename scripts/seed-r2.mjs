// Seeds LOCAL R2 (the state `wrangler dev --persist-to DIR` reads) with the sample tree.
// Run through scripts/seed-r2.sh, which sets up the env (Node 22, tools dir). See --help.
//
// Why not `wrangler r2 object put --local`: ~1 s per call, so 1200+ objects take 20 min.
// `wrangler r2 bulk put --local` is one call but sets one content type per call and ignores
// per-object failures. Instead this does what wrangler's local R2 commands do internally
// (wrangler-dist/cli.js `usingLocalBucket`): start Miniflare with the same persistence root
// (`<persist-to>/v3`) and the same bucket name, with a tiny Worker that writes what it is PUT
// to the R2 binding. One Miniflare start, all objects streamed concurrently over loopback.
import { spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";

const HELP = `usage: scripts/seed-r2.sh [--persist-to DIR] [--large-mib N] [--force] [--quiet]

Seeds local R2 bucket oidc-data-proxy-sample (binding DATA) with the sample tree of
scripts/sample_data.py, in the state dir that \`wrangler dev --persist-to DIR\` uses.
Idempotent: skips when the marker object ${"`_seed/version`"} holds the current sample
version (a hash of sample_data.py); re-seeds (overwrites) otherwise.

  --persist-to DIR  wrangler state dir (default: .wrangler/state of the repo, as \`make dev\`).
                    Relative paths are relative to the current directory, as in wrangler.
  --large-mib N     also seed demo/public-data/large/<N>mib.bin, a generated N MiB object
                    (every 8-byte big-endian word = its byte offset); skipped if present
                    with the right size. Not covered by the marker.
  --force           re-seed even if the marker says it is current.
  --quiet           print only the summary line.

Prints one summary line; exit status non-zero on any failed upload.`;

const { values: opt } = parseArgs({
  options: {
    "persist-to": { type: "string" }, "large-mib": { type: "string", default: "0" },
    force: { type: "boolean", default: false }, quiet: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opt.help) { console.log(HELP); process.exit(0); }

const root = process.env.ODP_ROOT;
const require = createRequire(path.join(process.env.ODP_NODE_MODULES, "wrangler", "package.json"));
const { Miniflare, convertV4MiniflareOptions } = require("miniflare");
const BUCKET = "oidc-data-proxy-sample";
const MARKER = "_seed/version";
const persistTo = path.resolve(opt["persist-to"] ?? path.join(root, ".wrangler", "state"));
const largeMib = parseInt(opt["large-mib"], 10) || 0;
const python = process.env.ODP_PYTHON;  // set by seed-r2.sh: the venv's if present
const sampleScript = path.join(root, "scripts", "sample_data.py");
const log = (...a) => { if (!opt.quiet) console.log(...a); };
const t0 = Date.now();

function py(args) {
  const r = spawnSync(python, [sampleScript, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`sample_data.py failed: ${r.stderr}`);
  return r.stdout.trim();
}

const mf = new Miniflare(convertV4MiniflareOptions({
  modules: true,
  // PUT /<key>: store the body with the JSON put options of the header.
  // GET /<key>: {"size"} or 404 (GET /<key>?body for the body).
  script: `export default { async fetch(req, env) {
    const url = new URL(req.url); const key = decodeURIComponent(url.pathname.slice(1));
    if (req.method === "PUT") {
      await env.BUCKET.put(key, req.body, JSON.parse(req.headers.get("x-put-options")));
      return new Response(null, { status: 204 });
    }
    const o = url.searchParams.has("body") ? await env.BUCKET.get(key) : await env.BUCKET.head(key);
    if (!o) return new Response(null, { status: 404 });
    return url.searchParams.has("body") ? new Response(o.body) : Response.json({ size: o.size });
  } }`,
  resourcePersistencePath: path.join(persistTo, "v3"),  // = wrangler's getDefaultPersistRoot()
  r2Buckets: { BUCKET: BUCKET },
}));

const keyUrl = (key, q = "") => `http://localhost/${encodeURIComponent(key)}${q}`;
async function put(key, body, size, options) {
  const res = await mf.dispatchFetch(keyUrl(key), {
    method: "PUT", body, duplex: "half",
    headers: { "content-length": String(size), "x-put-options": JSON.stringify(options) },
  });
  if (res.status !== 204) throw new Error(`PUT ${key}: ${res.status} ${await res.text()}`);
}
async function headSize(key) {
  const res = await mf.dispatchFetch(keyUrl(key));
  return res.status === 200 ? (await res.json()).size : null;
}

let status = 0;
try {
  await mf.ready;
  const version = py(["--version"]);
  const markerRes = await mf.dispatchFetch(keyUrl(MARKER, "?body"));
  const seeded = markerRes.status === 200 ? await markerRes.text() : null;
  const largeKey = `demo/public-data/large/${largeMib}mib.bin`;
  const needLarge = largeMib > 0 && (opt.force || (await headSize(largeKey)) !== largeMib * 1048576);
  if (seeded === version && !opt.force && !needLarge) {
    console.log(`seed-r2: already seeded (version ${version}) in ${persistTo} [${Date.now() - t0} ms]`);
  } else {
    const tmp = mkdtempSync(path.join(tmpdir(), "odp-sample-"));
    try {
      py([tmp, ...(needLarge ? ["--large-mib", String(largeMib)] : [])]);
      const manifest = JSON.parse(readFileSync(path.join(tmp, "manifest.json"), "utf8"));
      let objs = manifest.objects;
      if (seeded === version && !opt.force) objs = objs.filter((o) => o.key === largeKey);
      log(`seed-r2: uploading ${objs.length} objects to ${BUCKET} in ${persistTo}`);
      // Bounded concurrency: enough to hide per-request latency on 2 cores.
      let next = 0;
      const worker = async () => {
        while (next < objs.length) {
          const o = objs[next++];
          await put(o.key, Readable.toWeb(createReadStream(o.file)), o.size, {
            httpMetadata: {
              contentType: o.content_type, contentEncoding: o.content_encoding, cacheControl: o.cache_control,
            },
            customMetadata: o.custom_metadata,
          });
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      // Marker last: an interrupted seed is redone next time.
      await put(MARKER, version, Buffer.byteLength(version), { httpMetadata: { contentType: "text/plain" } });
      console.log(`seed-r2: seeded ${objs.length} objects (version ${version}) in ${persistTo} [${Date.now() - t0} ms]`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
} catch (e) {
  console.error(`seed-r2: FAILED: ${e.stack ?? e}`);
  status = 1;
} finally {
  await mf.dispose();
}
process.exit(status);
