"""moto's S3 server on 127.0.0.1, with IAM auth enforced (the integration suite) or off
(the benchmark's anonymous backend)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from support.procs import Proc, free_port, wait_port

MOTO_REGION = "us-east-1"


@dataclass
class Moto:
    proc: Proc
    port: int
    access_key_id: str = ""
    secret_access_key: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, access_key_id: str | None = None, secret_access_key: str | None = None):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=MOTO_REGION,
            aws_access_key_id=access_key_id or self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                          max_pool_connections=16),
        )


S3_ALL_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)


def start_moto(log_path: Path, name: str = "moto", user: str = "oidc-data-proxy",
               policy: str = S3_ALL_POLICY, auth: bool = True) -> Moto:
    """moto's server with IAM auth enforced after the 3 bootstrap calls (CreateUser,
    CreateAccessKey, PutUserPolicy) that make `user` with `policy`, whose keys it returns.
    `auth` False: moto's default, no auth at all (anonymous requests allowed where the ACLs
    allow them); the keys are then placeholders."""
    import boto3

    port = free_port()
    env = os.environ.copy()
    if auth:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(k, None)
    proc = Proc.start(name, [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                      log_path, env)
    try:
        wait_port(port, 30, proc)  # TCP only: an HTTP probe would use up an unauthenticated action
        if not auth:
            return Moto(proc, port, "placeholder", "placeholder")
        iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", region_name=MOTO_REGION,
                           aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
        iam.create_user(UserName=user)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        iam.put_user_policy(UserName=user, PolicyName="bootstrap", PolicyDocument=policy)
    except Exception:
        proc.stop()
        raise
    return Moto(proc, port, key["AccessKeyId"], key["SecretAccessKey"])
