"""AWS S3's rules for signed requests that a valid signature does not replace (docs/STS.md,
"Signed requests (SigV4)"): each request here is hand-signed correctly with real session
credentials, and broken in exactly one way that AWS refuses; the control, signed the same
way and not broken, is served."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from email.utils import format_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from support.httpraw import raw, s3_error
from support.sts import assume, path_of, presign

pytestmark = pytest.mark.sts

OBJ = "/demo/restricted-data/secret.csv"
EMPTY = hashlib.sha256(b"").hexdigest()
REGION = "us-east-1"


@pytest.fixture(scope="module")
def alice(sts_worker, idp):
    return assume(sts_worker.url, idp.token("alice"))


def hand_signed(base_url: str, creds, *, headers: dict[str, str], signed: list[str] | None = None,
                payload: str = EMPTY, region: str = REGION, upper_signature: bool = False,
                date_style: str = "amz") -> dict:
    """Headers of a GET of OBJ, SigV4 (header auth) computed here: `headers` plus Host and
    the request time (X-Amz-Date, or a Date header: `http` or obsolete `rfc850` format) are
    sent; `signed` (default: all of them; Host and the time always) are signed; `payload`
    is the payload hash of the canonical request."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    amz_date, date8 = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    time_header = {"amz": ("x-amz-date", amz_date), "http": ("date", format_datetime(now, usegmt=True)),
                   "rfc850": ("date", now.strftime("%A, %d-%b-%y %H:%M:%S GMT"))}[date_style]
    sent = {"host": base_url.removeprefix("http://"), time_header[0]: time_header[1],
            **{k.lower(): v for k, v in headers.items()}}
    names = sorted(sent) if signed is None else sorted({"host", time_header[0], *(n.lower() for n in signed)})
    canonical = "\n".join(["GET", OBJ, "", "".join(f"{n}:{sent[n].strip()}\n" for n in names),
                           ";".join(names), payload])
    scope = f"{date8}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + creds.secret_access_key).encode()
    for part in (date8, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if upper_signature:
        sig = sig.upper()
    sent["authorization"] = (f"AWS4-HMAC-SHA256 Credential={creds.access_key_id}/{scope}, "
                             f"SignedHeaders={';'.join(names)}, Signature={sig}")
    del sent["host"]  # http.client sends its own, the same
    return sent


def usual(creds) -> dict[str, str]:
    return {"x-amz-content-sha256": EMPTY, "x-amz-security-token": creds.session_token}


def refused(resp, status: int, code: str, message: str | None = None) -> None:
    assert resp.status == status, resp
    f = s3_error(resp)
    assert f["Code"] == code, resp
    if message is not None:
        assert f["Message"] == message, resp


def test_control_hand_signed_request_is_served(sts_worker, alice, secret_bytes):
    r = raw(sts_worker.url, "GET", OBJ, hand_signed(sts_worker.url, alice, headers=usual(alice)))
    assert (r.status, r.body) == (200, secret_bytes), r


def test_missing_x_amz_content_sha256(sts_worker, alice):
    h = hand_signed(sts_worker.url, alice, headers={"x-amz-security-token": alice.session_token})
    refused(raw(sts_worker.url, "GET", OBJ, h), 400, "InvalidRequest",
            "Missing required header for this request: x-amz-content-sha256")


def test_x_amz_content_sha256_values(sts_worker, alice):
    body_hash = hashlib.sha256(b"a body").hexdigest()
    h = hand_signed(sts_worker.url, alice, headers={**usual(alice), "x-amz-content-sha256": body_hash},
                    payload=body_hash)
    refused(raw(sts_worker.url, "GET", OBJ, h), 400, "XAmzContentSHA256Mismatch")
    h = hand_signed(sts_worker.url, alice, headers={**usual(alice), "x-amz-content-sha256": "nonsense"},
                    payload="nonsense")
    refused(raw(sts_worker.url, "GET", OBJ, h), 400, "InvalidArgument")


def test_unsigned_security_token(sts_worker, alice):
    h = hand_signed(sts_worker.url, alice, headers=usual(alice), signed=["x-amz-content-sha256"])
    assert "x-amz-security-token" in h and "x-amz-security-token" not in h["authorization"]
    refused(raw(sts_worker.url, "GET", OBJ, h), 403, "AccessDenied",
            "There were headers present in the request which were not signed")


def test_unsigned_x_amz_header(sts_worker, alice):
    h = hand_signed(sts_worker.url, alice, headers={**usual(alice), "x-amz-meta-extra": "1"},
                    signed=["x-amz-content-sha256", "x-amz-security-token"])
    refused(raw(sts_worker.url, "GET", OBJ, h), 403, "AccessDenied")


def test_presigned_with_an_unsigned_token_header(sts_worker, alice, secret_bytes):
    url = presign(sts_worker.url + OBJ, alice, 120)
    r = raw(sts_worker.url, "GET", path_of(url))
    assert (r.status, r.body) == (200, secret_bytes), r
    r = raw(sts_worker.url, "GET", path_of(url), {"x-amz-security-token": alice.session_token})
    refused(r, 403, "AccessDenied")


@pytest.mark.parametrize("expires,status,code,message", [
    ("0", 403, "AccessDenied", "Request has expired"),
    ("-1", 400, "AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative"),
    ("604801", 400, "AuthorizationQueryParametersError",
     "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
])
def test_x_amz_expires_bounds(sts_worker, alice, expires, status, code, message):
    """botocore signs whatever X-Amz-Expires it is given: the URL is valid but for this."""
    url = presign(sts_worker.url + OBJ, alice, 120)
    u = urlsplit(url)
    q = [(k, expires if k == "X-Amz-Expires" else v) for k, v in parse_qsl(u.query, keep_blank_values=True)]
    refused(raw(sts_worker.url, "GET", u.path + "?" + urlencode(q)), status, code, message)
    if expires == "0":  # signed with 0 from the start: expired too
        signed_zero = presign(sts_worker.url + OBJ, alice, 0)
        refused(raw(sts_worker.url, "GET", path_of(signed_zero)), 403, "AccessDenied", "Request has expired")


def test_uppercase_signature(sts_worker, alice):
    h = hand_signed(sts_worker.url, alice, headers=usual(alice), upper_signature=True)
    refused(raw(sts_worker.url, "GET", OBJ, h), 403, "SignatureDoesNotMatch")


def test_region_must_be_a_region_name(sts_worker, alice):
    h = hand_signed(sts_worker.url, alice, headers=usual(alice), region="us.east%1")
    refused(raw(sts_worker.url, "GET", OBJ, h), 400, "AuthorizationHeaderMalformed")


def test_date_header_fallback_takes_the_http_date_format_only(sts_worker, alice, secret_bytes):
    h = hand_signed(sts_worker.url, alice, headers=usual(alice), date_style="http")
    r = raw(sts_worker.url, "GET", OBJ, h)
    assert (r.status, r.body) == (200, secret_bytes), r
    # An obsolete form is no valid date: S3's 403 AccessDenied (it was 400
    # AuthorizationHeaderMalformed here before).
    h = hand_signed(sts_worker.url, alice, headers=usual(alice), date_style="rfc850")
    refused(raw(sts_worker.url, "GET", OBJ, h), 403, "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header")
