"""A GitHub-Actions-shaped role (roles, ceilings and grants): `gha-reader` trusts the dev IdP for
audience `sts.amazonaws.com`, binds `repository`, `ref` and `environment`, passes the
`repository` claim into the session (the catalog grants restricted-data to it), and has
the ceiling `demo/restricted-data`: nothing else, public data included, is readable."""

from __future__ import annotations

import pytest

from conftest import GHA_AUDIENCE, GHA_REPO, GHA_ROLE
from support.sts import SessionCreds, assume, creds_of, exchange, role_arn, session_s3, sts_error, sts_success_xml

pytestmark = pytest.mark.sts

KEY = "restricted-data/secret.csv"


def gha_token(idp, aud: str = GHA_AUDIENCE, omit: list[str] | None = None, **over) -> str:
    """Claims as GitHub's OIDC provider issues them for a job in environment `prod`."""
    c = {"repository": GHA_REPO, "repository_owner": "octo-org", "ref": "refs/heads/main",
         "environment": "prod", "workflow": "ci", "event_name": "push", "job_workflow_ref":
         f"{GHA_REPO}/.github/workflows/ci.yml@refs/heads/main"}
    c.update(over)
    sub = f"repo:{c.get('repository')}:environment:{c.get('environment')}"
    return idp.token(sub, aud=aud, claims=c, omit=omit or [])


def s3_code(fn) -> tuple[int, str]:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as ei:
        fn()
    e = ei.value.response
    return e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Code"]


@pytest.fixture(scope="module")
def gha(sts_worker, idp):
    r = exchange(sts_worker.url, gha_token(idp), GHA_ROLE, session_name="gha-run-42")
    f = sts_success_xml(r)
    assert f["SubjectFromWebIdentityToken"] == f"repo:{GHA_REPO}:environment:prod"
    assert f["Audience"] == GHA_AUDIENCE
    assert f"assumed-role/{GHA_ROLE}/gha-run-42" in f["AssumedRoleUser"]["Arn"]
    return session_s3(sts_worker.url, creds_of(f))


@pytest.fixture(scope="module")
def alice_s3(sts_worker, idp):
    return session_s3(sts_worker.url, assume(sts_worker.url, idp.token("alice")))


def test_gha_reads_restricted_data(gha, secret_bytes):
    assert gha.get_object(Bucket="demo", Key=KEY)["Body"].read() == secret_bytes
    listed = gha.list_objects_v2(Bucket="demo", Prefix="restricted-data/")
    assert [o["Key"] for o in listed["Contents"]] == [KEY]


def test_gha_with_boto3_sts(sts_worker, idp, secret_bytes):
    import boto3

    sts = boto3.session.Session(region_name="us-east-1").client("sts", endpoint_url=sts_worker.url + "/.sts")
    r = sts.assume_role_with_web_identity(RoleArn=role_arn(GHA_ROLE), RoleSessionName="gha",
                                          WebIdentityToken=gha_token(idp), DurationSeconds=3600)
    c = r["Credentials"]
    s3 = session_s3(sts_worker.url, SessionCreds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]))
    assert s3.get_object(Bucket="demo", Key=KEY)["Body"].read() == secret_bytes


@pytest.mark.parametrize("claim,value", [
    ("ref", "refs/heads/evil"),
    ("ref", "refs/heads/main-evil"),
    ("ref", "refs/tags/v1"),
    ("repository", "octo-org/octo-repo-fork"),
    ("repository", "evil-org/octo-repo"),
    ("environment", "staging"),
    ("environment", ["prod"]),  # not a string
    ("ref", 7),
])
def test_claims_not_matching_the_binding(sts_worker, idp, claim, value):
    e = sts_error(exchange(sts_worker.url, gha_token(idp, **{claim: value}), GHA_ROLE), 403, "IDPRejectedClaim")
    assert "refs/heads/main" not in e["Message"] and GHA_REPO not in e["Message"]  # no expected values


@pytest.mark.parametrize("claim", ["ref", "environment", "repository"])
def test_missing_bound_claim(sts_worker, idp, claim):
    sts_error(exchange(sts_worker.url, gha_token(idp, omit=[claim]), GHA_ROLE), 403, "IDPRejectedClaim")


def test_glob_condition(sts_worker, idp):
    sts_success_xml(exchange(sts_worker.url, gha_token(idp, environment="production-eu"), GHA_ROLE))


def test_gha_role_wrong_audience(sts_worker, idp):
    sts_error(exchange(sts_worker.url, gha_token(idp, aud="oidc-data-proxy"), GHA_ROLE), 400, "InvalidIdentityToken")


def test_gha_role_max_duration(sts_worker, idp):
    sts_error(exchange(sts_worker.url, gha_token(idp), GHA_ROLE, duration=3601), 400, "ValidationError")
    sts_success_xml(exchange(sts_worker.url, gha_token(idp), GHA_ROLE, duration=3600))


def test_other_restricted_product_without_grant(gha, alice_s3, secret_bytes):
    assert alice_s3.get_object(Bucket="demo", Key="restricted-other/secret.csv")["Body"].read() == secret_bytes
    assert s3_code(lambda: gha.get_object(Bucket="demo", Key="restricted-other/secret.csv")) == (404, "NoSuchBucket")


def test_granted_product_outside_the_ceiling(gha, alice_s3, secret_bytes):
    """restricted-beyond grants the repository claim, but the role's ceiling stops it."""
    assert alice_s3.get_object(Bucket="demo", Key="restricted-beyond/secret.csv")["Body"].read() == secret_bytes
    assert s3_code(lambda: gha.get_object(Bucket="demo", Key="restricted-beyond/secret.csv")) == (404, "NoSuchBucket")


def test_public_data_outside_the_ceiling(gha):
    """The ceiling limits everything, public products included (ceiling AND grant)."""
    assert s3_code(lambda: gha.get_object(Bucket="demo", Key="public-data/cities.csv")) == (404, "NoSuchBucket")
    assert s3_code(lambda: gha.get_object(Bucket="mirror", Key="signed/cities.csv")) == (404, "NoSuchBucket")
    assert s3_code(lambda: gha.get_object(Bucket="demo", Key="unlisted-data/hidden.csv")) == (404, "NoSuchBucket")


def test_listing_shows_only_the_ceiling(gha):
    top = gha.list_objects_v2(Bucket="demo", Delimiter="/")
    assert [p["Prefix"] for p in top.get("CommonPrefixes", [])] == ["restricted-data/"], top
    names = {b["Name"] for b in gha.list_buckets()["Buckets"]}
    assert "demo" in names and "stub" not in names and "mirror" not in names, names


def test_claim_grant_needs_a_role_that_passes_the_claim(sts_worker, idp):
    """The same repository claim through `_default` (no pass_claims): no grant matches."""
    tok = idp.token("repo:octo-org/octo-repo:ref:refs/heads/main", claims={"repository": GHA_REPO})
    s3 = session_s3(sts_worker.url, assume(sts_worker.url, tok))
    assert s3_code(lambda: s3.get_object(Bucket="demo", Key=KEY)) == (404, "NoSuchBucket")
    assert s3.get_object(Bucket="demo", Key="public-data/nested/a/b/c.txt")["Body"].read()


# --------------------------------------------------------------------------- subject and claim sizes


def test_long_github_subject_exchanges_and_reads(sts_worker, idp, secret_bytes):
    """A customised GitHub subject template (repository, a 255-byte environment, the
    workflow ref of a deeply nested workflow, ...) runs to about 900 bytes: it must
    exchange, and its session token must work in a header and in a presigned URL."""
    import requests

    from support.sts import presign

    ref, env = "refs/heads/main", "prod-" + "e" * 250
    jwr = f"{GHA_REPO}/.github/workflows/{'w' * 200}/{'x' * 220}.yml@{ref}"
    sub = f"repo:{GHA_REPO}:environment:{env}:ref:{ref}:job_workflow_ref:{jwr}:repository_owner:octo-org"
    assert 800 < len(sub) <= 1024, len(sub)
    tok = idp.token(sub, aud=GHA_AUDIENCE, claims={"repository": GHA_REPO, "ref": ref, "environment": env,
                                                     "job_workflow_ref": jwr})
    f = sts_success_xml(exchange(sts_worker.url, tok, GHA_ROLE))
    assert f["SubjectFromWebIdentityToken"] == sub
    creds = creds_of(f)
    assert session_s3(sts_worker.url, creds).get_object(Bucket="demo", Key=KEY)["Body"].read() == secret_bytes
    r = requests.get(presign(f"{sts_worker.url}/demo/{KEY}", creds), timeout=30)
    assert r.status_code == 200 and r.content == secret_bytes, r.text


@pytest.mark.parametrize("size", [1025, 2900, 12000])
def test_oversized_subject_is_a_4xx(sts_worker, idp, size):
    """2,900 bytes used to overflow the sealed session: 500 InternalFailure."""
    e = sts_error(exchange(sts_worker.url, idp.token("s" * size)), 400, "InvalidIdentityToken")
    assert "1024" in e["Message"] and "sub" in e["Message"], e

