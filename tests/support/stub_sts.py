"""A loopback stand-in for AWS STS `AssumeRoleWithWebIdentity` in front of moto, and a
moto of its own for the federation tests (test_federation.py).

AWS STS, given a web identity token, checks it against the IAM OIDC provider registered
for the token's issuer (signature with a key of the issuer's JWKS picked by `kid`, `iss`,
`aud` among the provider's client ids, `exp`) and the role's trust policy (conditions on
`<issuer-host>:aud` / `:sub`), then issues temporary credentials. moto issues the
credentials (and enforces their policy on S3) but checks nothing about the token, and
with IAM auth on it refuses an unsigned STS call. So the stub:

1. receives the proxy's form POST and verifies the token with PyJWT against the proxy's
   own JWKS (fetched from the Worker on loopback, since the test issuer's host is not a
   real one): RS256 only, `kid` required and known, `iss`, `aud`, `exp`/`iat`/`nbf`;
   then the role's trust: `sub` in the role's trusted subjects;
2. forwards the same form to moto's STS, signed with moto's admin keys (SigV4, `sts`);
3. relays moto's answer. Refusals are AWS-shaped `ErrorResponse`s.

Everything listens on 127.0.0.1 only. Every exchange is recorded (`exchanges`), and
per-subject `faults` let a test make the stub fail or shorten `Expiration`.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from support.moto import MOTO_REGION, Moto, start_moto
from support.servers import LoopbackServer

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
FED_BUCKET = "fed-bucket"  # readable by the federated role
FED_OTHER_BUCKET = "fed-other"  # not readable by it (moto still holds it)
FED_ROLE = "fed-reader"
# What the shared moto-fed (conftest `fed_moto`) holds in FED_BUCKET, and the subjects its
# role trusts.
FED_OBJECTS = {
    "data/hello.txt": b"hello from a federated backend\n",
    "data/nested/table.csv": b"id,name\n1,alpha\n2,beta\n",
}
FED_TRUSTED = ["backend:fed", "backend:fed-refresh", "backend:fed-wrongaud", "backend:fed-slow"]
ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:*", "iam:*", "sts:*"], "Resource": "*"}]})


@dataclass
class Exchange:
    """One form POST the stub received, and what it answered."""
    form: dict[str, str]
    status: int = 0
    code: str = ""  # the error code when refused
    claims: dict = field(default_factory=dict)  # the verified claims (empty when refused)
    header: dict = field(default_factory=dict)  # the token's JOSE header (unverified)
    credentials: dict = field(default_factory=dict)  # AccessKeyId/SecretAccessKey/SessionToken relayed

    @property
    def token(self) -> str:
        return self.form.get("WebIdentityToken", "")

    @property
    def sub(self) -> str:
        """The subject the token claims (read unverified, for counting per backend)."""
        import jwt

        try:
            return jwt.decode(self.token, options={"verify_signature": False}).get("sub", "")
        except Exception:  # noqa: BLE001
            return ""


def _error(code: str, message: str, status: int) -> tuple[int, bytes]:
    body = (f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error><RequestId>stub-sts</RequestId></ErrorResponse>")
    return status, body.encode()


def _no_proxy_open(req, timeout: float = 10):
    return urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=timeout)


class StubSts(LoopbackServer):
    """`POST /` with an `AssumeRoleWithWebIdentity` form. `trust` maps role ARNs to the
    subjects their trust policy admits; `audience` is the IAM OIDC provider's client id."""

    def __init__(self, issuer: str, moto: Moto, trust: dict[str, set[str]], audience: str = "sts.amazonaws.com"):
        import http.server

        self.issuer, self.moto, self.trust, self.audience = issuer, moto, trust, audience
        self.jwks_url: str | None = None  # set once the Worker (the issuer's JWKS) listens
        self.jwks_fetches = 0
        self._jwks: dict | None = None
        self.exchanges: list[Exchange] = []
        # sub -> {"status": 500, "code": "..."} | {"expires_in": secs} | {"delay": secs}
        self.faults: dict[str, dict] = {}
        self.lock = threading.Lock()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "StubSTS/1.0"

            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                n = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(n).decode("utf-8", "replace")
                ctype = self.headers.get("content-type", "")
                status, body = stub._handle(raw, ctype)
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._serve(Handler)

    def for_sub(self, sub: str) -> list[Exchange]:
        with self.lock:
            return [e for e in self.exchanges if e.sub == sub]

    # ----------------------------------------------------------------- verification

    def _keys(self, refresh: bool) -> dict:
        if self._jwks is None or refresh:
            if not self.jwks_url:
                raise RuntimeError("stub STS: jwks_url not set")
            with _no_proxy_open(self.jwks_url) as r:
                self._jwks = json.loads(r.read())
            self.jwks_fetches += 1
        return {k.get("kid"): k for k in self._jwks.get("keys", [])}

    def verify(self, token: str) -> tuple[dict, dict]:
        """(header, claims) of a token AWS would accept, or raises ValueError(code, message)."""
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise ValueError("InvalidIdentityToken", f"malformed token: {e}") from None
        if header.get("alg") != "RS256":
            raise ValueError("InvalidIdentityToken", f"unsupported alg {header.get('alg')!r}")
        kid = header.get("kid")
        if not kid:
            raise ValueError("InvalidIdentityToken", "no kid")
        keys = self._keys(refresh=False)
        if kid not in keys:
            keys = self._keys(refresh=True)  # one refetch on an unknown kid
        if kid not in keys:
            raise ValueError("InvalidIdentityToken", f"no key {kid!r} in the issuer's JWKS")
        key = jwt.PyJWK.from_dict(keys[kid], algorithm="RS256").key
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=self.audience, issuer=self.issuer,
                                leeway=5, options={"require": ["iss", "sub", "aud", "exp", "iat"]})
        except jwt.ExpiredSignatureError:
            raise ValueError("ExpiredTokenException", "Token expired") from None
        except jwt.InvalidAudienceError:
            raise ValueError("InvalidIdentityToken", "Incorrect token audience") from None
        except jwt.PyJWTError as e:
            raise ValueError("InvalidIdentityToken", f"token rejected: {type(e).__name__}") from None
        return header, claims

    # ----------------------------------------------------------------- the exchange

    def _handle(self, raw: str, ctype: str) -> tuple[int, bytes]:
        pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True)
        form = dict(pairs)
        ex = Exchange(form=form)
        with self.lock:
            self.exchanges.append(ex)
        status, body = self._answer(ex, pairs, ctype)
        ex.status = status
        m = re.search(rb"<Code>([^<]*)</Code>", body)
        ex.code = m.group(1).decode() if m and status != 200 else ""
        return status, body

    def _answer(self, ex: Exchange, pairs: list[tuple[str, str]], ctype: str) -> tuple[int, bytes]:
        form = ex.form
        if not ctype.startswith("application/x-www-form-urlencoded"):
            return _error("InvalidParameterValue", f"content-type {ctype!r}", 400)
        if len(pairs) != len(form):
            return _error("InvalidParameterValue", "a parameter was given twice", 400)
        if form.get("Action") != "AssumeRoleWithWebIdentity" or form.get("Version") != "2011-06-15":
            return _error("InvalidAction", "not AssumeRoleWithWebIdentity 2011-06-15", 400)
        for p in ("RoleArn", "RoleSessionName", "WebIdentityToken"):
            if not form.get(p):
                return _error("MissingParameter", f"{p} is required", 400)
        try:
            ex.header, claims = self.verify(form["WebIdentityToken"])
        except ValueError as e:
            code, message = e.args
            return _error(code, message, 400)
        if claims["sub"] not in self.trust.get(form["RoleArn"], set()):
            return _error("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
        ex.claims = claims
        fault = self.faults.get(claims["sub"], {})
        if "delay" in fault:
            time.sleep(fault["delay"])
        if "status" in fault:
            return _error(fault.get("code", "InternalFailure"), "injected fault", fault["status"])
        status, body = self._forward(pairs)
        if status == 200:
            text = body.decode()
            for name in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"):
                m = re.search(f"<{name}>([^<]*)</{name}>", text)
                if m:
                    ex.credentials[name] = m.group(1)
            if "expires_in" in fault:
                exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + fault["expires_in"]))
                body = re.sub(rb"<Expiration>[^<]*</Expiration>", f"<Expiration>{exp}</Expiration>".encode(), body)
        return status, body

    def _forward(self, pairs: list[tuple[str, str]]) -> tuple[int, bytes]:
        """The same form to moto, SigV4-signed with its admin keys (moto with IAM auth on
        answers an unsigned STS call with a 500)."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        body = urllib.parse.urlencode(pairs)
        url = self.moto.url + "/"
        req = AWSRequest(method="POST", url=url, data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(Credentials(self.moto.access_key_id, self.moto.secret_access_key), "sts",
                  MOTO_REGION).add_auth(req)
        out = urllib.request.Request(url, data=body.encode(), method="POST", headers=dict(req.headers.items()))
        try:
            with _no_proxy_open(out) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


# --------------------------------------------------------------------------- moto with a role


def start_fed_moto(log_path: Path, issuer_host: str, trusted_subjects: list[str]) -> tuple[Moto, str]:
    """A moto server of its own (IAM auth on) with an admin user, the IAM OIDC provider
    of the proxy's issuer, role `fed-reader` (trusting that provider for the given
    subjects, allowed to read FED_BUCKET only) and the buckets. Returns (moto, role ARN).
    The suite's shared moto is not used: its user may only use S3."""
    import boto3

    moto = start_moto(log_path, name="moto-fed", user="fed-admin", policy=ADMIN_POLICY)
    try:
        boot = dict(endpoint_url=moto.url, region_name=MOTO_REGION)
        admin = dict(aws_access_key_id=moto.access_key_id, aws_secret_access_key=moto.secret_access_key, **boot)
        iam = boto3.client("iam", **admin)
        provider_arn = iam.create_open_id_connect_provider(
            Url=f"https://{issuer_host}", ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
        trust = trust_policy(provider_arn, issuer_host, trusted_subjects)
        role_arn = iam.create_role(RoleName=FED_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        read = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{FED_BUCKET}", f"arn:aws:s3:::{FED_BUCKET}/*"]}]}
        iam.put_role_policy(RoleName=FED_ROLE, PolicyName="read", PolicyDocument=json.dumps(read))
        return moto, role_arn
    except Exception:
        moto.proc.stop()
        raise


def trust_policy(provider_arn: str, issuer_host: str, subjects: list[str]) -> dict:
    """The trust policy an operator writes for the proxy (docs/FEDERATION.md)."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{issuer_host}:aud": "sts.amazonaws.com",
                                       f"{issuer_host}:sub": subjects}},
    }]}
