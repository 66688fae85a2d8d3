"""What every answer must satisfy (the invariants), what each row expects, and the
byte-for-byte comparison of a restricted target's answer with a missing one's.
Each function returns a list of problems (empty: fine)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from corpus_run import decode_token_text
from support.httpraw import Resp, strip_ns

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"

# Names and bytes of what only granted principals may see (conftest.py's catalog).
RESTRICTED = ["restricted-data", "restricted-other", "restricted-beyond", "vault", "sealed", "secret.csv",
              "only-for-granted-principals", "hidden/"]
_READS_RESTRICTED_DATA = {"restricted-data", "secret.csv", "only-for-granted-principals"}
# What each principal must never be shown (unless its own request named it).
MUST_NOT_SEE = {
    "anon": RESTRICTED,
    "bob": RESTRICTED,
    "alice": [],
    # ceiling demo/restricted-data: everything else is out of sight, public data too
    "gha": [m for m in RESTRICTED if m not in _READS_RESTRICTED_DATA]
    + ["public-data", "unlisted-data", "cities", "<Name>mirror</Name>", "<Name>stub</Name>"],
    # alice of another issuer: granted restricted-data only
    "rot": [m for m in RESTRICTED if m not in _READS_RESTRICTED_DATA],
    # ceiling demo/public-data/nested/*: the rest of public-data is out of sight
    "prefix": RESTRICTED + ["cities", "many/", "odd/", "large/", "unlisted-data", "<Name>mirror</Name>",
                            "<Name>stub</Name>"],
}
STACK_TRACE = ["panicked", ".rs:", "RuntimeError", "stack backtrace", "wasm-function", "Uncaught", "\n    at ",
               "node_modules", "miniflare", "Traceback"]
NEVER_SENT = ["x-injected", "set-cookie"]
# Resume points the proxy minted (the echoed ContinuationToken/Marker are the caller's own).
_TOKENS = re.compile(rb"<(NextContinuationToken|NextMarker)>([^<]*)<")


def error_code(resp: Resp) -> str | None:
    body = resp.body.lstrip()
    if not body:
        return None
    try:
        if body.startswith(b"{"):
            return json.loads(body)["Error"]["Code"]
        for el in ET.fromstring(body).iter():
            if strip_ns(el.tag) == "Code":
                return el.text
    except Exception:  # noqa: BLE001 - an unparseable document has no code
        return None
    return None


def route_shape(row: dict) -> str:
    shape = row["expect"].get("shape")
    if shape:
        return shape
    target = row.get("target", "/")
    if "raw" in row:
        target = row["raw"].split(" ")[1] if row["raw"].count(" ") >= 2 else "/"
    path = target.split("?")[0]
    sts = row.get("sts") is not None or path in ("/.sts", "/.sts/")
    if row.get("method") == "OPTIONS":  # a refused preflight: S3's AccessForbidden, or the STS route's own
        return "sts" if sts else "s3"
    if sts:
        accept = (row.get("sts") or {}).get("accept") or dict(
            (k.lower(), v) for k, v in (row.get("headers") or {}).items()).get("accept", "")
        return "sts-json" if "application/json" in accept else "sts"
    return "s3"


def _error_document(resp: Resp, shape: str) -> list[str]:
    if shape == "any":  # a path that belongs to neither route for sure: either document will do
        s3, sts = _error_document(resp, "s3"), _error_document(resp, "sts")
        return [] if not s3 or not sts else s3 + sts
    rid = resp.h("x-amz-request-id")
    ctype = (resp.h("content-type") or "").split(";")[0].strip()
    try:
        if shape == "s3":
            if ctype != "application/xml":
                return [f"S3 error with Content-Type {ctype!r}"]
            root = ET.fromstring(resp.body)
            f = {strip_ns(c.tag): (c.text or "") for c in root}
            bad = strip_ns(root.tag) != "Error" or not f.get("Code") or "Message" not in f
            if bad or f.get("RequestId") != rid:
                return ["not an S3 <Error> with Code, Message and the request id"]
            return []
        if "no-store" not in (resp.h("cache-control") or ""):
            return ["STS error without Cache-Control: no-store"]
        if shape == "sts-json":
            doc = json.loads(resp.body)
            err, got_rid = doc["Error"], doc["RequestId"]
        else:
            if ctype not in ("text/xml", "application/xml"):
                return [f"STS error with Content-Type {ctype!r}"]
            root = ET.fromstring(resp.body)
            if root.tag != "{%s}ErrorResponse" % STS_NS:
                return [f"STS error document is <{root.tag}>, not an STS ErrorResponse"]
            top = {strip_ns(c.tag): c for c in root}
            err = {strip_ns(c.tag): (c.text or "") for c in top["Error"]}
            got_rid = top["RequestId"].text
        if not (err.get("Type") in ("Sender", "Receiver") and err.get("Code") and err.get("Message")):
            return ["STS error without Type, Code and Message"]
        if got_rid != rid:
            return ["STS error's RequestId is not the header's"]
    except Exception as e:  # noqa: BLE001 - the document itself is the problem
        return [f"malformed {shape} error document: {e!r}"]
    return []


def _leaks(resp: Resp, sent: str, must_not: list[str]) -> list[str]:
    text = resp.body.decode("utf-8", "replace") + "\n" + "\n".join(f"{k}: {v}" for k, v in resp.headers.items())
    # what a listing token would reveal, decoded
    text += "\n" + "\n".join(decode_token_text(m.group(2).decode("utf-8", "replace"))
                             for m in _TOKENS.finditer(resp.body))
    return [f"shows {m!r} to a principal who may not see it" for m in must_not if m in text and m not in sent]


def invariants(row: dict, sent: str, principal: str, resp: Resp, allowed_5xx: set[int]) -> list[str]:
    out = []
    runtime = row.get("by") == "runtime"
    if resp.status >= 500 and resp.status not in allowed_5xx:
        out.append(f"5xx: {resp.status}")
    if not runtime and not resp.h("x-amz-request-id"):
        out.append("no x-amz-request-id")
    if resp.method == "HEAD" and resp.body:
        out.append("HEAD answer has a body")
    if not runtime and resp.status >= 400 and resp.method != "HEAD":
        out += _error_document(resp, route_shape(row))
    blob = resp.body.decode("utf-8", "replace") + "\n".join(v for _, v in resp.headers.items())
    out += [f"stack trace / panic text {s!r}" for s in STACK_TRACE if s in blob]
    names = {k.lower() for k in resp.headers.keys()}
    out += [f"header {h} in the answer" for h in NEVER_SENT if h in names and h not in sent.lower()]
    if resp.h("access-control-allow-origin") == "*" and (resp.h("access-control-allow-credentials") or "") == "true":
        out.append("Access-Control-Allow-Origin * with credentials")
    out += _leaks(resp, sent, MUST_NOT_SEE[principal])
    return out


# --------------------------------------------------------------------------- expectations


def _one_of(v) -> list:
    return v if isinstance(v, list) else [v]


def _fill(v: str, sample: dict[str, bytes]) -> str:
    return re.sub(r"\{size:([^}]*)\}", lambda m: str(len(sample[m.group(1)])), v)


def _body(exp, resp: Resp, sample: dict[str, bytes]) -> list[str]:
    if exp == "empty":
        return [] if resp.body == b"" else [f"body not empty ({len(resp.body)} bytes)"]
    if isinstance(exp, str) and exp.startswith("const:"):  # a body the harness put into moto
        from support import sample

        want = getattr(sample, exp[6:])
        return [] if resp.body == want else [f"body is not {exp} ({len(resp.body)} vs {len(want)} bytes)"]
    if isinstance(exp, str) and exp.startswith("sample:"):
        want = sample[exp[7:]]
        return [] if resp.body == want else [f"body is not {exp} ({len(resp.body)} vs {len(want)} bytes)"]
    if isinstance(exp, dict):
        out = []
        if "sample" in exp:
            data = sample[exp["sample"]]
            a, b = exp.get("range", [0, len(data) - 1])
            if resp.body != data[a:b + 1]:
                out.append(f"body is not bytes {a}-{b} of {exp['sample']}")
        for s in exp.get("contains", []):
            if s.encode() not in resp.body:
                out.append(f"body lacks {s!r}")
        for s in exp.get("absent", []):
            if s.encode() in resp.body:
                out.append(f"body has {s!r}")
        return out
    raise ValueError(f"bad expect.body {exp!r}")


def _list(exp: dict, resp: Resp) -> list[str]:
    try:
        root = ET.fromstring(resp.body)
    except ET.ParseError as e:
        return [f"listing is not XML: {e}"]
    if root.tag != "{%s}ListBucketResult" % S3_NS:
        return [f"listing root is {root.tag}"]
    kids = lambda name: [c for c in root if strip_ns(c.tag) == name]  # noqa: E731
    sub = lambda el, name: next((c.text or "" for c in el if strip_ns(c.tag) == name), None)  # noqa: E731
    keys = [sub(c, "Key") for c in kids("Contents")]
    prefixes = [sub(c, "Prefix") for c in kids("CommonPrefixes")]
    top = {strip_ns(c.tag): (c.text or "") for c in root}
    out = []
    if "keys" in exp and keys != exp["keys"]:
        out.append(f"keys {keys[:8]} (of {len(keys)}) != {exp['keys'][:8]}")
    if "prefixes" in exp and prefixes != exp["prefixes"]:
        out.append(f"common prefixes {prefixes} != {exp['prefixes']}")
    if "count" in exp and len(keys) + len(prefixes) != exp["count"]:
        out.append(f"{len(keys) + len(prefixes)} entries, not {exp['count']}")
    if "truncated" in exp and top.get("IsTruncated") != str(exp["truncated"]).lower():
        out.append(f"IsTruncated {top.get('IsTruncated')}")
    if "key_count" in exp and top.get("KeyCount") != str(exp["key_count"]):
        out.append(f"KeyCount {top.get('KeyCount')}")
    if "next" in exp and (("NextContinuationToken" in top or "NextMarker" in top) != exp["next"]):
        out.append("a next-page token/marker where none belongs, or none where one does")
    for k, v in exp.get("fields", {}).items():
        if top.get(k) != v:
            out.append(f"<{k}> is {top.get(k)!r}, not {v!r}")
    return out


def expectations(row: dict, resp: Resp, sample: dict[str, bytes]) -> list[str]:
    exp, out = row["expect"], []
    if resp.status not in _one_of(exp["status"]):
        out.append(f"status {resp.status}, expected {exp['status']}")
    if "code" in exp and resp.method != "HEAD" and row.get("by") != "runtime":
        code = error_code(resp) if resp.status >= 300 else None
        if code not in _one_of(exp["code"]):
            out.append(f"code {code}, expected {exp['code']}")
    if "body" in exp:
        out += _body(exp["body"], resp, sample)
    for name, want in (exp.get("headers") or {}).items():
        got = resp.h(name)
        if want is None and got is not None:
            out.append(f"header {name}: {got!r} should be absent")
        elif want == "*" and got is None:
            out.append(f"header {name} missing")
        elif want not in (None, "*") and got != _fill(want, sample):
            out.append(f"header {name}: {got!r}, expected {_fill(want, sample)!r}")
    for name, tokens in (exp.get("header_has") or {}).items():
        got = {t.strip().lower() for t in (resp.h(name) or "").split(",")}
        out += [f"header {name} lacks {t}" for t in tokens if t.lower() not in got]
    for name, tokens in (exp.get("header_lacks") or {}).items():
        got = {t.strip().lower() for t in (resp.h(name) or "").split(",")}
        out += [f"header {name} has {t}" for t in tokens if t.lower() in got]
    if "list" in exp and resp.status == 200:
        out += _list(exp["list"], resp)
    if "buckets" in exp and resp.status == 200:  # a list: exactly these; {has, not}: at least / never
        names = {n.decode() for n in re.findall(rb"<Name>([^<]*)</Name>", resp.body)}
        want = exp["buckets"]
        if isinstance(want, list) and names != set(want):
            out.append(f"buckets {sorted(names)} != {want}")
        if isinstance(want, dict) and not (set(want["has"]) <= names and not names & set(want["not"])):
            out.append(f"buckets {sorted(names)}: must have {want['has']}, never {want['not']}")
    if "sts" in exp and resp.status == 200:
        out += _sts_success(exp["sts"], resp)
    if exp.get("json") and resp.status == 200:
        try:
            json.loads(resp.body)
        except ValueError:
            out.append("body is not JSON")
    return out


def _sts_success(exp: dict, resp: Resp) -> list[str]:
    from support.sts import sts_success_xml

    try:
        if exp.get("json"):
            res = json.loads(resp.body)["AssumeRoleWithWebIdentityResponse"]["AssumeRoleWithWebIdentityResult"]
            sub = res["SubjectFromWebIdentityToken"]
        else:
            sub = sts_success_xml(resp)["SubjectFromWebIdentityToken"]
    except (AssertionError, KeyError, ValueError, ET.ParseError) as e:
        return [f"not an AWS-shaped STS success: {e!r}"]
    if "subject" in exp and sub != exp["subject"]:
        return [f"SubjectFromWebIdentityToken {sub[:80]!r} != {exp['subject'][:80]!r}"]
    return []


# --------------------------------------------------------------------------- restricted vs missing

_SKIP = {"x-amz-request-id", "date"}


def same_answer(restricted: Resp, missing: Resp, swap: tuple[str, str]) -> list[str]:
    """Equal byte for byte, once the missing name reads as the restricted one and the
    request ids are set aside (the only parts that may differ)."""
    real, fake = (s.encode() for s in swap)
    fix = lambda b, rid: b.replace(fake, real).replace((rid or "").encode() or b"\0", b"RID")  # noqa: E731
    out = []
    if restricted.status != missing.status:
        out.append(f"status {restricted.status} (restricted) != {missing.status} (missing)")
    ra = {k.lower(): v for k, v in restricted.headers.items() if k.lower() not in _SKIP}
    ma = {k.lower(): v.replace(swap[1], swap[0]) for k, v in missing.headers.items() if k.lower() not in _SKIP}
    if ra != ma:
        diff = {k: (ra.get(k), ma.get(k)) for k in set(ra) | set(ma) if ra.get(k) != ma.get(k)}
        out.append(f"headers differ: {diff}")
    rb = fix(restricted.body, restricted.h("x-amz-request-id"))
    mb = fix(missing.body, missing.h("x-amz-request-id"))
    if rb != mb:
        out.append(f"bodies differ: {rb[:300]!r} vs {mb[:300]!r}")
    return out
