"""Federated backend credentials, end to end in real workerd (issue 5 item 4).

A Worker of its own reads products on a moto (IAM auth on) through an `s3` backend
configured with a `web_identity`: it mints an RS256 assertion with its OIDC provider key,
exchanges it at the stub STS (stub_sts.py: verifies the assertion with PyJWT against the
Worker's own /.well-known/jwks.json, then has moto issue the role's temporary
credentials), and signs its S3 reads with them.

fed/data       -> fed-bucket/data/     role fed-reader, subject backend:fed
fed/other      -> fed-other/           same identity; the role may not read that bucket
fed/wrongaud   -> fed-bucket/data/     audience "not-sts": the STS refuses the assertion
fed/untrusted  -> fed-bucket/data/     subject backend:intruder: not in the trust policy
fed/dead       -> fed-bucket/data/     an STS endpoint where nothing listens
fed/refresh    -> fed-bucket/data/     subject backend:fed-refresh (renewal tests)
fed/slow       -> fed-bucket/data/     subject backend:fed-slow (the stub answers too late)
"""

from __future__ import annotations

import time

import pytest

from support.clients import need
from conftest import PROVIDER_ISSUER, PROVIDER_KID, _fail
from support.wrangler import PANIC_MARKERS, launch_worker, wait_ready
from support.procs import REPO, HarnessError, free_port
from support.stub_sts import FED_BUCKET, FED_OBJECTS as OBJECTS, FED_OTHER_BUCKET, FED_TRUSTED as TRUSTED, StubSts

pytestmark = pytest.mark.federation

KEY_PEM = (REPO / "tests/fixtures/oidc/rsa-2048.pem").read_text()
OTHER_KEY_PEM = (REPO / "tests/fixtures/oidc/rsa-2048-b.pem").read_text()
READS = 5


@pytest.fixture(scope="module")
def stub_sts(fed_moto):
    moto, role_arn = fed_moto
    s = StubSts(PROVIDER_ISSUER, moto, {role_arn: set(TRUSTED)})
    yield s
    s.stop()


def fed_catalog(moto_url: str, sts_url: str, role_arn: str) -> dict:
    def backend(bucket: str = FED_BUCKET, sts: str = sts_url, **wi) -> dict:
        return {"type": "s3", "endpoint": moto_url, "bucket": bucket, "region": "us-east-1",
                "web_identity": {"role_arn": role_arn, "sts_endpoint": sts, "duration_secs": 900, **wi}}

    dead = f"http://127.0.0.1:{free_port()}"
    backends = {
        "fed": backend(),
        # the same identity as "fed" (so the same cached credentials), another bucket
        "fed-other": backend(bucket=FED_OTHER_BUCKET, subject="backend:fed", session_name="oidc-data-proxy.fed"),
        "fed-wrongaud": backend(audience="not-sts", subject="backend:fed-wrongaud"),
        "fed-untrusted": backend(subject="backend:intruder"),
        "fed-dead": backend(sts=dead, subject="backend:fed-dead"),
        "fed-refresh": backend(subject="backend:fed-refresh"),
        "fed-slow": backend(subject="backend:fed-slow"),
    }
    products = {
        "data": ("fed", "data/"), "other": ("fed-other", "data/"), "wrongaud": ("fed-wrongaud", "data/"),
        "untrusted": ("fed-untrusted", "data/"), "dead": ("fed-dead", "data/"),
        "refresh": ("fed-refresh", "data/"), "slow": ("fed-slow", "data/"),
    }
    return {"backends": backends, "accounts": {"fed": {"products": {
        name: {"visibility": "public", "backend": b, "prefix": prefix} for name, (b, prefix) in products.items()}}}}


class FedWorker:
    def __init__(self, proc, port):
        self.proc, self.port = proc, port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def s3(self):
        """boto3, anonymous, path-style; exactly one attempt per call (botocore's default
        mode would retry a 503, and the exchange counts below are exact)."""
        boto3 = need("boto3")
        from botocore import UNSIGNED
        from botocore.config import Config

        cfg = Config(signature_version=UNSIGNED, s3={"addressing_style": "path"},
                     retries={"mode": "standard", "total_max_attempts": 1})
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", config=cfg)

    def log(self) -> str:
        time.sleep(0.3)  # let wrangler flush the last request's lines
        return self.proc.log_since(0)


@pytest.fixture(scope="module")
def fed_worker(tmp_root, wrangler_env, fed_moto, stub_sts):
    moto, role_arn = fed_moto
    vars_ = {
        "OIDC_PROVIDER_ISSUER": PROVIDER_ISSUER,
        "OIDC_PROVIDER_KID": PROVIDER_KID,
        # http:// STS on loopback (the stub) is allowed only with this.
        "OIDC_ALLOW_LOOPBACK_ISSUERS": "true",
        "LOG_LEVEL": "debug",
    }
    secrets = {"OIDC_PROVIDER_KEY": KEY_PEM}  # a secret: wrangler prints it as "(hidden)"
    state = tmp_root / "state-fed"  # its own (empty) local state: no R2 product here
    state.mkdir(exist_ok=True)
    try:
        proc, port = launch_worker("wrangler-fed", tmp_root / "workers" / "fed",
                                    fed_catalog(moto.url, stub_sts.url, role_arn), vars_, secrets, state,
                                    wrangler_env, tmp_root / "logs" / "wrangler-fed.log")
    except HarnessError as e:
        _fail(e)
    w = FedWorker(proc, port)
    try:
        wait_ready(w.url, proc, 90)
    except HarnessError as e:
        proc.stop()
        _fail(e)
    stub_sts.jwks_url = w.url + "/.well-known/jwks.json"
    yield w
    proc.stop()
    hits = [ln for ln in proc.log_since(0).splitlines() if any(m in ln for m in PANIC_MARKERS)]
    assert not hits, "the federation Worker logged panics/uncaught errors:\n" + "\n".join(hits[:20])


def status_of(call) -> int:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"]
    return 200


def mint(pem: str, kid: str = PROVIDER_KID, alg: str = "RS256", **claims) -> str:
    jwt = need("jwt")
    now = int(time.time())
    body = {"iss": PROVIDER_ISSUER, "sub": "backend:fed", "aud": "sts.amazonaws.com", "iat": now, "exp": now + 60,
            **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, pem, algorithm=alg, headers={"kid": kid})


def post_form(url: str, **form) -> tuple[int, str]:
    import requests

    r = requests.post(url + "/", data={"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                                       "RoleSessionName": "probe", **form}, timeout=10)
    return r.status_code, r.text


# --------------------------------------------------------------------------- the test rig itself


def test_stub_sts_verifies_like_aws_and_moto_enforces_the_role(fed_worker, fed_moto, stub_sts):
    """Before trusting the rig: the stub accepts only assertions of the proxy's key for the
    right issuer, audience and subject, and moto's S3 takes the temporary credentials it
    relays, limited to the role's policy."""
    moto, role_arn = fed_moto
    good = mint(KEY_PEM)
    status, body = post_form(stub_sts.url, RoleArn=role_arn, WebIdentityToken=good)
    assert status == 200, body
    creds = stub_sts.exchanges[-1].credentials
    s3 = need("boto3").client("s3", endpoint_url=moto.url, region_name="us-east-1",
                              aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                              aws_session_token=creds["SessionToken"],
                              config=need("botocore.config").Config(s3={"addressing_style": "path"},
                                                                    retries={"max_attempts": 1}))
    assert s3.get_object(Bucket=FED_BUCKET, Key="data/hello.txt")["Body"].read() == OBJECTS["data/hello.txt"]
    assert status_of(lambda: s3.get_object(Bucket=FED_OTHER_BUCKET, Key="data/hello.txt")) == 403
    refused = {
        "wrong audience": mint(KEY_PEM, aud="not-sts"),
        "wrong issuer": mint(KEY_PEM, iss="https://elsewhere.example"),
        "expired": mint(KEY_PEM, iat=int(time.time()) - 600, exp=int(time.time()) - 300),
        "another key, same kid": mint(OTHER_KEY_PEM),
        "unknown kid": mint(KEY_PEM, kid="nope"),
        "HS256": mint("a-shared-secret-of-at-least-32-bytes!!", alg="HS256"),
        "no exp": mint(KEY_PEM, exp=None),
    }
    for why, token in refused.items():
        status, body = post_form(stub_sts.url, RoleArn=role_arn, WebIdentityToken=token)
        assert status == 400 and ("InvalidIdentityToken" in body or "ExpiredToken" in body), (why, status, body)
    status, body = post_form(stub_sts.url, RoleArn=role_arn, WebIdentityToken=mint(KEY_PEM, sub="backend:intruder"))
    assert status == 403 and "AccessDenied" in body, body
    with stub_sts.lock:
        stub_sts.exchanges.clear()


# --------------------------------------------------------------------------- through the proxy


def test_reads_use_one_exchange_and_the_roles_credentials(fed_worker, stub_sts):
    s3 = fed_worker.s3()
    for _ in range(READS):
        r = s3.get_object(Bucket="fed", Key="data/hello.txt")
        assert r["Body"].read() == OBJECTS["data/hello.txt"]
    head = s3.head_object(Bucket="fed", Key="data/nested/table.csv")
    assert head["ContentLength"] == len(OBJECTS["data/nested/table.csv"])
    ranged = s3.get_object(Bucket="fed", Key="data/nested/table.csv", Range="bytes=3-6")
    assert ranged["Body"].read() == OBJECTS["data/nested/table.csv"][3:7]
    listed = s3.list_objects_v2(Bucket="fed", Prefix="data/")
    assert sorted(o["Key"] for o in listed["Contents"]) == sorted(OBJECTS)
    # The same identity for a bucket outside the role's policy: moto refuses the role (502),
    # which shows the reads really are the role's, not some broader key's.
    assert status_of(lambda: s3.get_object(Bucket="fed", Key="other/hello.txt")) == 502

    exchanges = stub_sts.for_sub("backend:fed")
    assert len(exchanges) == 1, [(e.status, e.code) for e in exchanges]
    ex = exchanges[0]
    assert ex.status == 200, ex.code
    assert ex.header == {"alg": "RS256", "typ": "JWT", "kid": PROVIDER_KID}
    c = ex.claims
    assert (c["iss"], c["sub"], c["aud"]) == (PROVIDER_ISSUER, "backend:fed", "sts.amazonaws.com")
    assert c["nbf"] == c["iat"] and 10 <= c["exp"] - c["iat"] <= 3600 and len(c["jti"]) >= 22
    assert ex.form["RoleSessionName"] == "oidc-data-proxy.fed" and ex.form["DurationSeconds"] == "900"
    assert stub_sts.jwks_fetches >= 1


def test_a_refused_assertion_is_503_and_logged_without_the_token(fed_worker, stub_sts):
    mark = fed_worker.proc.log_size()
    s3 = fed_worker.s3()
    assert status_of(lambda: s3.get_object(Bucket="fed", Key="wrongaud/hello.txt")) == 503
    assert status_of(lambda: s3.list_objects_v2(Bucket="fed", Prefix="wrongaud/")) == 503
    exchanges = stub_sts.for_sub("backend:fed-wrongaud")
    assert [(e.status, e.code) for e in exchanges] == [(400, "InvalidIdentityToken")] * 2, "not cached"
    time.sleep(0.3)
    log = fed_worker.proc.log_since(mark)
    cause = [ln for ln in log.splitlines() if "InvalidIdentityToken" in ln]
    assert cause and all("backend fed-wrongaud" in ln and "Incorrect token audience" in ln for ln in cause), log
    for e in exchanges:
        assert e.token and e.token not in log
        assert e.token.split(".")[2] not in log, "the assertion's signature is in the log"
    # Other backends are unaffected.
    assert s3.get_object(Bucket="fed", Key="data/hello.txt")["Body"].read() == OBJECTS["data/hello.txt"]


def test_untrusted_subject_and_unreachable_sts_are_503(fed_worker, stub_sts):
    s3 = fed_worker.s3()
    mark = fed_worker.proc.log_size()
    assert status_of(lambda: s3.get_object(Bucket="fed", Key="untrusted/hello.txt")) == 503
    assert [(e.status, e.code) for e in stub_sts.for_sub("backend:intruder")] == [(403, "AccessDenied")]
    t0 = time.monotonic()
    assert status_of(lambda: s3.get_object(Bucket="fed", Key="dead/hello.txt")) == 503
    assert time.monotonic() - t0 < 10, "bounded by the STS timeout"
    time.sleep(0.3)
    log = fed_worker.proc.log_since(mark)
    assert "AccessDenied" in log and "backend fed-untrusted" in log, log
    assert "cannot reach the STS" in log and "backend fed-dead" in log, log


def test_a_slow_sts_times_out_with_503(fed_worker, stub_sts):
    stub_sts.faults["backend:fed-slow"] = {"delay": 8}
    mark = fed_worker.proc.log_size()
    t0 = time.monotonic()
    assert status_of(lambda: fed_worker.s3().get_object(Bucket="fed", Key="slow/hello.txt")) == 503
    elapsed = time.monotonic() - t0
    assert 4.5 <= elapsed < 7.5, f"the STS timeout is 5 s, the request took {elapsed:.1f} s"
    time.sleep(0.3)
    log = fed_worker.proc.log_since(mark)
    assert "backend fed-slow" in log and "timed out after 5000 ms" in log, log
    stub_sts.faults.pop("backend:fed-slow")


def test_renewal_ahead_of_expiry_and_a_failed_renewal(fed_worker, stub_sts):
    """The stub shortens Expiration to 200 s (inside the 5-minute renewal window): every
    request then renews, each still served. When renewals fail, the valid credentials
    keep serving, and the next attempt waits 30 s."""
    sub = "backend:fed-refresh"
    s3 = fed_worker.s3()
    stub_sts.faults[sub] = {"expires_in": 200}
    for n in range(1, 4):
        assert s3.get_object(Bucket="fed", Key="refresh/hello.txt")["Body"].read() == OBJECTS["data/hello.txt"]
        assert len(stub_sts.for_sub(sub)) == n
    stub_sts.faults[sub] = {"status": 500, "code": "InternalFailure"}
    mark = fed_worker.proc.log_size()
    for _ in range(3):
        assert s3.get_object(Bucket="fed", Key="refresh/hello.txt")["Body"].read() == OBJECTS["data/hello.txt"]
    statuses = [e.status for e in stub_sts.for_sub(sub)]
    assert statuses == [200, 200, 200, 500], statuses
    time.sleep(0.3)
    log = fed_worker.proc.log_since(mark)
    assert "renewal failed" in log and "InternalFailure" in log, log
    stub_sts.faults.pop(sub)


def test_no_secret_or_token_in_the_worker_log(fed_worker, stub_sts):
    log = fed_worker.log()
    assert "federated credentials obtained" in log
    relayed = [e for e in stub_sts.exchanges if e.credentials]
    assert relayed, "no credentials were relayed"
    for e in stub_sts.exchanges:
        assert e.token not in log
        for name in ("SecretAccessKey", "SessionToken"):
            if name in e.credentials:
                assert e.credentials[name] not in log, f"{name} in the Worker log"
    for line in KEY_PEM.splitlines()[1:-1]:
        assert line not in log, "the provider key is in the Worker log"
