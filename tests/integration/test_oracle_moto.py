"""Differential test: the proxy held to a real S3 implementation (moto), not to our models.

The same logical request goes (a) to moto directly, signed, under
mirror-bucket/base/public-data/, and (b) anonymously through the proxy under
mirror/signed/ (the product served from that very prefix). The product prefix is
taken off both answers, and what is left must agree: listings field by field and
page by page, objects by status, error code, the headers clients act on, and bytes.

Where moto is known to answer otherwise than AWS S3, and the proxy follows AWS,
the case is named in MOTO_DIFFERS with the reason instead of being dropped.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote, unquote

import pytest
import requests

from support.moto import MOTO_REGION
from support.sample import MOTO_BUCKET
from support.sample import ODD_KEYS

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
PROXY_BUCKET, PROXY_PRE = "mirror", "signed/"
MOTO_PRE = "base/public-data/"
SEED = 20261205
MAX_PAGES = 6  # per listing; both sides stop at the same page, so the sequences stay comparable


def q(v: str) -> str:
    return quote(v, safe="-_.~")


@dataclass
class Side:
    """One end of the comparison: where to send, which key prefix, how to sign."""

    base: str
    bucket: str
    pre: str
    creds: object | None  # botocore Credentials, or None (anonymous)
    http: requests.Session

    def send(self, method: str, path: str, query: list[tuple[str, str]], headers: dict) -> requests.Response:
        qs = "&".join(f"{q(k)}={q(v)}" if v is not None else q(k) for k, v in query)
        url = f"{self.base}/{self.bucket}{path}" + (f"?{qs}" if qs else "")
        h = dict(headers)
        if self.creds is not None:
            from botocore.auth import S3SigV4Auth
            from botocore.awsrequest import AWSRequest

            req = AWSRequest(method=method, url=url, headers=h)
            S3SigV4Auth(self.creds, "s3", MOTO_REGION).add_auth(req)
            h = dict(req.headers.items())
        return self.http.request(method, url, headers=h, timeout=30, allow_redirects=False)


@pytest.fixture(scope="module")
def sides(worker):
    from botocore.credentials import Credentials

    c = worker.moto.creds
    http = requests.Session()
    moto = Side(worker.moto.url, MOTO_BUCKET, MOTO_PRE, Credentials(c.access_key_id, c.secret_access_key), http)
    proxy = Side(worker.url, PROXY_BUCKET, PROXY_PRE, None, http)
    yield moto, proxy
    http.close()


class Tally:
    """What the module compared (printed by the last test, with -s)."""

    listings = pages = objects = 0


# --------------------------------------------------------------------------- listings


def strip(v: str | None, pre: str, encoded: bool) -> str | None:
    if not v:
        return v
    p = quote(pre, safe="/") if encoded else pre
    return v[len(p):] if v.startswith(p) else f"<outside product: {v}>"


def listing_view(r: requests.Response, pre: str, v2: bool) -> dict:
    """What a client may rely on in a listing page, product prefix removed. Tokens are opaque."""
    if r.status_code != 200:
        return {"status": r.status_code, "code": error_code(r)}
    root = ET.fromstring(r.content)
    enc = root.findtext(f"{NS}EncodingType") == "url"
    t = lambda name: root.findtext(f"{NS}{name}")  # noqa: E731
    view = {
        "status": 200,
        "contents": [(strip(c.findtext(f"{NS}Key"), pre, enc), c.findtext(f"{NS}Size"), c.findtext(f"{NS}ETag"))
                     for c in root.findall(f"{NS}Contents")],
        "prefixes": [strip(p.findtext(f"{NS}Prefix"), pre, enc) for p in root.findall(f"{NS}CommonPrefixes")],
        "truncated": t("IsTruncated"),
        "max_keys": t("MaxKeys"),
        "prefix": strip(t("Prefix"), pre, enc),
        "delimiter": t("Delimiter"),
        "encoding": t("EncodingType"),
    }
    if v2:
        view |= {"key_count": t("KeyCount"), "start_after": strip(t("StartAfter"), pre, enc),
                 "has_next_token": t("NextContinuationToken") is not None}
    else:
        view |= {"marker": strip(t("Marker"), pre, enc), "next_marker": strip(t("NextMarker"), pre, enc)}
    return view


def next_query(r: requests.Response, v2: bool) -> tuple[str, str] | None:
    """Where an S3 client goes next: the continuation token (V2), or NextMarker, else the
    last key (V1). Raw values, in the answer's own (maybe URL-encoded) form decoded."""
    if r.status_code != 200:
        return None
    root = ET.fromstring(r.content)
    if root.findtext(f"{NS}IsTruncated") != "true":
        return None
    enc = root.findtext(f"{NS}EncodingType") == "url"
    dec = unquote if enc else (lambda s: s)
    if v2:
        tok = root.findtext(f"{NS}NextContinuationToken")
        return ("continuation-token", tok) if tok else None
    nm = root.findtext(f"{NS}NextMarker")
    keys = [c.findtext(f"{NS}Key") for c in root.findall(f"{NS}Contents")]
    m = nm if nm is not None else (keys[-1] if keys else None)
    return ("marker", dec(m)) if m is not None else None  # carries the side's own prefix already


PREFIXES = ["", "c", "cities", "cities.csv", "cities.csv/", "nested", "nested/", "nested/a", "nested/a/",
            "nested/a/b/", "nested/a/b/c", "nested/a/b/c.txt", "odd", "odd/", "odd/h", "odd/unicodé",
            "odd/unicodé-日本.txt", "odd/amp&hash#q?", "odd/per%", "odd/plus+", "odd/eq=", "many/", "many/0005",
            "many/011", "many/01199.txt", "zzz", "nope/", "n", "m", "/", "odd/hello world"]
DELIMS = [None, None, "/", "/", "/", "a/", "//", ".", "0", "e", "日", "s"]
MAX_KEYS = [None, 0, 1, 2, 3, 7, 1000]
AFTER = [None, None, None, "cities.csv", "cities", "nested/", "nested/a", "nested/a/b/c.txt", "many/",
         "many/00500.txt", "many/01199.txt", "odd/", "odd/hello world.txt", "odd/unicodé", "zzzz", "a", "m",
         *ODD_KEYS[:2]]


def combos(n: int) -> list[dict]:
    rnd = random.Random(SEED)
    out = []
    for _ in range(n):
        out.append({"prefix": rnd.choice(PREFIXES), "delimiter": rnd.choice(DELIMS),
                    "max-keys": rnd.choice(MAX_KEYS), "after": rnd.choice(AFTER),
                    "encoding-type": rnd.choice([None, None, "url"])})
    return out


def list_all(side: Side, c: dict, v2: bool, max_pages: int = MAX_PAGES) -> list[dict]:
    base = [("prefix", side.pre + c["prefix"])]
    if v2:
        base.insert(0, ("list-type", "2"))
    for k in ("delimiter", "max-keys", "encoding-type"):
        if c[k] is not None:
            base.append((k, str(c[k])))
    nxt = None
    if c["after"] is not None:
        nxt = ("start-after" if v2 else "marker", side.pre + c["after"])
    pages = []
    for _ in range(max_pages):
        query = base + ([nxt] if nxt else [])
        r = side.send("GET", "", query, {})
        Tally.pages += side.creds is None
        pages.append(listing_view(r, side.pre, v2))
        step = next_query(r, v2)
        if step is None:
            break
        nxt = step
    return pages


# Where moto answers listings otherwise than AWS S3 (the proxy follows AWS):
LISTING_MOTO_DIFFERS = {
    "v2 encoding-type=url echoes": "with encoding-type=url AWS URL-encodes Delimiter, Prefix, Key and StartAfter "
    "(ListObjectsV2 docs); moto leaves StartAfter and Delimiter as sent. Moto's echo is encoded here before comparing.",
    "v1 from moto's v2": "moto's ListObjects (V1) is not AWS's: it omits the Marker echo, its NextMarker is an "
    "opaque hash (AWS: the last key or common prefix, and only with a delimiter), and it neither counts "
    "CommonPrefixes against max-keys nor applies the marker to them. A V1 page is therefore held to moto's "
    "V2 page for the same request (start-after = marker), which AWS documents as the same walk; "
    "the Marker echo to the marker sent, NextMarker to the last entry of a truncated delimited page.",
    "start-after inside a folder": "a start-after strictly inside a common prefix (prefix '', delimiter '/', "
    "start-after 'nested/a'): moto leaves the folder out, as it compares the folder's own name with "
    "start-after; the proxy lists it when keys after start-after roll up into it (s3::list_model). "
    "Not confirmed against AWS here: such combinations are held to neither and shown by "
    "test_start_after_inside_a_folder.",
}


def inside_folder(c: dict) -> str | None:
    """The common prefix that c's start-after lies strictly inside, if any."""
    d, after, pre = c["delimiter"], c["after"], c["prefix"]
    if not d or after is None or not after.startswith(pre):
        return None
    i = after.find(d, len(pre))
    cp = after[:i + len(d)] if i >= 0 else None
    return cp if cp is not None and cp != after else None


def moto_v2_fixups(view: dict, sent_after: str | None, enc: bool) -> dict:
    """LISTING_MOTO_DIFFERS['v2 encoding-type=url echoes']."""
    if enc and view.get("status") == 200:
        view = dict(view)
        if view["delimiter"] is not None:
            view["delimiter"] = quote(view["delimiter"], safe="/")
        if view.get("start_after") is not None:
            view["start_after"] = quote(view["start_after"], safe="/")
    return view


def v1_from_v2(pages: list[dict], c: dict) -> list[dict]:
    """LISTING_MOTO_DIFFERS["v1 from moto's v2"]: the V1 pages AWS gives for moto's V2 pages."""
    enc = c["encoding-type"] == "url"
    out, marker = [], c["after"] or ""
    for v in pages:
        v = dict(v)
        if v["status"] == 200:
            v.pop("key_count"), v.pop("start_after"), v.pop("has_next_token")
            v["marker"] = quote(marker, safe="/") if enc and marker else marker
            last = max([k for k, _, _ in v["contents"]] + v["prefixes"], default=None,
                       key=unquote if enc else None)
            v["next_marker"] = last if v["truncated"] == "true" and c["delimiter"] is not None else None
            marker = unquote(last) if enc and last else last
        out.append(v)
    return out


@pytest.mark.parametrize("v2", [False, True], ids=["v1", "v2"])
def test_listings_agree_with_moto(sides, v2):
    moto, proxy = sides
    diffs = []
    cases = combos(130)
    for c in cases:
        if inside_folder(c):  # test_start_after_inside_a_folder
            continue
        want = [moto_v2_fixups(v, c["after"], c["encoding-type"] == "url") for v in list_all(moto, c, True)]
        if not v2:
            want = v1_from_v2(want, c)
        got = list_all(proxy, c, v2)
        Tally.listings += 1
        if want != got:
            diffs.append((c, first_difference(want, got)))
    assert not diffs, f"{len(diffs)} of {len(cases)} listings differ; first ones:\n" + \
        "\n".join(f"{c}: {d}" for c, d in diffs[:8])


# Paged to the end: the whole sequence of names a client collects, in order.
TO_COMPLETION = [
    {"prefix": "", "delimiter": None, "max-keys": 100, "after": None, "encoding-type": None},
    {"prefix": "", "delimiter": "/", "max-keys": 1, "after": None, "encoding-type": None},
    {"prefix": "", "delimiter": "0", "max-keys": 2, "after": "cities", "encoding-type": "url"},
    {"prefix": "many/", "delimiter": None, "max-keys": 1000, "after": None, "encoding-type": None},
    {"prefix": "many/", "delimiter": "0", "max-keys": 3, "after": None, "encoding-type": None},
    {"prefix": "many/00", "delimiter": "5", "max-keys": 7, "after": "many/00499.txt", "encoding-type": None},
    {"prefix": "odd/", "delimiter": None, "max-keys": 1, "after": None, "encoding-type": "url"},
    {"prefix": "odd/", "delimiter": "e", "max-keys": 2, "after": "odd/", "encoding-type": "url"},
    {"prefix": "n", "delimiter": "a/", "max-keys": 1, "after": None, "encoding-type": None},
    {"prefix": "", "delimiter": ".", "max-keys": 7, "after": "many/01150", "encoding-type": None},
]


def names(pages: list[dict]) -> list[str]:
    return [n for p in pages for n in sorted([k for k, _, _ in p.get("contents", [])] + p.get("prefixes", []))]


@pytest.mark.parametrize("v2", [False, True], ids=["v1", "v2"])
def test_listings_paged_to_completion(sides, v2):
    moto, proxy = sides
    for c in TO_COMPLETION:
        want = [moto_v2_fixups(v, c["after"], c["encoding-type"] == "url") for v in list_all(moto, c, True, 60)]
        assert want[-1].get("truncated") != "true", ("moto paging did not end", c)
        if not v2:
            want = v1_from_v2(want, c)
        got = list_all(proxy, c, v2, 60)
        Tally.listings += 1
        assert names(got) == names(want), c
        assert want == got, (c, first_difference(want, got))


@pytest.mark.parametrize("v2", [False, True], ids=["v1", "v2"])
def test_start_after_inside_a_folder(sides, v2):
    """LISTING_MOTO_DIFFERS['start-after inside a folder'], shown rather than dropped: the
    proxy lists the folder, moto does not; everything else on the page agrees."""
    moto, proxy = sides
    for c in ({"prefix": "", "delimiter": "/", "max-keys": None, "after": "nested/a", "encoding-type": None},
              {"prefix": "many/00", "delimiter": "5", "max-keys": 7, "after": "many/0050", "encoding-type": None},
              {"prefix": "odd/", "delimiter": " ", "max-keys": 3, "after": "odd/hello w", "encoding-type": "url"}):
        cp = inside_folder(c)
        want = list_all(moto, c, True, 1)[0]
        got = list_all(proxy, c, v2, 1)[0]
        Tally.listings += 1
        shown = quote(cp, safe="/") if c["encoding-type"] else cp
        assert shown not in want["prefixes"] and got["prefixes"][0] == shown, (c, want, got)
        entries = lambda v: sorted([k for k, _, _ in v["contents"]] + v["prefixes"])  # noqa: E731
        assert entries(got)[1:] == entries(want)[:len(entries(got)) - 1], (c, want, got)


def first_difference(want: list[dict], got: list[dict]) -> str:
    if len(want) != len(got):
        return f"pages: moto {len(want)}, proxy {len(got)}; first pages moto={want[0]} proxy={got[0]}"
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            return f"page {i}: " + ", ".join(f"{k}: moto={w.get(k)!r} proxy={g.get(k)!r}"
                                             for k in sorted(set(w) | set(g)) if w.get(k) != g.get(k))
    return "?"


# --------------------------------------------------------------------------- objects


def error_code(r: requests.Response) -> str | None:
    if not r.content:
        return None
    try:
        return ET.fromstring(r.content).findtext("Code")
    except ET.ParseError:
        return f"<not XML: {r.content[:80]!r}>"


OBJ_HEADERS = ("content-length", "content-range", "etag", "last-modified", "content-type")


def object_view(r: requests.Response, method: str) -> dict:
    v = {"status": r.status_code}
    if r.status_code >= 400:
        v["code"] = error_code(r) if method == "GET" else None
        return v
    v |= {h: r.headers.get(h) for h in OBJ_HEADERS}
    v["body"] = r.content
    return v


def object_cases(etag: str, last_mod: str) -> list[tuple[str, dict, list]]:
    """(label, headers, extra query) for one key."""
    old, future = "Mon, 01 Jan 2001 00:00:00 GMT", "Fri, 01 Jan 2100 00:00:00 GMT"
    ranges = ["bytes=0-9", "bytes=-5", "bytes=10-", "bytes=3-999999", "bytes=0-0", "bytes=-0", "bytes=999999-",
              "bytes=5-2", "bytes=abc", "bytes=0-1,4-5", "items=0-1", "bytes=-999999", "bytes= 0-3", "bytes=1-1"]
    conds = {
        "if-match ok": {"If-Match": etag}, "if-match wrong": {"If-Match": '"0000"'},
        "if-match *": {"If-Match": "*"},
        "if-none-match ok": {"If-None-Match": etag}, "if-none-match wrong": {"If-None-Match": '"0000"'},
        "if-none-match *": {"If-None-Match": "*"},
        "ims old": {"If-Modified-Since": old}, "ims future": {"If-Modified-Since": future},
        "ims same": {"If-Modified-Since": last_mod},
        "ius old": {"If-Unmodified-Since": old}, "ius future": {"If-Unmodified-Since": future},
        "ius same": {"If-Unmodified-Since": last_mod},
        "im ok + ius old": {"If-Match": etag, "If-Unmodified-Since": old},
        "im wrong + ius future": {"If-Match": '"0000"', "If-Unmodified-Since": future},
        "inm ok + ims old": {"If-None-Match": etag, "If-Modified-Since": old},
        "inm wrong + ims future": {"If-None-Match": '"0000"', "If-Modified-Since": future},
        "im ok + inm ok": {"If-Match": etag, "If-None-Match": etag},
        "ims bad date": {"If-Modified-Since": "yesterday"},
        "range + im wrong": {"Range": "bytes=0-3", "If-Match": '"0000"'},
        "range + inm ok": {"Range": "bytes=0-3", "If-None-Match": etag},
    }
    cases = [("plain", {}, [])]
    cases += [(f"range {r}", {"Range": r}, []) for r in ranges]
    cases += [(k, h, []) for k, h in conds.items()]
    cases += [(f"partNumber={p}", {}, [("partNumber", p)]) for p in ("1", "2", "0")]
    cases += [("partNumber=1 + range", {"Range": "bytes=0-3"}, [("partNumber", "1")])]
    cases += [(f"versionId={v}", {}, [("versionId", v)]) for v in ("null", "3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY")]
    return cases


OBJ_KEYS = ["cities.csv", "nested/a/b/c.txt", *ODD_KEYS]

# Where moto answers a read otherwise than AWS S3 (the proxy follows AWS): case label ->
# (methods, reason, AWS's answer); "plain" = the answer to the request without the offending part.
GH = ("GET", "HEAD")
OBJECT_MOTO_DIFFERS = {
    "range items=0-1": (GH, "a Range of a unit other than bytes is ignored (RFC 9110; S3 serves the whole "
                        "object); moto reads it as a byte range", "plain"),
    "ims bad date": (GH, "an If-Modified-Since that is no HTTP date is ignored (RFC 9110, S3); moto fails "
                     "with 500", "plain"),
    "partNumber=2": (("GET",), "S3 refuses a part a one-part object lacks with 416 InvalidPartNumber; moto's "
                     "416 has an HTML body", (416, "InvalidPartNumber")),
    "partNumber=0": (GH, "S3 takes part numbers 1 to 10000 only (400 InvalidArgument); moto serves the object",
                     (400, "InvalidArgument")),
    "partNumber=1 + range": (GH, "S3 refuses partNumber next to Range (400 InvalidRequest); moto serves the "
                             "object", (400, "InvalidRequest")),
    "versionId=null": (("HEAD",), "S3 serves an unversioned object as its null version, on HEAD as on GET; "
                       "moto's HEAD answers 400", "plain"),
    "versionId=3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY": (
        ("HEAD",), "a version the object lacks is 404 (NoSuchVersion) on S3, on HEAD as on GET (where moto "
        "agrees); moto's HEAD answers 400", (404, "NoSuchVersion")),
}


def expected_view(moto: Side, method: str, path: str, label: str, headers: dict, raw: dict) -> dict:
    """Moto's answer, or AWS's where OBJECT_MOTO_DIFFERS names the case."""
    methods, _, aws = OBJECT_MOTO_DIFFERS.get(label, ((), None, None))
    if method not in methods:
        return raw
    if aws == "plain":
        keep = {k: v for k, v in headers.items() if k not in ("Range", "If-Modified-Since")}
        want = object_view(moto.send(method, path, [], keep), method)
    else:
        want = {"status": aws[0], "code": aws[1] if method == "GET" else None}
    # The entry must still be needed: moto on its own would not give AWS's answer.
    assert raw != want, f"moto now answers {method} {label!r} as AWS does: update OBJECT_MOTO_DIFFERS"
    return want


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_objects_agree_with_moto(sides, method):
    moto, proxy = sides
    diffs, n = [], 0

    def compare(key: str, label: str, headers: dict, query: list):
        nonlocal n
        path = lambda s: "/" + quote(s.pre + key, safe="/-_.~")  # noqa: E731
        raw_moto = object_view(moto.send(method, path(moto), query, headers), method)
        want = expected_view(moto, method, path(moto), label, headers, raw_moto)
        got = object_view(proxy.send(method, path(proxy), query, headers), method)
        n += 1
        if want != got:
            diffs.append((key, label, want, got))

    for key in OBJ_KEYS:
        head = moto.send("HEAD", "/" + quote(moto.pre + key, safe="/-_.~"), [], {})
        assert head.status_code == 200, (key, head.status_code)
        for label, headers, query in object_cases(head.headers["etag"], head.headers["last-modified"]):
            compare(key, label, headers, query)
    for key in ("nope.txt", "nested/a/", "odd", "odd/hello%20world.txt", "cities.csv/"):
        for label, headers, query in [("plain", {}, []), ("range", {"Range": "bytes=0-3"}, []),
                                      ("inm", {"If-None-Match": "*"}, [])]:
            compare(key, label, headers, query)
    Tally.objects += n
    short = lambda v: {k: (x[:40] if isinstance(x, bytes) else x) for k, x in v.items()}  # noqa: E731
    assert not diffs, f"{len(diffs)} of {n} object requests differ; first ones:\n" + "\n".join(
        f"{k} [{lbl}]: expected={short(w)} proxy={short(g)}" for k, lbl, w, g in diffs[:12])


def test_zz_report_count():
    print(f"\noracle: {Tally.listings} listings ({Tally.pages} pages) and {Tally.objects} object reads "
          "compared with moto")
