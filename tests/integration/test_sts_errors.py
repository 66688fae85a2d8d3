"""The STS endpoint over raw HTTP: every route form, AWS-faithful XML and JSON
answers, `Cache-Control: no-store`, and every STS error code provoked through the real
Worker with a token that is wrong in exactly one way."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest

from conftest import AUDIENCE, DEAD_ROLE, GHA_ROLE
from support.httpraw import raw
from support.sts import (
    FORM, STS_NS, assert_no_store, claims, creds_of, exchange, forge_alg_none, forge_hs256, jwk_public_pem, jwt_split,
    rs256_token, sts_error, sts_params, sts_success_xml, tamper_payload,
)

pytestmark = pytest.mark.sts


def now() -> int:
    return int(time.time())


# --------------------------------------------------------------------------- success documents


@pytest.mark.parametrize("via", ["form", "form-slash", "get", "post-query", "root"])
def test_every_route_form_exchanges(sts_worker, idp, via):
    r = exchange(sts_worker.url, idp.token("alice"), via=via)
    f = sts_success_xml(r)
    assert f["SubjectFromWebIdentityToken"] == "alice", r


def test_success_xml_fields(sts_worker, idp):
    t0 = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    r = exchange(sts_worker.url, idp.token("alice"), session_name="my-session", duration=1800)
    f = sts_success_xml(r)  # namespace, element names, no-store
    c = f["Credentials"]
    assert set(c) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}, c
    assert len(c["AccessKeyId"]) >= 16 and c["AccessKeyId"].isalnum() and c["AccessKeyId"].isupper(), c
    assert len(c["SecretAccessKey"]) >= 30, c
    assert len(c["SessionToken"]) > 40, c
    # ISO 8601 UTC, DurationSeconds later
    assert c["Expiration"].endswith("Z"), c
    exp = dt.datetime.fromisoformat(c["Expiration"].replace("Z", "+00:00"))
    assert dt.timedelta(seconds=1790) <= exp - t0 <= dt.timedelta(seconds=1830), (exp, t0)
    assert f["SubjectFromWebIdentityToken"] == "alice"
    assert f["Audience"] == AUDIENCE
    assert f["Provider"] in (idp.issuer, idp.issuer.removeprefix("http://")), f["Provider"]
    user = f["AssumedRoleUser"]
    assert user["Arn"].startswith("arn:aws:sts::") and user["Arn"].endswith(":assumed-role/_default/my-session"), user
    assert user["AssumedRoleId"].endswith(":my-session"), user
    assert f["RequestId"] == r.h("x-amz-request-id"), r


def test_success_json_with_accept(sts_worker, idp):
    r = exchange(sts_worker.url, idp.token("alice"), accept="application/json", session_name="json-session")
    assert r.status == 200, r
    assert_no_store(r)
    assert (r.h("content-type") or "").startswith("application/json"), r
    doc = json.loads(r.body)
    res = doc["AssumeRoleWithWebIdentityResponse"]["AssumeRoleWithWebIdentityResult"]
    c = res["Credentials"]
    assert set(c) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}, c
    assert all(isinstance(v, str) and v for v in c.values()), c
    assert res["SubjectFromWebIdentityToken"] == "alice"
    assert res["Audience"] == AUDIENCE
    assert res["AssumedRoleUser"]["Arn"].endswith("/_default/json-session")
    rid = doc["AssumeRoleWithWebIdentityResponse"]["ResponseMetadata"]["RequestId"]
    assert rid == r.h("x-amz-request-id"), r


def test_default_session_name_is_derived(sts_worker, idp):
    r = exchange(sts_worker.url, idp.token("repo:octo-org/x:ref:refs/heads/main"), session_name=None)
    arn = sts_success_xml(r)["AssumedRoleUser"]["Arn"]
    name = arn.rsplit("/", 1)[1]
    assert 2 <= len(name) <= 64 and all(ch.isalnum() or ch in "_+=,.@-" for ch in name), arn


def test_es256_token_exchanges(sts_worker, idp):
    tok = idp.token("alice", alg="ES256")
    assert jwt_split(tok)[0]["alg"] == "ES256"
    sts_success_xml(exchange(sts_worker.url, tok))


def test_audience_list_containing_ours(sts_worker, idp):
    sts_success_xml(exchange(sts_worker.url, idp.token("alice", aud=["someone-else", AUDIENCE])))


def test_each_exchange_gets_new_credentials(sts_worker, idp):
    tok = idp.token("alice")
    a = creds_of(sts_success_xml(exchange(sts_worker.url, tok)))
    b = creds_of(sts_success_xml(exchange(sts_worker.url, tok)))
    assert a.access_key_id != b.access_key_id and a.secret_access_key != b.secret_access_key


def test_service_document_says_sts(sts_worker):
    doc = json.loads(raw(sts_worker.url, "GET", "/").body)
    assert doc["features"]["sts"] is True, doc
    assert doc["features"]["signed_requests"] is True, doc


# --------------------------------------------------------------------------- STS errors: the token


def test_wrong_audience(sts_worker, idp):
    e = sts_error(exchange(sts_worker.url, idp.token("alice", aud="some-other-api")), 400, "InvalidIdentityToken")
    assert AUDIENCE not in e["Message"]  # never echoes expected values


def test_foreign_issuer_refused_before_any_network_call(sts_worker, foreign_idp):
    import requests

    requests.post(foreign_idp.url + "/stats", json={"reset": True}, timeout=5)
    e = sts_error(exchange(sts_worker.url, foreign_idp.token("alice")), 400, "InvalidIdentityToken")
    assert foreign_idp.issuer not in e["Message"] and sts_worker.sts.issuer not in e["Message"]
    stats = requests.get(foreign_idp.url + "/stats", timeout=5).json()
    assert stats.get("discovery", 0) == 0 and stats.get("jwks", 0) == 0, stats


def test_expired_token(sts_worker, idp):
    tok = idp.token("alice", iat=now() - 7200, nbf=now() - 7200, exp=now() - 3600)
    sts_error(exchange(sts_worker.url, tok), 400, "ExpiredTokenException")


def test_expired_within_leeway_is_accepted(sts_worker, idp):
    tok = idp.token("alice", iat=now() - 600, nbf=now() - 600, exp=now() - 20)  # 60 s leeway
    sts_success_xml(exchange(sts_worker.url, tok))


def test_alg_none(sts_worker, idp):
    sts_error(exchange(sts_worker.url, forge_alg_none(idp.token("alice"))), 400, "InvalidIdentityToken")


def test_hs256_key_confusion(sts_worker, idp):
    tok = idp.token("alice")
    kid = jwt_split(tok)[0]["kid"]
    jwk = next(k for k in idp.jwks()["keys"] if k["kid"] == kid)
    forged = forge_hs256(tok, jwk_public_pem(jwk))
    sts_error(exchange(sts_worker.url, forged), 400, "InvalidIdentityToken")


def test_missing_exp(sts_worker, idp):
    tok = idp.token("alice", omit=["exp"])
    assert "exp" not in jwt_split(tok)[1]
    sts_error(exchange(sts_worker.url, tok), 400, "InvalidIdentityToken")


def test_missing_kid(sts_worker, idp):
    tok = idp.token("alice", header_omit=["kid"])
    assert "kid" not in jwt_split(tok)[0]
    sts_error(exchange(sts_worker.url, tok), 400, "InvalidIdentityToken")


def test_unknown_kid(sts_worker, idp):
    tok = idp.token("alice", header={"kid": "no-such-kid"})
    sts_error(exchange(sts_worker.url, tok), 400, "InvalidIdentityToken")


def test_not_yet_valid(sts_worker, idp):
    tok = idp.token("alice", nbf=now() + 3600, iat=now(), exp=now() + 7200)
    sts_error(exchange(sts_worker.url, tok), 400, "InvalidIdentityToken")


def test_issued_in_the_future(sts_worker, idp):
    tok = idp.token("alice", iat=now() + 3600, nbf=now(), exp=now() + 7200)
    sts_error(exchange(sts_worker.url, tok), 400, "InvalidIdentityToken")


def test_tampered_payload(sts_worker, idp):
    tok = tamper_payload(idp.token("mallory"), sub="alice")
    assert jwt_split(tok)[1]["sub"] == "alice"
    sts_error(exchange(sts_worker.url, tok), 400, "InvalidIdentityToken")


def _der_int(x: bytes) -> bytes:
    x = x.lstrip(b"\0") or b"\0"
    if x[0] & 0x80:
        x = b"\0" + x
    return b"\x02" + bytes([len(x)]) + x


def test_es256_tampered_or_reencoded_signature(sts_worker, idp):
    """ES256 is checked by WebCrypto in the Worker: a changed payload, a signature cut short,
    the raw r||s DER-encoded (what some libraries emit), or all zeros: each fails closed."""
    tok = idp.token("alice", alg="ES256")
    head, payload, sig = tok.split(".")
    raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    assert len(raw) == 64

    def b64(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    body = _der_int(raw[:32]) + _der_int(raw[32:])
    der = b"\x30" + bytes([len(body)]) + body
    for forged in (tamper_payload(tok, sub="mallory"), f"{head}.{payload}.{b64(raw[:63])}",
                   f"{head}.{payload}.{b64(der)}", f"{head}.{payload}.{b64(bytes(64))}"):
        sts_error(exchange(sts_worker.url, forged), 400, "InvalidIdentityToken")
    sts_success_xml(exchange(sts_worker.url, tok))


def test_signed_by_another_key_with_a_known_kid(sts_worker, idp):
    tok = idp.token("alice")
    forged, _ = rs256_token(jwt_split(tok)[1], kid=jwt_split(tok)[0]["kid"])
    sts_error(exchange(sts_worker.url, forged), 400, "InvalidIdentityToken")


@pytest.mark.parametrize("sub", ["", None])
def test_empty_or_missing_subject(sts_worker, idp, sub):
    tok = idp.token("x", omit=["sub"]) if sub is None else idp.token(sub)
    sts_error(exchange(sts_worker.url, tok), 400, "InvalidIdentityToken")


@pytest.mark.parametrize("token", ["abcd", "not.a.jwt", "e30.e30.", "a" * 500, "x.y.z.w.v"])
def test_garbage_tokens(sts_worker, token):
    sts_error(exchange(sts_worker.url, token), 400, "InvalidIdentityToken")


def test_unreachable_trusted_issuer(sts_worker):
    """Role dead-idp trusts an issuer where nothing listens: the JWKS cannot be fetched."""
    iss = sts_worker.sts.dead_issuer
    tok, _ = rs256_token(claims(iss, "alice"))
    t0 = time.monotonic()
    sts_error(exchange(sts_worker.url, tok, DEAD_ROLE), 400, "IDPCommunicationError")
    assert time.monotonic() - t0 < 10


# --------------------------------------------------------------------------- STS errors: the parameters


def test_unknown_role(sts_worker, idp):
    sts_error(exchange(sts_worker.url, idp.token("alice"), "no-such-role"), 400, "InvalidParameterValue")


def test_token_for_another_roles_issuer(sts_worker, idp):
    """gha-reader trusts the IdP too, but only for its audience: the default audience is refused."""
    sts_error(exchange(sts_worker.url, idp.token("alice"), GHA_ROLE), 400, "InvalidIdentityToken")


@pytest.mark.parametrize("duration", [899, 0, -1, 43201, "abc"])
def test_duration_out_of_range(sts_worker, idp, duration):
    sts_error(exchange(sts_worker.url, idp.token("alice"), duration=duration), 400, "ValidationError")


@pytest.mark.parametrize("duration", [900, 43200])
def test_duration_bounds_accepted(sts_worker, idp, duration):
    sts_success_xml(exchange(sts_worker.url, idp.token("alice"), duration=duration))


def test_oversized_token(sts_worker):
    sts_error(exchange(sts_worker.url, "a" * 20001), 400, "ValidationError")


def test_token_too_short(sts_worker):
    sts_error(exchange(sts_worker.url, "abc"), 400, "ValidationError")


@pytest.mark.parametrize("name", ["x", "a b", "a" * 65, "é-name"])
def test_bad_session_name(sts_worker, idp, name):
    sts_error(exchange(sts_worker.url, idp.token("alice"), session_name=name), 400, "ValidationError")


@pytest.mark.parametrize("missing", ["WebIdentityToken", "RoleArn", "Action"])
def test_missing_parameter(sts_worker, idp, missing):
    kw = {"WebIdentityToken": {"token": None}, "RoleArn": {"role": None}, "Action": {"action": None}}[missing]
    args = {"token": idp.token("alice"), "role": "_default", **kw}
    r = exchange(sts_worker.url, args.pop("token"), args.pop("role"), **args)
    sts_error(r, 400, "MissingParameter")


def test_duplicated_parameter_different_values(sts_worker, idp):
    r = exchange(sts_worker.url, idp.token("alice"), extra=[("RoleArn", "arn:aws:iam::123456789012:role/other")])
    sts_error(r, 400, "InvalidParameterValue")


def test_duplicated_parameter_query_and_body(sts_worker, idp):
    tok = idp.token("alice")
    body = f"Action=AssumeRoleWithWebIdentity&RoleArn=_default&WebIdentityToken={tok}".encode()
    r = raw(sts_worker.url, "POST", "/.sts?DurationSeconds=900", {"Content-Type": "application/x-www-form-urlencoded"},
            body + b"&DurationSeconds=1800")
    sts_error(r, 400, "InvalidParameterValue")


def test_same_parameter_twice_same_value_is_fine(sts_worker, idp):
    r = exchange(sts_worker.url, idp.token("alice"), extra=[("RoleArn", "_default")])
    sts_success_xml(r)


@pytest.mark.parametrize("action", ["AssumeRole", "GetCallerIdentity"])
def test_other_actions(sts_worker, idp, action):
    sts_error(exchange(sts_worker.url, idp.token("alice"), action=action), 400, "InvalidParameterValue")


def test_wrong_version(sts_worker, idp):
    r = exchange(sts_worker.url, idp.token("alice"), extra=[("Version", "2020-01-01")])
    sts_error(r, 400, "InvalidParameterValue")


def test_session_policies_outside_the_subset_are_refused(sts_worker, idp):
    """(test_sts_policy.py: the policies that are understood, with real clients.)"""
    r = exchange(sts_worker.url, idp.token("alice"), extra=[("Policy", "{}")])
    sts_error(r, 400, "MalformedPolicyDocument")
    r = exchange(sts_worker.url, idp.token("alice"), extra=[("Policy", "")])
    sts_error(r, 400, "ValidationError")
    r = exchange(sts_worker.url, idp.token("alice"), extra=[("PolicyArns.member.1.arn", "arn:aws:iam::1:policy/x")])
    sts_error(r, 400, "InvalidParameterValue")


def test_body_over_64k(sts_worker, idp):
    """(test_request_bodies.py: every size, chunked, real clients.)"""
    r = exchange(sts_worker.url, idp.token("alice"), extra=[("Padding", "x" * (65 * 1024))])
    sts_error(r, 413, "RequestEntityTooLarge")


def test_errors_as_json(sts_worker, idp):
    r = exchange(sts_worker.url, idp.token("alice", aud="nope"), accept="application/json")
    assert (r.h("content-type") or "").startswith("application/json"), r
    e = sts_error(r, 400, "InvalidIdentityToken")
    assert e["Type"] == "Sender"


def test_error_xml_is_aws_shaped(sts_worker):
    r = exchange(sts_worker.url, None)
    sts_error(r, 400, "MissingParameter")
    root = ET.fromstring(r.body)
    assert [c.tag for c in root] == ["{%s}Error" % STS_NS, "{%s}RequestId" % STS_NS], r
    assert [c.tag.split("}")[1] for c in root[0]] == ["Type", "Code", "Message"], r


# --------------------------------------------------------------------------- the route answers in its own shape


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/.sts?Action=%zz", None),
    ("GET", "/.sts/?Action=AssumeRoleWithWebIdentity&RoleArn=%", None),
    ("GET", "/%2Ests?Action=%zz", None),
    ("POST", "/?Action=%zz", None),
    ("POST", "/.sts", b"Action=%zz"),
    ("POST", "/", b"Action=AssumeRoleWithWebIdentity&RoleArn=%G0"),
])
@pytest.mark.parametrize("accept", [None, "application/json"])
def test_malformed_encoding_is_sts_shaped(sts_worker, method, path, body, accept):
    hdrs = {"Accept": accept} if accept else {}
    if body is not None:
        hdrs["Content-Type"] = FORM
    sts_error(raw(sts_worker.url, method, path, hdrs, body), 400, "InvalidParameterValue")


@pytest.mark.parametrize("path", ["/.sts/x", "/.sts/%zz", "/.sts//"])
def test_below_the_endpoint_is_sts_shaped(sts_worker, path):
    sts_error(raw(sts_worker.url, "GET", path), 404, "NotFound")


@pytest.mark.parametrize("path", ["/.sts", "/.sts/"])
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD"])
def test_only_get_and_post_exchange(sts_worker, idp, method, path):
    """AWS STS takes GET and POST: anything else is 405 with Allow, and issues nothing,
    even with every parameter of a valid exchange in the query."""
    query = urlencode(sts_params(idp.token("alice")))
    r = raw(sts_worker.url, method, f"{path}?{query}")
    assert r.status == 405 and r.h("allow") == "GET, POST, OPTIONS", r
    if method != "HEAD":
        sts_error(r, 405, "MethodNotAllowed")
    assert b"SessionToken" not in r.body, r


def test_put_with_a_real_client_is_405(sts_worker, idp):
    import requests

    form = dict(sts_params(idp.token("alice")))
    r = requests.put(sts_worker.url + "/.sts", data=form, timeout=30)
    assert r.status_code == 405 and r.headers.get("allow") == "GET, POST, OPTIONS", r.text
    assert "<Code>MethodNotAllowed</Code>" in r.text and "SessionToken" not in r.text, r.text


# --------------------------------------------------------------------------- 501 without configuration


@pytest.mark.parametrize("which", ["nokey", "noaud"])
def test_not_implemented_without_configuration(extra_workers, idp, which):
    """Without AUTH_AUDIENCE, or without SESSION_TOKEN_KEY, every STS
    exchange answers 501 NotImplemented (fail closed), whatever the role."""
    w = extra_workers[which]
    got = {}
    for role, aud in (("_default", AUDIENCE), (GHA_ROLE, "sts.amazonaws.com")):
        tok = idp.token("alice", aud=aud, claims={"repository": "octo-org/octo-repo", "ref": "refs/heads/main",
                                                   "environment": "prod"})
        got[role] = exchange(w.url, tok, role)
    doc = json.loads(raw(w.url, "GET", "/").body)
    summary = {role: (r.status, r.body[:300]) for role, r in got.items()} | {"features": doc["features"]}
    for r in got.values():
        assert r.status == 501, summary
        sts_error(r, 501, "NotImplemented")
    assert doc["features"]["sts"] is False, summary
