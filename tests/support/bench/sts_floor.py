"""The STS floor: a plain JS Worker doing what the proxy does in one AssumeRoleWithWebIdentity
exchange, with the proxy's rules and nothing more (RS256 through WebCrypto against the issuer's
JWKS, cached per isolate; the claim checks; fresh credentials; the session sealed with AES-GCM;
the same XML answer and headers), measured beside the proxy's exchanges in the STS part
(tests/support/bench/sts.py): what the runtime itself costs per exchange. Path flags take parts
of it away or add the proxy's one log line, to split the runtime's cost."""

from __future__ import annotations

import base64
from pathlib import Path

from support.bench.setup import start_wrangler, write_config
from support.procs import Proc

# Workers measured, as (name, path): path flags /log, /noverify and /noseal before /.sts.
VARIANTS = (("floor", "/.sts"), ("floor + line", "/log/.sts"), ("floor − verify", "/noverify/.sts"),
            ("floor − seal", "/noseal/.sts"), ("bare request", "/bare/.sts"))

STS_FLOOR_JS = r"""// The floor of an STS exchange: the proxy's steps and rules for a form POST, nothing more.
// Flags in the path before /.sts: /log writes one console.log line with the fields of the proxy's
// `sts exchange` line; /noverify skips crypto.subtle.verify; /noseal skips AES-GCM (the session JSON
// goes out in clear, padded to the sealed length, so the answer keeps its size); /bare reads the body and
// answers the same XML with random credentials of the same sizes, nothing else (the runtime's own share).
// Not done (the proxy does): refusing JSON with repeated member names, ES256, query parameters,
// session policies, JWKS refresh rules (here: fetched once per isolate).
const NS = "https://sts.amazonaws.com/doc/2011-06-15/";
const NAME = /^[\w+=,.@-]+$/, B64URL = /^[A-Za-z0-9_-]*$/;
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
const LEEWAY = 60;
const enc = new TextEncoder(), dec = new TextDecoder();
let keys = null;  // kid -> CryptoKey (RS256) of env.ISSUER, once per isolate
let seal = null;  // [AES-GCM CryptoKey, key id: first 4 bytes of SHA-256(key)], once per isolate

const rand = (n) => crypto.getRandomValues(new Uint8Array(n));
const b64 = (u8) => { let s = ""; for (const b of u8) s += String.fromCharCode(b); return btoa(s); };
const b64url = (u8) => b64(u8).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);
const hex = (u8) => u8.reduce((s, b) => s + b.toString(16).padStart(2, "0"), "");
function unb64url(s) {
  if (!B64URL.test(s) || s.length % 4 === 1) throw new Error("not base64url");
  return Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4)),
                         (c) => c.charCodeAt(0));
}
function object(part) {
  const v = JSON.parse(dec.decode(unb64url(part)));
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
  return v;
}

class Denied extends Error {
  constructor(status, code) { super(code); this.status = status; }
}
const deny = (code, status = 400) => { throw new Denied(status, code); };

async function issuerKeys(env) {
  if (keys) return keys;
  const disc = await (await fetch(env.ISSUER + "/.well-known/openid-configuration")).json();
  if (disc.issuer !== env.ISSUER) deny("IDPCommunicationError");
  const set = await (await fetch(disc.jwks_uri)).json();
  const out = {};
  for (const k of set.keys || []) {
    if (k.kty !== "RSA" || !k.kid) continue;
    out[k.kid] = await crypto.subtle.importKey("jwk", { kty: "RSA", n: k.n, e: k.e },
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
  }
  return (keys = out);
}

async function sealKey(env) {
  if (seal) return seal;
  const raw = Uint8Array.from(atob(env.SESSION_TOKEN_KEY), (c) => c.charCodeAt(0));
  const id = new Uint8Array(await crypto.subtle.digest("SHA-256", raw)).slice(0, 4);
  return (seal = [await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt"]), id]);
}

// The form's parameters: a name given twice with different values is refused, as the proxy does.
function params(body) {
  const p = new Map();
  for (const [k, v] of new URLSearchParams(body)) {
    if (p.has(k) && p.get(k) !== v) deny("InvalidParameterValue");
    p.set(k, v);
  }
  if (p.get("Action") !== "AssumeRoleWithWebIdentity") deny("InvalidAction");
  if (p.has("Version") && p.get("Version") !== "2011-06-15") deny("InvalidParameterValue");
  if (p.has("PolicyArns.member.1.arn") || p.has("Policy")) deny("InvalidParameterValue");
  const arn = p.get("RoleArn");
  if (arn === undefined) deny("MissingParameter");
  const role = !arn.startsWith("arn:") ? arn
    : (arn.split(":").slice(5).join(":").match(/^role\/(?:.*\/)?([^/]+)$/) || [])[1];
  if (role !== "_default") deny("ValidationError");
  const token = (p.get("WebIdentityToken") ?? deny("MissingParameter")).trim();
  if (token.length < 4 || token.length > 20000) deny("ValidationError");
  const name = p.get("RoleSessionName");
  if (name !== undefined && (name.length < 2 || name.length > 64 || !NAME.test(name))) deny("ValidationError");
  let duration = 3600;
  if (p.has("DurationSeconds")) {
    duration = /^[0-9]+$/.test(p.get("DurationSeconds")) ? Number(p.get("DurationSeconds")) : 0;
    if (duration < 900 || duration > 43200) deny("ValidationError");
  }
  return { arn, role, token, name, duration };
}

async function exchange(req, env, flags) {
  if (Number(req.headers.get("content-length") || 0) > 65536) deny("RequestEntityTooLarge", 413);
  const body = await req.text();
  if (body.length > 65536) deny("RequestEntityTooLarge", 413);
  const q = params(body);
  const parts = q.token.split(".");
  if (parts.length !== 3) deny("InvalidIdentityToken");
  let header, claims, sig;
  try {
    header = object(parts[0]);
    claims = object(parts[1]);
    sig = unb64url(parts[2]);
  } catch {
    deny("InvalidIdentityToken");
  }
  if (header.alg !== "RS256" || "crit" in header || "cty" in header) deny("InvalidIdentityToken");
  if ("typ" in header && !/^(jwt|application\/jwt)$/i.test(header.typ)) deny("InvalidIdentityToken");
  if (typeof header.kid !== "string" || !header.kid || !sig.length) deny("InvalidIdentityToken");
  // Trust first: a foreign issuer costs no fetch.
  if (claims.iss !== env.ISSUER) deny("InvalidIdentityToken");
  const key = (await issuerKeys(env))[header.kid] ?? deny("InvalidIdentityToken");
  if (!flags.has("noverify")) {
    const input = enc.encode(q.token.slice(0, q.token.lastIndexOf(".")));
    if (!(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, sig, input))) deny("InvalidIdentityToken");
  }
  const now = Math.floor(Date.now() / 1000);
  const date = (n) => (claims[n] === undefined ? undefined
    : typeof claims[n] === "number" && isFinite(claims[n]) ? Math.floor(claims[n]) : deny("InvalidIdentityToken"));
  const exp = date("exp") ?? deny("InvalidIdentityToken");
  if (now >= exp + LEEWAY) deny("ExpiredTokenException");
  for (const n of ["nbf", "iat"]) if (date(n) > now + LEEWAY) deny("InvalidIdentityToken");
  const auds = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const aud = auds.find((a) => typeof a === "string" && a && a === env.AUDIENCE) ?? deny("InvalidIdentityToken");
  if (typeof claims.sub !== "string" || !claims.sub) deny("InvalidIdentityToken");

  // ASIA + 16 base32 characters of 10 random bytes; a 40-character secret; a session id.
  let akid = "ASIA", acc = 0, bits = 0;
  for (const b of rand(10)) {
    acc = ((acc << 8) | b) & 0xffff;
    for (bits += 8; bits >= 5; ) akid += B32[(acc >> (bits -= 5)) & 31];
  }
  const secret = b64(rand(30));
  const name = q.name ?? claims.sub.replace(/[^\w+=,.@-]/g, "-").slice(0, 64).padEnd(2, "-");
  const expires = now + q.duration, sid = b64url(rand(12));
  const json = enc.encode(JSON.stringify({ k: akid, s: secret, i: claims.iss, u: claims.sub, r: q.role, c: ["*"],
    n: name, a: aud, e: expires, d: sid }));
  const [aes, kid] = await sealKey(env);
  const nonce = rand(12);
  const sealed = flags.has("noseal") ? new Uint8Array(json.length + 16)
    : new Uint8Array(await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: enc.encode("odp-session-v1" + akid) }, aes, json));
  if (flags.has("noseal")) sealed.set(json);
  const raw = new Uint8Array(17 + sealed.length);
  raw[0] = 1;
  raw.set(kid, 1);
  raw.set(nonce, 5);
  raw.set(sealed, 17);
  const token = b64url(raw);
  if (token.length > 4096) deny("InternalError", 500);
  return { akid, secret, token, expires, sub: claims.sub, iss: claims.iss, aud, role: q.role, name, sid };
}

function xml(m, rid) {
  const e = (n, v) => `<${n}>${esc(v)}</${n}>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<AssumeRoleWithWebIdentityResponse xmlns="${NS}">` +
    "<AssumeRoleWithWebIdentityResult><Credentials>" + e("AccessKeyId", m.akid) + e("SecretAccessKey", m.secret) +
    e("SessionToken", m.token) + e("Expiration", new Date(m.expires * 1000).toISOString().slice(0, 19) + "Z") +
    "</Credentials>" + e("SubjectFromWebIdentityToken", m.sub) + "<AssumedRoleUser>" +
    e("Arn", `arn:aws:sts::000000000000:assumed-role/${m.role}/${m.name}`) + e("AssumedRoleId", `${m.akid}:${m.name}`) +
    "</AssumedRoleUser>" + e("Provider", m.iss) + e("Audience", m.aud) + "</AssumeRoleWithWebIdentityResult>" +
    "<ResponseMetadata>" + e("RequestId", rid) + "</ResponseMetadata></AssumeRoleWithWebIdentityResponse>";
}

export default {
  async fetch(req, env) {
    const t0 = Date.now();
    const parts = new URL(req.url).pathname.split("/");
    if (parts.at(-1) !== ".sts") return new Response("ready");  // the harness's readiness probe
    const flags = new Set(parts);
    const rid = hex(rand(8)).toUpperCase();
    let m, status = 200, text;
    try {
      if (req.method !== "POST") deny("MethodNotAllowed", 405);
      m = !flags.has("bare") ? await exchange(req, env, flags)
        : await req.text().then(() => ({ akid: "ASIA" + hex(rand(8)).toUpperCase(), secret: b64(rand(30)),
            token: b64url(rand(249)), expires: Math.floor(t0 / 1000) + 3600, sub: env.SUBJECT, iss: env.ISSUER,
            aud: env.AUDIENCE, role: "_default", name: "bench-bare" }));
      text = xml(m, rid);
    } catch (e) {
      if (!(e instanceof Denied)) throw e;
      status = e.status;
      text = `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type>` +
        `<Code>${e.message}</Code></Error><RequestId>${rid}</RequestId></ErrorResponse>`;
    }
    const out = enc.encode(text);
    if (flags.has("log")) {
      // The proxy's line: its request-line fields, then the exchange's (in its order).
      console.log(JSON.stringify({ level: "info", msg: "sts exchange", request_id: rid, method: req.method,
        route: "sts", status, bytes: out.length, principal: "anonymous", duration_ms: Date.now() - t0,
        ...(m ? { access_key_id: m.akid, audience: m.aud, expires_at: m.expires, issuer: m.iss, result: "issued",
                  role: m.role, session: m.name, session_id: m.sid, subject: m.sub } : { result: "denied" }) }));
    }
    return new Response(out, { status, headers: { "content-type": "text/xml", "cache-control": "no-store",
                                                   "x-amz-request-id": rid } });
  },
};
"""


def start_sts_floor(env: dict[str, str], state: Path, logs: Path, issuer: str, audience: str, subject: str,
                    session_key: bytes) -> tuple[Proc, str]:
    """The JS floor Worker, trusting `issuer` for `audience`, sealing under `session_key`; /bare answers
    for `subject`."""
    (logs / "stsfloor").mkdir(exist_ok=True)
    (logs / "stsfloor" / "stsfloor.mjs").write_text(STS_FLOOR_JS)
    vars_ = {"ISSUER": issuer, "AUDIENCE": audience, "SUBJECT": subject, "SESSION_TOKEN_KEY": base64.b64encode(session_key).decode()}
    cfg = write_config(logs / "stsfloor" / "wrangler.json", logs / "stsfloor" / "stsfloor.mjs", None, vars_,
                       "odp-bench-stsfloor")
    return start_wrangler(env, cfg, state, logs, "stsfloor")
