"""Session policies and audit correlation in workerd, with the real clients:
boto3's `Policy=` and the aws CLI's `--policy` narrow a session below its
role (reads outside it are 403 AccessDenied, listings never show names
outside it, paging included); malformed and oversized policies get AWS's
codes; and one session id ties an exchange (with the run's claims and the
policy's digest) to every signed request made with its credentials."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import GHA_AUDIENCE, GHA_REPO, GHA_ROLE
from support.clients import REGION, clean_env, need, need_exe
from support.procs import venv_dir
from support.sts import (
    SessionCreds, creds_of, exchange, json_lines, lines_for, role_arn, session_s3, signed_get, sts_success_xml,
)

pytestmark = pytest.mark.sts

NESTED = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/public-data/nested/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
         "Condition": {"StringLike": {"s3:prefix": ["public-data/nested/*"]}}},
    ],
}


def boto3_assume(worker, token: str, role: str = "_default", **kw) -> SessionCreds:
    boto3 = need("boto3")
    from botocore.config import Config

    session = boto3.session.Session(aws_access_key_id=None, aws_secret_access_key=None, region_name=REGION)
    sts = session.client("sts", endpoint_url=worker.url + "/.sts", config=Config(retries={"max_attempts": 1}))
    c = sts.assume_role_with_web_identity(RoleArn=role_arn(role), RoleSessionName="itest-policy",
                                          WebIdentityToken=token, **kw)["Credentials"]
    return SessionCreds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], str(c["Expiration"]))


def client_error(fn) -> tuple[int, str, str]:
    with pytest.raises(need("botocore.exceptions").ClientError) as ei:
        fn()
    e = ei.value.response
    return e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Code"], e["Error"].get("Message", "")


def all_keys(s3, **kw) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="demo", **kw):
        keys += [o["Key"] for o in page.get("Contents", [])]
        assert page["KeyCount"] == len(page.get("Contents", [])) + len(page.get("CommonPrefixes", [])), page
    return keys


def test_boto3_policy_narrows_reads_and_listings(sts_worker, idp):
    creds = boto3_assume(sts_worker, idp.token("alice"), Policy=json.dumps(NESTED))
    assert len(creds.session_token) <= 4096
    s3 = session_s3(sts_worker.url, creds)
    assert s3.get_object(Bucket="demo", Key="public-data/nested/a/b/c.txt")["Body"].read()
    # The role (_default, ceiling *) and alice's grant would allow these: the policy does not.
    for key in ("public-data/cities.csv", "restricted-data/secret.csv"):
        status, code, _ = client_error(lambda k=key: s3.get_object(Bucket="demo", Key=k))
        assert (status, code) == (403, "AccessDenied"), key
    # Listings: only names under the listed prefix, whatever was asked for, page by page.
    keys = all_keys(s3, PaginationConfig={"PageSize": 1})
    assert keys and all(k.startswith("public-data/nested/") for k in keys), keys
    assert keys == all_keys(s3, Prefix="public-data/nested/")
    top = s3.list_objects_v2(Bucket="demo", Delimiter="/")
    assert [p["Prefix"] for p in top.get("CommonPrefixes", [])] == ["public-data/"], top
    inner = s3.list_objects_v2(Bucket="demo", Prefix="public-data/", Delimiter="/")
    assert [p["Prefix"] for p in inner.get("CommonPrefixes", [])] == ["public-data/nested/"], inner
    assert "Contents" not in inner, inner
    # V1 with a marker outside the policy: still nothing outside it.
    v1 = s3.list_objects(Bucket="demo", Marker="public-data/cities.csv")
    assert all(o["Key"].startswith("public-data/nested/") for o in v1.get("Contents", [])), v1
    # Without the policy the same token reads everything its role allows.
    plain = session_s3(sts_worker.url, boto3_assume(sts_worker, idp.token("alice")))
    assert plain.get_object(Bucket="demo", Key="public-data/cities.csv")["Body"].read()


def test_boto3_bad_policies(sts_worker, idp):
    def assume(policy: str):
        return lambda: boto3_assume(sts_worker, idp.token("alice"), Policy=policy)

    deny = {"Statement": {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}}
    for bad in (json.dumps(deny), "{not json", json.dumps({"Statement": {"Effect": "Allow", "Action": "s3:PutObject",
                                                                          "Resource": "*"}}),
                '{"Statement": {"Effect": "Allow", "Effect": "Allow", "Action": "*", "Resource": "*"}}'):
        status, code, _ = client_error(assume(bad))
        assert (status, code) == (400, "MalformedPolicyDocument"), bad
    many = [f"arn:aws:s3:::demo/public-data/dir{i:04}/*" for i in range(80)]
    big = json.dumps({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": many}},
                     separators=(",", ":"))
    status, code, msg = client_error(assume(big))
    assert (status, code) == (400, "PackedPolicyTooLarge")
    assert msg == f"Packed policy consumes {-(-len(big) * 100 // 2048)}% of allotted space, please use smaller policy."


def aws_env(tmp_path, creds: SessionCreds | None = None) -> dict:
    env = clean_env()
    (tmp_path / "aws-config").write_text("[default]\ns3 =\n    addressing_style = path\n")
    env.update({"AWS_CONFIG_FILE": str(tmp_path / "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                "AWS_DEFAULT_REGION": REGION, "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": ""})
    if creds:
        env.update({"AWS_ACCESS_KEY_ID": creds.access_key_id, "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
                    "AWS_SESSION_TOKEN": creds.session_token})
    return env


def test_aws_cli_policy(sts_worker, idp, tmp_path):
    aws = need_exe("aws", [venv_dir() / "bin"])
    r = subprocess.run([aws, "sts", "assume-role-with-web-identity", "--endpoint-url", sts_worker.url + "/.sts",
                        "--no-sign-request", "--role-arn", role_arn("_default"), "--role-session-name", "cli-policy",
                        "--web-identity-token", idp.token("alice"), "--policy", json.dumps(NESTED)],
                       env=aws_env(tmp_path), capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    c = json.loads(r.stdout)["Credentials"]
    env = aws_env(tmp_path, SessionCreds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], c["Expiration"]))

    def cli(*args):
        return subprocess.run([aws, "--endpoint-url", sts_worker.url, *args], env=env, capture_output=True, timeout=120)

    ok = cli("s3", "cp", "s3://demo/public-data/nested/a/b/c.txt", "-")
    assert ok.returncode == 0 and ok.stdout, ok.stderr.decode(errors="replace")
    denied = cli("s3", "cp", "s3://demo/public-data/cities.csv", "-")
    assert denied.returncode != 0 and b"403" in denied.stderr, denied.stderr
    ls = cli("s3", "ls", "--recursive", "s3://demo/")
    assert ls.returncode == 0, ls.stderr
    names = [line.split()[-1] for line in ls.stdout.decode().splitlines() if line.strip()]
    assert names and all(n.startswith("public-data/nested/") for n in names), names
    bad = subprocess.run([aws, "sts", "assume-role-with-web-identity", "--endpoint-url", sts_worker.url + "/.sts",
                          "--no-sign-request", "--role-arn", role_arn("_default"), "--role-session-name", "cli-policy",
                          "--web-identity-token", idp.token("alice"), "--policy", '{"Statement": []}'],
                         env=aws_env(tmp_path), capture_output=True, timeout=120)
    assert bad.returncode != 0 and b"MalformedPolicyDocument" in bad.stderr, bad.stderr


RUN = {"repository": GHA_REPO, "ref": "refs/heads/main", "environment": "production", "sha": "0123abcd",
       "workflow_ref": f"{GHA_REPO}/.github/workflows/ci.yml@refs/heads/main", "run_id": "987654321",
       "run_attempt": "2", "check_run_id": "555", "runner_environment": "github-hosted"}


def test_one_session_id_finds_everything_a_run_read(sts_worker, idp):
    mark = sts_worker.log_size()
    policy = {"Statement": {"Effect": "Allow", "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::demo/restricted-data/*"}}
    token = idp.token("repo:octo-org/octo-repo:environment:production", aud=GHA_AUDIENCE, claims=RUN)
    resp = exchange(sts_worker.url, token, GHA_ROLE, extra=[("Policy", json.dumps(policy))])
    creds = creds_of(sts_success_xml(resp))
    ex = [o for o in lines_for(sts_worker, resp.h("x-amz-request-id"), mark) if o.get("msg") == "sts exchange"][0]
    sid = ex["session_id"]
    assert len(sid) == 16, ex
    want = {k: RUN[k] for k in ("repository", "ref", "sha", "workflow_ref", "run_id", "run_attempt", "check_run_id")}
    assert ex["claims"] == want, ex
    assert ex["policy"]["read"] == ["demo/restricted-data/*"] and len(ex["policy"]["digest"]) == 16, ex
    rids = []
    for path in ("/demo/restricted-data/secret.csv", "/demo/restricted-data/nope.csv"):
        rids.append(signed_get(sts_worker.url, path, creds).h("x-amz-request-id"))
    # Another session in between must not match the query.
    other = creds_of(sts_success_xml(exchange(sts_worker.url, idp.token("alice"))))
    signed_get(sts_worker.url, "/demo/public-data/cities.csv", other)
    for rid in rids:
        lines_for(sts_worker, rid, mark)  # waits for wrangler to flush
    # The query an operator runs: every line with this session id.
    found = [o for o in json_lines(sts_worker.log_since(mark)) if o.get("session_id") == sid]
    assert [o["msg"] for o in found] == ["sts exchange", "audit", "audit"], found
    assert [o["request_id"] for o in found[1:]] == rids
    assert [(o["resource"], o["status"], o["policy"]) for o in found[1:]] == [
        ("/demo/restricted-data/secret.csv", 200, ex["policy"]["digest"]),
        ("/demo/restricted-data/nope.csv", 404, ex["policy"]["digest"])]
    text = sts_worker.log_since(mark)
    assert token not in text and creds.secret_access_key not in text and creds.session_token not in text
