#!/usr/bin/env python3
"""Smoke-tests a running proxy: the service document, the OIDC discovery document and the JWKS.

    scripts/smoke-test.py --url https://data.example.org
    scripts/smoke-test.py --url http://127.0.0.1:8787 --issuer http://127.0.0.1:8787
    scripts/smoke-test.py --url https://oidc-data-proxy-staging.acme.workers.dev \\
        --issuer https://data-staging.acme.org --expect-kid oidc-20261122-7d3073fa --wait 120

Checks, each printed as `ok` or `FAIL`, exit 1 if any fails:
  GET /        200 JSON: name "oidc-data-proxy", a version, a catalog kind, `issuer` equal to
               the expected issuer, `features` of booleans (s3_read, signed_requests, sts,
               oidc_provider) with every --expect-feature true (default: s3_read, oidc_provider)
  GET /.well-known/openid-configuration
               200 JSON: `issuer` equal to the expected issuer (default --url), `jwks_uri` =
               {issuer}/.well-known/jwks.json, RS256 among the signing algorithms
  GET /.well-known/jwks.json
               200 JSON: at least one RSA key with a kid, n and e (use sig, alg RS256), no
               private member in any key, every --expect-kid present

--wait S retries the whole set for up to S seconds (a deploy takes a moment to reach every
location). Standard library only, so it runs anywhere python3 does (deploy.yml, a laptop).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request

FEATURES = ("s3_read", "signed_requests", "sts", "oidc_provider")
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


class Failed(Exception):
    pass


def get_json(base: str, path: str, timeout: float) -> tuple[dict, dict]:
    req = urllib.request.Request(base + path, headers={"accept": "application/json",
                                                       "user-agent": "oidc-data-proxy-smoke-test/1"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, headers, body = r.status, {k.lower(): v for k, v in r.headers.items()}, r.read(1 << 20)
    except urllib.error.HTTPError as e:
        raise Failed(f"GET {path}: status {e.code}") from None
    except (urllib.error.URLError, OSError) as e:
        raise Failed(f"GET {path}: {getattr(e, 'reason', e)}") from None
    if status != 200:
        raise Failed(f"GET {path}: status {status}")
    ctype = headers.get("content-type", "")
    if "json" not in ctype:
        raise Failed(f"GET {path}: content-type {ctype!r} is not JSON")
    try:
        doc = json.loads(body)
    except ValueError:
        raise Failed(f"GET {path}: body is not JSON") from None
    if not isinstance(doc, dict):
        raise Failed(f"GET {path}: JSON is not an object")
    return doc, headers


def check_service(base, issuer, features, version, timeout) -> str:
    doc, _ = get_json(base, "/", timeout)
    if doc.get("name") != "oidc-data-proxy":
        raise Failed(f"GET /: name is {doc.get('name')!r}, expected 'oidc-data-proxy'")
    if not isinstance(doc.get("version"), str) or not doc["version"]:
        raise Failed("GET /: no version")
    if version and doc["version"] != version:
        raise Failed(f"GET /: version {doc['version']!r}, expected {version!r} (old deployment still serving?)")
    if not isinstance(doc.get("catalog"), str):
        raise Failed("GET /: no catalog kind")
    if doc["catalog"] == "unavailable":
        raise Failed("GET /: catalog is unavailable (see the Worker's configuration log line)")
    if doc.get("issuer") != issuer:
        raise Failed(f"GET /: issuer {doc.get('issuer')!r}, expected {issuer!r}")
    f = doc.get("features")
    if not isinstance(f, dict) or any(not isinstance(f.get(k), bool) for k in FEATURES):
        raise Failed(f"GET /: features must hold booleans {', '.join(FEATURES)}, got {f!r}")
    off = [k for k in features if f.get(k) is not True]
    if off:
        raise Failed(f"GET /: feature(s) off: {', '.join(off)} (features: {json.dumps(f, sort_keys=True)})")
    on = ",".join(k for k in FEATURES if f[k])
    return f"GET / service document: version {doc['version']}, catalog {doc['catalog']}, features on: {on or 'none'}"


def check_discovery(base, issuer, timeout) -> str:
    doc, headers = get_json(base, "/.well-known/openid-configuration", timeout)
    if doc.get("issuer") != issuer:
        raise Failed(f"discovery: issuer {doc.get('issuer')!r}, expected {issuer!r}")
    want = issuer.rstrip("/") + "/.well-known/jwks.json"
    if doc.get("jwks_uri") != want:
        raise Failed(f"discovery: jwks_uri {doc.get('jwks_uri')!r}, expected {want!r}")
    algs = doc.get("id_token_signing_alg_values_supported")
    if not isinstance(algs, list) or "RS256" not in algs:
        raise Failed(f"discovery: id_token_signing_alg_values_supported {algs!r} lacks RS256")
    if "max-age" not in headers.get("cache-control", ""):
        raise Failed("discovery: no Cache-Control max-age")
    return f"discovery: issuer {issuer}"


def check_jwks(base, kids, timeout) -> str:
    doc, _ = get_json(base, "/.well-known/jwks.json", timeout)
    keys = doc.get("keys")
    if not isinstance(keys, list) or not keys:
        raise Failed("JWKS: no keys")
    for k in keys:
        if not isinstance(k, dict):
            raise Failed("JWKS: a key is not an object")
        leaked = [m for m in PRIVATE_MEMBERS if m in k]
        if leaked:
            raise Failed(f"JWKS: key {k.get('kid')!r} carries private member(s) {leaked}: PRIVATE KEY EXPOSED")
    rsa = [k for k in keys if k.get("kty") == "RSA" and isinstance(k.get("kid"), str) and k["kid"]
           and all(isinstance(k.get(m), str) and B64URL.match(k[m]) for m in ("n", "e"))]
    if not rsa:
        raise Failed(f"JWKS: no RSA key with kid, n and e among {len(keys)}")
    for k in rsa:
        if k.get("use", "sig") != "sig" or k.get("alg", "RS256") != "RS256":
            raise Failed(f"JWKS: key {k['kid']!r} has use {k.get('use')!r} / alg {k.get('alg')!r}")
    have = [k["kid"] for k in rsa]
    missing = [kid for kid in kids if kid not in have]
    if missing:
        raise Failed(f"JWKS: kid(s) {missing} not published (published: {have})")
    return f"JWKS: {len(rsa)} RSA key(s), kid {', '.join(have)}"


def run(args) -> list[tuple[bool, str]]:
    base, issuer = args.url.rstrip("/"), args.issuer
    checks = [
        lambda: check_service(base, issuer, args.expect_feature, args.expect_version, args.timeout),
        lambda: check_discovery(base, issuer, args.timeout),
        lambda: check_jwks(base, args.expect_kid, args.timeout),
    ]
    results = []
    for c in checks:
        try:
            results.append((True, c()))
        except Failed as e:
            results.append((False, str(e)))
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--url", required=True, help="where the proxy answers, e.g. https://data.example.org")
    ap.add_argument("--issuer", help="the configured OIDC_PROVIDER_ISSUER (default: --url)")
    ap.add_argument("--expect-feature", action="append", choices=FEATURES,
                    help="a feature that must be on (repeatable; default s3_read and oidc_provider)")
    ap.add_argument("--expect-kid", action="append", default=[], help="a kid the JWKS must publish (repeatable)")
    ap.add_argument("--expect-version", help="the version GET / must report (e.g. Cargo.toml's)")
    ap.add_argument("--wait", type=float, default=0, help="retry for up to this many seconds (default 0)")
    ap.add_argument("--timeout", type=float, default=10, help="per request, seconds (default 10)")
    args = ap.parse_args(argv)
    if not re.match(r"^https?://[^/\s]+", args.url):
        ap.error("--url must be an http(s) URL")
    args.issuer = (args.issuer or args.url).rstrip("/")
    if args.expect_feature is None:
        args.expect_feature = ["s3_read", "oidc_provider"]
    deadline = time.monotonic() + args.wait
    attempt = 0
    while True:
        attempt += 1
        results = run(args)
        if all(ok for ok, _ in results) or time.monotonic() >= deadline:
            break
        bad = next(msg for ok, msg in results if not ok)
        print(f"smoke-test: attempt {attempt} failed ({bad}); retrying", file=sys.stderr)
        time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))
    print(f"smoke-test: {args.url} (issuer {args.issuer})")
    for ok, msg in results:
        print(f"{'ok  ' if ok else 'FAIL'} {msg}")
    failed = sum(not ok for ok, _ in results)
    print(f"smoke-test: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
