"""The corpus as data: `corpus/<class>.jsonl`, one row per line (`#` lines are
comments). The file name is the row's class. README.md in this folder documents the
fields; unknown fields are refused, so a typo cannot silently drop a check.

Strings may repeat a fragment: `«AB*3»` is `ABABAB` (`«` never occurs in a row otherwise).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"

ROW_FIELDS = {"id", "why", "pending", "method", "target", "headers", "body", "raw", "host", "as", "sign", "sig",
              "sts", "same_as", "expect", "by"}
EXPECT_FIELDS = {"status", "code", "shape", "body", "headers", "header_has", "header_lacks", "list", "buckets",
                 "sts", "json"}
SIG_FIELDS = {"time", "date8", "region", "service", "terminator", "secret", "akid", "token", "token_where",
              "unsigned", "payload", "extra_signed", "extra_unsigned", "signed_names", "date_header", "drop",
              "replace", "authorization", "dup_auth", "send_target", "expires", "query_add", "mixed", "sig_case"}
STS_FIELDS = {"via", "token", "params", "role", "accept", "content_type", "body", "method"}
TOKEN_FIELDS = {"idp", "sub", "aud", "alg", "kid", "ttl", "iat", "nbf", "exp", "claims", "omit", "header",
                "header_omit", "forge"}
PRINCIPALS = {"anon", "alice", "bob", "gha", "rot", "prefix"}

_REP = re.compile(r"«(.*?)\*(\d+)»", re.S)


def expand(v):
    """Repetition macros, recursively."""
    if isinstance(v, str):
        return _REP.sub(lambda m: m.group(1) * int(m.group(2)), v)
    if isinstance(v, list):
        return [expand(x) for x in v]
    if isinstance(v, dict):
        return {k: expand(x) for k, x in v.items()}
    return v


def _check(row: dict, where: str) -> None:
    def unknown(d, allowed, what):
        extra = set(d) - allowed
        if extra:
            raise ValueError(f"{where}: unknown {what} field(s) {sorted(extra)}")

    unknown(row, ROW_FIELDS, "row")
    for need in ("id", "why", "expect"):
        if need not in row:
            raise ValueError(f"{where}: `{need}` is required")
    unknown(row["expect"], EXPECT_FIELDS, "expect")
    if "status" not in row["expect"]:
        raise ValueError(f"{where}: expect.status is required")
    unknown(row.get("sig") or {}, SIG_FIELDS, "sig")
    if row.get("as", "anon") not in PRINCIPALS:
        raise ValueError(f"{where}: unknown principal {row['as']!r}")
    if row.get("sign") not in (None, "header", "presign"):
        raise ValueError(f"{where}: sign must be header or presign")
    sts = row.get("sts")
    if sts is not None:
        unknown(sts, STS_FIELDS, "sts")
        if isinstance(sts.get("token"), dict):
            unknown(sts["token"], TOKEN_FIELDS, "token")


def load(directory: Path = CORPUS) -> list[dict]:
    rows, seen = [], set()
    for path in sorted(directory.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{path.name}:{n}"
            try:
                row = json.loads(line)
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
            _check(row, where)
            if row["id"] in seen:
                raise ValueError(f"{where}: duplicate id {row['id']}")
            seen.add(row["id"])
            row = expand(row)
            row["class"] = path.stem
            row["where"] = where
            rows.append(row)
    return rows
