#!/usr/bin/env python3
"""Local OpenID identity provider for oidc-data-proxy's development and tests.

NOT an identity provider for anything real: anyone who can reach it gets a token
for any subject. It listens on 127.0.0.1 only.

    python scripts/dev-idp.py [--port 8788] [--state-dir DIR] [--issuer URL] [-v]

Prints one line when it is ready:

    dev-idp ready url=http://127.0.0.1:8788 issuer=http://127.0.0.1:8788 state=DIR kids=KID,KID

Key ids are RFC 7638 JWK thumbprints (base64url SHA-256 of the key's required public members),
so a kid names exactly one key: two dev IdPs, or one restarted with a new state dir, never sign
different keys under the same kid (a relying party that cached one JWKS refetches on the new kid).

Endpoints (JSON in and out):

  GET  /.well-known/openid-configuration  discovery: issuer, jwks_uri (= {issuer}/jwks.json), ...
  GET  /jwks.json                         public keys (RFC 7517): RSA (RS256) and EC P-256 (ES256), oldest first
  POST /token                             mint an ID token, answers {"token", "alg", "kid", "header", "claims"}
  POST /rotate                            a new RSA key for new RS256 tokens ({"kty": "EC"}: a new EC key);
                                          the JWKS keeps serving the old keys. Answers {"kid", "kids"}
  GET  /stats                             how often discovery / jwks / token were asked ({"reset": true} by POST resets)
  GET/POST /control                       faults for negative tests of the relying party (see below)

POST /token body (all optional except `sub`, which may instead be listed in `omit`):

  sub        any JSON value (normally a non-empty string)
  aud        string or list (default: --audience, "oidc-data-proxy")
  iss        default: the issuer
  alg        RS256 (default) | ES256 | none | HS256-confused
               none            header alg "none", empty signature ("h.p.")
               HS256-confused  header alg "HS256", HMAC-SHA256 keyed with the RSA public key's
                               SubjectPublicKeyInfo PEM (the classic key-confusion attack)
             Both carry the current RSA kid, so only their alg makes them invalid.
  kid        key to sign with: a kid of the JWKS that fits alg (default the newest key of its kind)
  ttl        seconds until exp (default --ttl, 600)
  iat, nbf, exp   absolute values replacing the defaults (now, now, now + ttl); any JSON value
  claims     extra claims, applied over the defaults (so they can also replace iss/sub/aud/...)
  omit       claim names to drop after all that, e.g. ["exp"]
  header     JWT header fields to set or replace (e.g. {"kid": "unknown"}), before signing
  header_omit  header fields to drop, e.g. ["kid"]

POST /control body replaces the whole fault set ({} clears it); GET /control shows it:

  discovery_issuer   the `issuer` the discovery document claims (mismatch tests)
  jwks_uri           the discovery document's jwks_uri
  discovery_status, jwks_status   answer this HTTP status (with a JSON error body) instead
  discovery_delay, jwks_delay     seconds to wait before answering (timeout tests)
  jwks_padding       bytes of filler added to the JWKS document (size-cap tests)

Keys persist in --state-dir as PKCS#8 PEM files (rsa-N.pem, ec-N.pem, mode 0600; N orders
them, the newest signs), so a restart keeps them and their kids; delete the directory for fresh keys.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

# The HTTP plumbing is the test tools' (tests/support/servers.py): loopback only, JSON in and out.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.servers import HOST, BadRequest, JsonHandler, bind, serve  # noqa: E402

ALGS = ("RS256", "ES256", "none", "HS256-confused")
KEY_FILE = re.compile(r"^(rsa|ec)-([1-9][0-9]*)\.pem$")

_RS256 = RSAAlgorithm(RSAAlgorithm.SHA256)
_ES256 = ECAlgorithm(ECAlgorithm.SHA256)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact_json(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def public_jwk(kind: str, key) -> dict:
    """The public members of a key as a JWK (PyJWT also adds key_ops, which RFC 7517 says
    not to combine with `use`, so only these are kept)."""
    if kind == "rsa":
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"]}
    jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)  # x, y: 32 bytes each
    return {"kty": "EC", "crv": jwk["crv"], "x": jwk["x"], "y": jwk["y"]}


def thumbprint(jwk: dict) -> str:
    """RFC 7638: SHA-256 over the required members only, in lexicographic order, no whitespace."""
    required = ("e", "kty", "n") if jwk["kty"] == "RSA" else ("crv", "kty", "x", "y")
    return b64url(hashlib.sha256(compact_json({m: jwk[m] for m in required})).digest())


# --------------------------------------------------------------------------- keys


class KeyStore:
    """RSA and EC P-256 signing keys, persisted as PEM files in one directory."""

    def __init__(self, state_dir: Path):
        self.dir = state_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            os.chmod(self.dir, 0o700)
        except OSError:
            pass
        self._lock = threading.Lock()
        self.keys: dict[str, tuple[str, int, object]] = {}  # kid (thumbprint) -> (kind, n, private key)
        for path in sorted(self.dir.iterdir()):
            m = KEY_FILE.match(path.name)
            if m:
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
                self.keys[thumbprint(public_jwk(m.group(1), key))] = (m.group(1), int(m.group(2)), key)
        with self._lock:
            for kind in ("rsa", "ec"):
                if self.newest(kind) is None:
                    self._create(kind)

    def newest(self, kind: str) -> str | None:
        found = [(n, kid) for kid, (k, n, _) in self.keys.items() if k == kind]
        return max(found)[1] if found else None

    def _create(self, kind: str) -> str:
        """A new key in file rsa-(N+1) / ec-(N+1); returns its kid. Caller holds the lock."""
        n = max([num for k, num, _ in self.keys.values() if k == kind], default=0) + 1
        while True:
            name = f"{kind}-{n}"
            if kind == "rsa":
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            else:
                key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=self.dir)  # mode 0600
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(pem)
                os.link(tmp, self.dir / f"{name}.pem")  # never replaces an existing key file
            except FileExistsError:
                n += 1  # another process created this one meanwhile: take the next number
                continue
            finally:
                os.unlink(tmp)
            kid = thumbprint(public_jwk(kind, key))
            self.keys[kid] = (kind, n, key)
            return kid

    def rotate(self, kind: str = "rsa") -> str:
        with self._lock:
            return self._create(kind)

    def get(self, kid: str):
        with self._lock:
            return self.keys.get(kid)

    def kids(self) -> list[str]:
        with self._lock:
            return [kid for kid, _ in sorted(self.keys.items(), key=lambda kv: (kv[1][0] != "rsa", kv[1][1]))]

    def jwks(self) -> dict:
        out = []
        for kid in self.kids():
            kind, _, key = self.keys[kid]
            public = public_jwk(kind, key)
            alg = "RS256" if kind == "rsa" else "ES256"
            out.append({"kty": public.pop("kty"), "kid": kid, "use": "sig", "alg": alg, **public})
        return {"keys": out}

    def public_pem(self, kid: str) -> bytes:
        _, _, key = self.keys[kid]
        return key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


# --------------------------------------------------------------------------- tokens


def mint(store: KeyStore, issuer: str, default_aud, default_ttl: int, req: dict) -> dict:
    if not isinstance(req, dict):
        raise BadRequest("body must be a JSON object")
    known = {"sub", "aud", "iss", "alg", "kid", "ttl", "iat", "nbf", "exp", "claims", "omit", "header", "header_omit"}
    unknown = sorted(set(req) - known)
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)}")
    alg = req.get("alg", "RS256")
    if alg not in ALGS:
        raise BadRequest(f"alg must be one of {', '.join(ALGS)}")
    omit = req.get("omit", [])
    header_omit = req.get("header_omit", [])
    extra = req.get("claims", {})
    header_over = req.get("header", {})
    for name, val, typ in (("omit", omit, list), ("header_omit", header_omit, list),
                           ("claims", extra, dict), ("header", header_over, dict)):
        if not isinstance(val, typ):
            raise BadRequest(f"{name} must be a JSON {typ.__name__.replace('dict', 'object').replace('list', 'array')}")
    if "sub" not in req and "sub" not in omit:
        raise BadRequest("sub is required (or list it in omit)")
    ttl = req.get("ttl", default_ttl)
    if not isinstance(ttl, (int, float)) or isinstance(ttl, bool):
        raise BadRequest("ttl must be a number of seconds")

    kind = "ec" if alg == "ES256" else "rsa"
    kid = req.get("kid") or store.newest(kind)
    entry = store.get(kid) if isinstance(kid, str) else None
    if entry is None:
        raise BadRequest(f"no key {kid!r} (keys: {', '.join(store.kids())})")
    if entry[0] != kind:
        raise BadRequest(f"key {kid} cannot sign {alg}")

    now = int(time.time())
    claims = {
        "iss": req.get("iss", issuer),
        "sub": req.get("sub"),
        "aud": req.get("aud", default_aud),
        "iat": now,
        "nbf": now,
        "exp": now + int(ttl),
    }
    claims.update(extra)
    for name in ("iat", "nbf", "exp"):
        if name in req:
            claims[name] = req[name]
    for name in omit:
        claims.pop(name, None)

    header = {"alg": "HS256" if alg == "HS256-confused" else alg, "kid": kid, "typ": "JWT"}
    header.update(header_over)
    for name in header_omit:
        header.pop(name, None)

    signing_input = f"{b64url(compact_json(header))}.{b64url(compact_json(claims))}".encode("ascii")
    key = entry[2]
    if alg == "RS256":
        sig = _RS256.sign(signing_input, key)
    elif alg == "ES256":
        sig = _ES256.sign(signing_input, key)  # raw r||s (64 bytes), as JWS wants
    elif alg == "none":
        sig = b""
    else:  # HS256-confused
        sig = hmac.new(store.public_pem(kid), signing_input, hashlib.sha256).digest()
    token = f"{signing_input.decode('ascii')}.{b64url(sig)}"
    return {"token": token, "alg": alg, "kid": kid, "header": header, "claims": claims}


# --------------------------------------------------------------------------- HTTP

FAULT_FIELDS = {
    "discovery_issuer": str,
    "jwks_uri": str,
    "discovery_status": int,
    "jwks_status": int,
    "discovery_delay": (int, float),
    "jwks_delay": (int, float),
    "jwks_padding": int,
}


class IdP:
    def __init__(self, store: KeyStore, issuer: str, audience, ttl: int):
        self.store = store
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl
        self.prefix = urlsplit(issuer).path.rstrip("/")  # an issuer with a path serves below it
        self.lock = threading.Lock()
        self.faults: dict = {}
        self.stats = {"discovery": 0, "jwks": 0, "token": 0}

    def count(self, what: str) -> None:
        with self.lock:
            self.stats[what] += 1

    def discovery(self) -> dict:
        f = self.faults
        return {
            "issuer": f.get("discovery_issuer", self.issuer),
            "jwks_uri": f.get("jwks_uri", f"{self.issuer}/jwks.json"),
            "token_endpoint": f"{self.issuer}/token",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "claims_supported": ["iss", "sub", "aud", "iat", "nbf", "exp"],
        }


def make_handler(idp: IdP, verbose: bool):
    class Handler(JsonHandler):
        server_name = "oidc-data-proxy-dev-idp"
        log_prefix = "dev-idp"
        json_newline = True
        timeout = 30  # idle keep-alive connections

        def error(self, status: int, message: str) -> None:
            self.send_error_json(status, message)

        def route(self) -> str:
            path = urlsplit(self.path).path
            if idp.prefix and (path == idp.prefix or path.startswith(idp.prefix + "/")):
                path = path[len(idp.prefix):] or "/"
            return path.rstrip("/") or "/"

        def fault(self, what: str) -> bool:
            """Applies the configured delay/status for discovery or jwks; True if answered."""
            f = idp.faults
            delay = f.get(f"{what}_delay")
            if delay:
                time.sleep(delay)
            status = f.get(f"{what}_status")
            if status:
                self.error(status, f"injected {what} fault")
                return True
            return False

        # -- methods
        def do_GET(self):
            self.dispatch("GET")

        def do_HEAD(self):
            self.dispatch("GET")

        def do_POST(self):
            self.dispatch("POST")

        def do_PUT(self):
            self.dispatch("PUT")

        def do_DELETE(self):
            self.dispatch("DELETE")

        def dispatch(self, method: str) -> None:
            path = self.route()
            routes = {
                "/": ("GET",),
                "/.well-known/openid-configuration": ("GET",),
                "/jwks.json": ("GET",),
                "/token": ("POST",),
                "/rotate": ("POST",),
                "/stats": ("GET", "POST"),
                "/control": ("GET", "POST"),
            }
            if path not in routes or method not in routes[path]:
                if self.headers.get("Content-Length", "0") != "0" or self.headers.get("Transfer-Encoding"):
                    self.close_connection = True  # a body we do not read follows: end the connection
                if path not in routes:
                    return self.error(404, f"no route {path}")
                return self.error(405, f"{path} accepts {', '.join(routes[path])}")
            try:
                body = self.read_json() if method == "POST" else None
                self.handle_route(method, path, body)
            except BadRequest as e:
                self.error(400, str(e))

        def handle_route(self, method: str, path: str, body) -> None:
            if path == "/":
                self.send_json(200, {
                    "name": "oidc-data-proxy dev IdP (development and tests only)",
                    "issuer": idp.issuer,
                    "endpoints": ["/.well-known/openid-configuration", "/jwks.json",
                                  "POST /token", "POST /rotate", "/stats", "/control"],
                    "kids": idp.store.kids(),
                })
            elif path == "/.well-known/openid-configuration":
                idp.count("discovery")
                if not self.fault("discovery"):
                    self.send_json(200, idp.discovery(), cache="public, max-age=300")
            elif path == "/jwks.json":
                idp.count("jwks")
                if not self.fault("jwks"):
                    doc = idp.store.jwks()
                    pad = idp.faults.get("jwks_padding")
                    if pad:
                        doc["padding"] = "x" * pad
                    self.send_json(200, doc, cache="public, max-age=300")
            elif path == "/token":
                idp.count("token")
                self.send_json(200, mint(idp.store, idp.issuer, idp.audience, idp.ttl, body))
            elif path == "/rotate":
                kty = (body or {}).get("kty", "RSA") if isinstance(body, dict) else "RSA"
                if kty not in ("RSA", "EC"):
                    raise BadRequest('kty must be "RSA" or "EC"')
                kid = idp.store.rotate("rsa" if kty == "RSA" else "ec")
                self.send_json(200, {"kid": kid, "kids": idp.store.kids()})
            elif path == "/stats":
                with idp.lock:
                    snapshot = dict(idp.stats)
                    if method == "POST" and isinstance(body, dict) and body.get("reset"):
                        idp.stats = {k: 0 for k in idp.stats}
                self.send_json(200, snapshot)
            elif path == "/control":
                if method == "POST":
                    if not isinstance(body, dict):
                        raise BadRequest("body must be a JSON object")
                    for k, v in body.items():
                        typ = FAULT_FIELDS.get(k)
                        if typ is None:
                            raise BadRequest(f"unknown fault {k!r} (known: {', '.join(FAULT_FIELDS)})")
                        if not isinstance(v, typ) or isinstance(v, bool):
                            raise BadRequest(f"fault {k} has the wrong type")
                    idp.faults = dict(body)
                self.send_json(200, idp.faults)

    Handler.verbose = verbose
    return Handler


def main(argv=None) -> int:
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description="Local OpenID identity provider (development and tests only).")
    ap.add_argument("--port", type=int, default=8788, help="port on 127.0.0.1 (0 = any free port; default 8788)")
    ap.add_argument("--state-dir", type=Path, default=root / ".wrangler" / "dev-idp",
                    help="where the signing keys persist (default <repo>/.wrangler/dev-idp)")
    ap.add_argument("--issuer", help="issuer URL (default http://127.0.0.1:PORT)")
    ap.add_argument("--audience", default="oidc-data-proxy", help="default aud of minted tokens")
    ap.add_argument("--ttl", type=int, default=600, help="default token lifetime in seconds (600)")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)

    store = KeyStore(args.state_dir)
    server = bind("dev-idp", args.port)
    if server is None:
        return 1
    port = server.server_address[1]
    url = f"http://{HOST}:{port}"
    issuer = (args.issuer or url).rstrip("/")
    idp = IdP(store, issuer, args.audience, args.ttl)
    server.RequestHandlerClass = make_handler(idp, args.verbose)
    return serve(server, f"dev-idp ready url={url} issuer={issuer} state={args.state_dir} "
                         f"kids={','.join(store.kids())}")

if __name__ == "__main__":
    sys.exit(main())
