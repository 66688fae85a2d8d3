#!/usr/bin/env python3
"""Stub of the Source-Cooperative-compatible catalog API for the HTTP-catalog tests.

NOT a catalog for anything real. It listens on 127.0.0.1 only and serves the JSON fixtures in
tests/fixtures/catalog (the same files the Rust unit tests parse, so the two cannot drift):

    python tests/support/stub_catalog.py --jwks-url URL --issuer ISS --audience AUD \\
        --s3-endpoint URL [--port 0] [--fixtures DIR] [--slow-secs 10] [-v]

Prints one line when it is ready:

    stub-catalog ready url=http://127.0.0.1:PORT

Every /api/ request must carry `Authorization: Bearer <JWT>`, verified with PyJWT against the
JWKS at --jwks-url (the proxy's own /.well-known/jwks.json): RS256 only, header typ JWT and a
kid, signature, iss == --issuer, aud contains --audience, exp/iat (and nbf when present) with
--leeway seconds, a non-empty string sub. The JWKS is cached; an unknown kid refetches it at once
(and it is refetched anyway once older than --jwks-max-age). A token that fails answers 401.

Answers depend on the token's `sub`:

  GET /api/v1/products/{account}                     {"products": [...]} the products the sub
                                                     may see (disabled ones included: the proxy
                                                     filters them); 404 for an unknown account
  GET /api/v1/products/{account}/{product}           the product; 404 if unknown, or restricted
                                                     and the sub may not read it
  GET /api/v1/products/{account}/{product}/permissions
                                                     restricted: permissions/{account}/{product}.json
                                                     [sub] (default []); public/unlisted: ["read"];
                                                     404 when the product itself would be 404
  GET /api/v1/data-connections/{id}                  data-connections/{id}.json, its
                                                     details.endpoint rewritten from the fixtures'
                                                     placeholder to --s3-endpoint

`anonymous` (the sub of tokens minted for unauthenticated callers) sees public and unlisted
products only; any other sub sees those plus the restricted ones whose permissions give it
"read". Path segments are percent-decoded one by one, so an encoded `/`, `?` or `#` stays inside
its segment (and names no fixture).

Special names (as a product, or as an account for the listing), after the token is verified:
  error500   answers 500
  garbage    answers 200 with a body that is not JSON
  slow       answers after --slow-secs seconds (default 10), then like a normal product
  denied401  answers 401 (as if the catalog refused the token)
  denied403  answers 403 (as if the catalog refused this principal)

Test endpoints (no token needed):
  GET    /_requests   every /api/ request so far, oldest first: method, path (raw, as received),
                      query, segments (decoded), sub, verified, reason (why a token failed),
                      kid, claims (of a verified token), token (the raw bearer token, for
                      relying-party checks by the tests; this is a test stub), status
  DELETE /_requests   forget them
  GET    /_health     {"ok": true, "jwks_fetches": N}
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

import jwt
from jwt.algorithms import RSAAlgorithm

if __name__ == "__main__":  # run as a script: `support` is the directory above this one
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.servers import HOST, JsonHandler, bind, serve  # noqa: E402

PLACEHOLDER_ENDPOINT = "http://s3.placeholder.invalid"
ANONYMOUS = "anonymous"
SPECIALS = ("error500", "garbage", "slow", "denied401", "denied403")
MAX_RECORDS = 10_000
MAX_JWKS_BYTES = 256 * 1024


class Unauthorized(Exception):
    pass


class Jwks:
    """The verifier's keys by kid: cached, refetched on an unknown kid or when older than max_age."""

    def __init__(self, url: str, max_age: float):
        self.url = url
        self.max_age = max_age
        self.keys: dict[str, object] = {}
        self.fetched_at = 0.0
        self.fetches = 0
        self.lock = threading.Lock()

    def key(self, kid: str):
        with self.lock:
            stale = time.monotonic() - self.fetched_at > self.max_age
            if stale or kid not in self.keys:
                try:
                    self._refresh()
                except Unauthorized:
                    if kid not in self.keys:
                        raise
            return self.keys.get(kid)

    def _refresh(self) -> None:
        try:
            with urllib.request.urlopen(self.url, timeout=5) as r:
                doc = json.loads(r.read(MAX_JWKS_BYTES + 1)[:MAX_JWKS_BYTES])
        except (OSError, ValueError) as e:
            raise Unauthorized(f"JWKS {self.url} unavailable: {e}") from None
        keys = {}
        for jwk in doc.get("keys", []) if isinstance(doc, dict) else []:
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not isinstance(jwk.get("kid"), str):
                continue
            if jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") != "RS256":
                continue
            try:
                keys[jwk["kid"]] = RSAAlgorithm.from_jwk(json.dumps(jwk))
            except (jwt.InvalidKeyError, ValueError, KeyError):
                continue
        self.keys = keys
        self.fetched_at = time.monotonic()
        self.fetches += 1


class Verifier:
    def __init__(self, jwks: Jwks, issuer: str, audience: str, leeway: float):
        self.jwks, self.issuer, self.audience, self.leeway = jwks, issuer, audience, leeway

    def verify(self, authorization: str | None) -> tuple[dict, str]:
        """(claims, kid) of a valid bearer token; raises Unauthorized."""
        if not authorization:
            raise Unauthorized("no Authorization header")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Authorization is not a Bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise Unauthorized(f"malformed token: {e}") from None
        if header.get("alg") != "RS256":
            raise Unauthorized(f"alg {header.get('alg')!r} is not RS256")
        if header.get("typ") != "JWT":
            raise Unauthorized(f"typ {header.get('typ')!r} is not JWT")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("no kid")
        key = self.jwks.key(kid)
        if key is None:
            raise Unauthorized(f"unknown kid {kid!r}")
        try:
            claims = jwt.decode(
                token, key, algorithms=["RS256"], audience=self.audience, issuer=self.issuer,
                leeway=self.leeway, options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as e:
            raise Unauthorized(f"{type(e).__name__}: {e}") from None
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized("sub is not a non-empty string")
        return claims, kid


class Fixtures:
    def __init__(self, root: Path, s3_endpoint: str):
        self.root = root
        self.s3_endpoint = s3_endpoint.rstrip("/")

    @staticmethod
    def _name_ok(name: str) -> bool:
        # Fixture names are plain slugs; anything else (/, .., NUL, ...) names no file.
        return bool(name) and name not in (".", "..") and all(c.isalnum() or c in "-_." for c in name)

    def _load(self, *parts: str):
        if not all(self._name_ok(p) for p in parts):
            return None
        path = self.root.joinpath(*parts[:-1], parts[-1] + ".json")
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            return None

    def product(self, account: str, product: str) -> dict | None:
        return self._load("products", account, product)

    def account_products(self, account: str) -> list[dict] | None:
        if not self._name_ok(account):
            return None
        d = self.root / "products" / account
        if not d.is_dir():
            return None
        return [json.loads(p.read_text()) for p in sorted(d.glob("*.json"))]

    def permissions(self, account: str, product: dict, sub: str) -> list[str]:
        if product.get("visibility") != "restricted":
            return ["read"]
        per_sub = self._load("permissions", account, product["product_id"]) or {}
        return list(per_sub.get(sub, []))

    def visible(self, account: str, product: dict, sub: str) -> bool:
        if product.get("visibility") in ("public", "unlisted"):
            return True
        return sub != ANONYMOUS and "read" in self.permissions(account, product, sub)

    def connection(self, cid: str) -> dict | None:
        c = self._load("data-connections", cid)
        if c is not None and c.get("details", {}).get("endpoint") == PLACEHOLDER_ENDPOINT:
            c["details"]["endpoint"] = self.s3_endpoint
        return c


class Stub:
    def __init__(self, fixtures: Fixtures, verifier: Verifier, slow_secs: float):
        self.fixtures = fixtures
        self.verifier = verifier
        self.slow_secs = slow_secs
        self.records: list[dict] = []
        self.lock = threading.Lock()

    def record(self, rec: dict) -> None:
        with self.lock:
            self.records.append(rec)
            del self.records[:-MAX_RECORDS]


def bearer_token(authorization: str | None) -> str | None:
    """The raw token of an `Authorization: Bearer ...` header (recorded as received)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def decode_segments(path: str) -> list[str] | None:
    try:
        return [unquote_to_bytes(s).decode("utf-8") for s in path.split("/")[1:]]
    except UnicodeDecodeError:
        return None


def make_handler(stub: Stub, verbose: bool):
    class Handler(JsonHandler):
        server_name = "stub-catalog"

        def do_GET(self):
            self.dispatch()

        def do_HEAD(self):
            self.dispatch()

        def do_DELETE(self):
            if urlsplit(self.path).path == "/_requests":
                with stub.lock:
                    stub.records.clear()
                return self.send_json(200, {"ok": True})
            self.close_connection = True
            self.send_json(405, {"error": "read-only stub"})

        do_POST = do_PUT = do_PATCH = do_DELETE

        def dispatch(self) -> None:
            split = urlsplit(self.path)
            if split.path == "/_requests":
                with stub.lock:
                    return self.send_json(200, list(stub.records))
            if split.path == "/_health":
                return self.send_json(200, {"ok": True, "jwks_fetches": stub.verifier.jwks.fetches})
            segs = decode_segments(split.path)
            rec = {"method": self.command, "path": split.path, "query": split.query, "segments": segs,
                   "sub": None, "verified": False, "reason": None, "kid": None, "claims": None,
                   "token": bearer_token(self.headers.get("Authorization")), "status": None,
                   "time": time.time()}
            stub.record(rec)
            status, body = self.answer(rec, segs)
            rec["status"] = status
            if isinstance(body, bytes):
                self.send_body(status, body, "application/json")
            else:
                self.send_json(status, body)

        def answer(self, rec: dict, segs: list[str] | None):
            if segs is None:
                return 400, {"error": "path is not UTF-8"}
            if segs[:2] != ["api", "v1"]:
                return 404, {"error": "no such route"}
            try:
                claims, kid = stub.verifier.verify(self.headers.get("Authorization"))
            except Unauthorized as e:
                rec["reason"] = str(e)
                return 401, {"error": "unauthorized", "reason": str(e)}
            sub = claims["sub"]
            rec.update(sub=sub, verified=True, kid=kid, claims=claims)
            fx = stub.fixtures
            rest = segs[2:]
            if rest[:1] == ["products"] and len(rest) in (2, 3, 4) and (len(rest) < 4 or rest[3] == "permissions"):
                account = rest[1]
                name = rest[2] if len(rest) > 2 else account
                if name in SPECIALS:
                    return self.special(name, account)
                if len(rest) == 2:
                    products = fx.account_products(account)
                    if products is None:
                        return 404, {"error": "no such account"}
                    return 200, {"products": [p for p in products if fx.visible(account, p, sub)]}
                product = fx.product(account, rest[2])
                if product is None or not fx.visible(account, product, sub):
                    return 404, {"error": "no such product"}
                if len(rest) == 4:
                    return 200, fx.permissions(account, product, sub)
                return 200, product
            if rest[:1] == ["data-connections"] and len(rest) == 2:
                conn = fx.connection(rest[1])
                if conn is None:
                    return 404, {"error": "no such data connection"}
                return 200, conn
            return 404, {"error": "no such route"}

        def special(self, name: str, account: str):
            if name == "error500":
                return 500, {"error": "injected failure"}
            if name == "denied401":
                return 401, {"error": "unauthorized", "reason": "injected 401"}
            if name == "denied403":
                return 403, {"error": "forbidden", "reason": "injected 403"}
            if name == "garbage":
                return 200, b"<html>this is not JSON"
            time.sleep(stub.slow_secs)
            product = stub.fixtures.product("acme", "public-data") or {}
            return 200, dict(product, product_id="slow", account_id=account)

    Handler.verbose = verbose
    return Handler


def main(argv=None) -> int:
    root = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description="Stub of the catalog API (tests only).")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default 0 = any free port)")
    ap.add_argument("--jwks-url", required=True, help="JWKS that signs the bearer tokens (the proxy's)")
    ap.add_argument("--issuer", required=True, help="required iss of the bearer tokens")
    ap.add_argument("--audience", required=True, help="required aud of the bearer tokens")
    ap.add_argument("--s3-endpoint", required=True, help="replaces the fixtures' placeholder S3 endpoint")
    ap.add_argument("--fixtures", type=Path, default=root / "tests" / "fixtures" / "catalog")
    ap.add_argument("--slow-secs", type=float, default=10.0, help="how long `slow` hangs (10)")
    ap.add_argument("--leeway", type=float, default=5.0, help="clock leeway for exp/iat/nbf (5 s)")
    ap.add_argument("--jwks-max-age", type=float, default=300.0, help="refetch the JWKS after (300 s)")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)

    if not (args.fixtures / "products").is_dir():
        print(f"stub-catalog: no fixtures in {args.fixtures}", file=sys.stderr)
        return 1
    verifier = Verifier(Jwks(args.jwks_url, args.jwks_max_age), args.issuer, args.audience, args.leeway)
    stub = Stub(Fixtures(args.fixtures, args.s3_endpoint), verifier, args.slow_secs)
    server = bind("stub-catalog", args.port, make_handler(stub, args.verbose))
    if server is None:
        return 1
    return serve(server, f"stub-catalog ready url=http://{HOST}:{server.server_address[1]}")

if __name__ == "__main__":
    sys.exit(main())
