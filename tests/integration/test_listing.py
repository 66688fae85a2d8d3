"""Listings as S3 answers them, in workerd against local R2 and moto (issue 9):
a resume point inside a rolled-up folder lists the folder (its later keys roll
up into it), a position equal to a common prefix skips it, IsTruncated is
exact, no parameter combination gives a 5xx; and a session whose role ceiling
hides names never sees them, in keys, prefixes, NextMarker or tokens.

Expected pages come from a brute-force model of S3's rules written here (not
the proxy's Rust model), with raw requests and with boto3's paginators."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote, unquote

import pytest

from conftest import NESTED_ROLE
from support.httpraw import list_keys, raw, s3_error, text
from support.sts import assume, session_s3, signed_get

STORES = [("demo", "public-data"), ("mirror", "signed")]  # R2 and moto
# Products an anonymous caller sees listed, per account.
LISTED = {"demo": ["public-data/"], "mirror": ["extras/", "signed/", "wrongkey/"]}


def model(keys, prefix="", delimiter=None, after=None, is_prefix=False, folders=()):
    """Every (name, is_common_prefix) after the position, in order. `folders`
    (product roots) count only for the common prefix they roll up into."""
    out = set()
    for name, folder in [(k, False) for k in keys] + [(f, True) for f in folders]:
        if not name.startswith(prefix):
            continue
        if after is not None and (name <= after or (is_prefix and name.startswith(after))):
            continue
        rest = name[len(prefix):]
        i = rest.find(delimiter) if delimiter else -1
        if i >= 0:
            cp = prefix + rest[:i + len(delimiter)]
            if cp != after:
                out.add((cp, True))
        elif not folder:
            out.add((name, False))
    return sorted(out)


def model_pages(names, max_keys):
    """The model's names cut into pages of `max_keys`, each resuming after the last."""
    if max_keys == 0:
        return [[]]
    return [names[i:i + max_keys] for i in range(0, max(len(names), 1), max_keys)]


def query(params: dict) -> str:
    return "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())


def fetch_pages(get, path: str, params: dict, v2: bool, limit: int = 400) -> list[dict]:
    """Follows a listing to its end: V2 tokens, V1 NextMarker (else the last key)."""
    pages, resume = [], None
    base = {**params, **({"list-type": "2"} if v2 else {})}
    while len(pages) < limit:
        p = dict(base)
        if resume is not None:
            p.pop("marker", None)
            p["continuation-token" if v2 else "marker"] = resume
        r = get(f"{path}?{query(p)}")
        assert r.status == 200, r
        keys, prefixes, root = list_keys(r)
        dec = unquote if text(root, "EncodingType") == "url" else (lambda s: s)
        entries = sorted([(dec(k), False) for k in keys] + [(dec(c), True) for c in prefixes])
        truncated = text(root, "IsTruncated") == "true"
        page = {"entries": entries, "truncated": truncated, "body": r.body.decode(),
                "token": text(root, "NextContinuationToken"), "next_marker": text(root, "NextMarker")}
        if page["next_marker"] is not None:
            page["next_marker"] = dec(page["next_marker"])
        if v2 and page["token"] is not None:
            assert text(root, "KeyCount") == str(len(entries)), r
        pages.append(page)
        if not truncated:
            assert page["token"] is None and page["next_marker"] is None, r
            return pages
        assert entries, f"a truncated page without entries: {r}"
        if v2:
            resume = page["token"]
        else:
            last_key = max((n for n, cp in entries if not cp), default=None)
            resume = page["next_marker"] or last_key
            assert resume, r
            # S3 sends NextMarker only with a delimiter.
            want_marker = entries[-1][0] if "delimiter" in params else None
            assert page["next_marker"] == want_marker, r
    raise AssertionError(f"{path} {params}: does not end")


def assert_pages(pages, want, max_keys, ctx):
    got = [p["entries"] for p in pages]
    assert got == model_pages(want, max_keys), ctx


@pytest.fixture(scope="module")
def keys(sample, worker):
    """Keys of each store's product, relative to it."""
    return {"demo": sorted(sample.public_sizes_r2()), "mirror": sorted(sample.public)}


def anonymous(worker):
    return lambda path: raw(worker.url, "GET", path)


# --------------------------------------------------------------------------- anonymous, raw


AFTER = ["many/00005.txt", "many/01199.txt", "many/", "nested/a", "nested/", "cities.csv", "odd/", "o", ""]


@pytest.mark.parametrize("account,product", STORES)
@pytest.mark.parametrize("v2", [True, False], ids=["v2", "v1"])
@pytest.mark.parametrize("max_keys", [1, 2, 1000])
def test_resume_inside_a_folder(worker, keys, account, product, v2, max_keys):
    get = anonymous(worker)
    for after in AFTER:
        pos = "start-after" if v2 else "marker"
        want = model(keys[account], "", "/", after)
        params = {"delimiter": "/", "max-keys": max_keys, pos: after}
        assert_pages(fetch_pages(get, f"/{account}/{product}", params, v2), want, max_keys, (after, params))
        # The same one level down at the account level.
        deep = {"prefix": f"{product}/", "delimiter": "/", "max-keys": max_keys, pos: f"{product}/{after}"}
        want = [(f"{product}/{n}", cp) for n, cp in want]
        assert_pages(fetch_pages(get, f"/{account}", deep, v2), want, max_keys, (after, deep))


@pytest.mark.parametrize("account,product", STORES)
@pytest.mark.parametrize("v2", [True, False], ids=["v2", "v1"])
def test_account_level_folders_follow_the_position(worker, keys, account, product, v2):
    """Products are folders: listed after the position, or when keys after it
    sit inside; skipped when the position is the folder itself."""
    get = anonymous(worker)
    names = [f"{product}/{k}" for k in keys[account]]
    for after in [f"{product}/many/00005.txt", f"{product}/", product, f"{product}/odd/zzz"]:
        for max_keys in [1, 1000]:
            params = {"delimiter": "/", "max-keys": max_keys, "start-after" if v2 else "marker": after}
            want = model(names, "", "/", after, folders=LISTED[account])
            assert_pages(fetch_pages(get, f"/{account}", params, v2), want, max_keys, (after, params))


@pytest.mark.parametrize("account,product", STORES)
@pytest.mark.parametrize("delimiter", ["0", "/0", "é", "s/", "a"])
def test_other_delimiters_with_url_encoding(worker, keys, account, product, delimiter):
    get = anonymous(worker)
    for prefix, after in [("", "many/00005.txt"), ("many/", "many/00105.txt"), ("odd/", "odd/p"), ("", "")]:
        for v2 in (True, False):
            params = {"prefix": prefix, "delimiter": delimiter, "max-keys": 100, "encoding-type": "url",
                      "start-after" if v2 else "marker": after}
            pages = fetch_pages(get, f"/{account}/{product}", params, v2)
            assert_pages(pages, model(keys[account], prefix, delimiter, after), 100, params)


@pytest.mark.parametrize("account,product", STORES)
def test_a_token_equal_to_a_common_prefix_skips_it(worker, keys, account, product):
    """A page that ends on the common prefix `many/` resumes after all of it. (Tokens are
    sealed: only one the proxy issued for this listing is taken back.)"""
    get = anonymous(worker)
    params = {"list-type": "2", "delimiter": "/", "max-keys": 1}
    token = None
    for _ in range(20):
        r = get(f"/{account}/{product}?{query({**params, **({'continuation-token': token} if token else {})})}")
        _, prefixes, root = list_keys(r)
        token = text(root, "NextContinuationToken")
        if prefixes == ["many/"]:
            break
    assert prefixes == ["many/"] and token, r
    params = {"delimiter": "/", "continuation-token": token, "max-keys": 1000}
    pages = fetch_pages(get, f"/{account}/{product}", params, True)
    assert_pages(pages, model(keys[account], "", "/", "many/", is_prefix=True), 1000, params)


@pytest.mark.parametrize("account,product", STORES)
def test_a_token_the_proxy_did_not_issue_is_refused(worker, account, product):
    """S3 answers 400 InvalidArgument for a token it did not issue, or one replayed with
    other listing parameters; it never takes one as a position."""
    forged = base64.urlsafe_b64encode(b"1pmany/").decode().rstrip("=")
    r = raw(worker.url, "GET", f"/{account}/{product}?list-type=2&continuation-token={forged}")
    assert (r.status, s3_error(r)["Code"]) == (400, "InvalidArgument"), r
    first = raw(worker.url, "GET", f"/{account}/{product}?list-type=2&max-keys=1&prefix=many%2F")
    token = text(list_keys(first)[2], "NextContinuationToken")
    assert token, first
    for q in ("prefix=many%2F", "prefix=many%2F&max-keys=3&encoding-type=url"):
        r = raw(worker.url, "GET", f"/{account}/{product}?list-type=2&{q}&continuation-token={quote(token)}")
        assert r.status == 200, r
    for q in ("prefix=many", "prefix=many%2F&delimiter=%2F"):
        r = raw(worker.url, "GET", f"/{account}/{product}?list-type=2&{q}&continuation-token={quote(token)}")
        assert (r.status, s3_error(r)["Code"]) == (400, "InvalidArgument"), r
    r = raw(worker.url, "GET", f"/{account}?list-type=2&prefix=many%2F&continuation-token={quote(token)}")
    assert (r.status, s3_error(r)["Code"]) == (400, "InvalidArgument"), r


@pytest.mark.parametrize("account,product", STORES)
def test_boto3_paginators_resume_inside_a_folder(worker, keys, account, product):
    s3 = worker.s3()
    after = f"{product}/many/00005.txt"
    want = [n for n, _ in model([f"{product}/{k}" for k in keys[account]], f"{product}/", "/", after)]
    got = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=account, Prefix=f"{product}/", Delimiter="/", StartAfter=after, PaginationConfig={"PageSize": 1})
    for page in pages:
        got += [o["Key"] for o in page.get("Contents", [])] + [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert got == want
    got = []
    pages = s3.get_paginator("list_objects").paginate(
        Bucket=account, Prefix=f"{product}/", Delimiter="/", Marker=after, PaginationConfig={"PageSize": 2})
    for page in pages:
        got += sorted([o["Key"] for o in page.get("Contents", [])] + [p["Prefix"] for p in page.get("CommonPrefixes", [])])
    assert got == want


# --------------------------------------------------------------------------- a ceiling that hides names

HIDDEN = ("cities", "many", "odd", "large", "restricted", "unlisted", "extras", "wrongkey", "hidden")


@pytest.fixture(scope="module")
def nested(sts_worker, idp):
    """Session credentials of role nested-reader: ceiling `…/nested/*` in both stores."""
    return assume(sts_worker.url, idp.token("carol"), NESTED_ROLE)


def token_text(token: str | None) -> str:
    """What a token would reveal: its bytes as text (the position, and a binary tag)."""
    if token is None:
        return ""
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode(errors="replace")


@pytest.mark.sts
@pytest.mark.parametrize("account,product", STORES)
@pytest.mark.parametrize("v2", [True, False], ids=["v2", "v1"])
def test_a_ceiling_leaks_no_hidden_name(sts_worker, nested, account, product, v2):
    get = lambda path: signed_get(sts_worker.url, path, nested)  # noqa: E731
    cases = [
        (f"/{account}/{product}", {"max-keys": 1}, ["nested/a/b/c.txt"]),
        (f"/{account}/{product}", {"max-keys": 1, "delimiter": "/"}, ["nested/"]),
        (f"/{account}/{product}", {"max-keys": 1, "delimiter": "/", "prefix": "nested/a/"}, ["nested/a/b/"]),
        (f"/{account}/{product}", {"max-keys": 1, "start-after" if v2 else "marker": "cities.csv"},
         ["nested/a/b/c.txt"]),
        (f"/{account}", {"max-keys": 1, "prefix": f"{product}/"}, [f"{product}/nested/a/b/c.txt"]),
        (f"/{account}", {"max-keys": 1}, [f"{product}/nested/a/b/c.txt"]),
        (f"/{account}", {"max-keys": 1, "delimiter": "/"}, [f"{product}/"]),
        (f"/{account}", {"max-keys": 1, "delimiter": "/", "prefix": f"{product}/"}, [f"{product}/nested/"]),
    ]
    for path, params, want in cases:
        pages = fetch_pages(get, path, params, v2)
        assert [n for p in pages for n, _ in p["entries"]] == want, (path, params)
        for p in pages:
            # The caller's own Marker/StartAfter are echoed back; the rest must hide.
            body = re.sub(r"<(Marker|StartAfter)>[^<]*</\1>", "", p["body"])
            for shown in (body, token_text(p["token"])):
                assert not any(h in shown for h in HIDDEN), (path, params, shown)


@pytest.mark.sts
@pytest.mark.parametrize("account,product", STORES)
def test_a_ceiling_with_boto3(sts_worker, nested, account, product):
    s3 = session_s3(sts_worker.url, nested)
    got = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=account, PaginationConfig={"PageSize": 1}):
        assert not any(h in str(page.get("NextContinuationToken", "")) for h in HIDDEN)
        got += [o["Key"] for o in page.get("Contents", [])]
    assert got == [f"{product}/nested/a/b/c.txt"]
    r = s3.list_objects(Bucket=account, Prefix=f"{product}/", MaxKeys=1)
    assert [o["Key"] for o in r["Contents"]] == [f"{product}/nested/a/b/c.txt"]
    assert r["IsTruncated"] is False and "NextMarker" not in r
