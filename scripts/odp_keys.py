"""Key helpers shared by scripts/gen-oidc-key, scripts/gen-session-key and scripts/check-keys.

Standard library plus the `openssl` command (any 1.1.1 or 3.x), so they run on a laptop or
a CI runner without the project's venv. Key material only ever travels through pipes (stdin
of openssl), never through argv, temporary files or any message this module produces.

The rules mirror what the Worker accepts (src/oidc/provider/keys.rs, src/session/mod.rs,
src/sts/roles.rs); tests/tools/ checks both sides agree on the fixtures.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone

# src/oidc/provider/keys.rs
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 4096
MAX_KID_LEN = 128
# src/sts/roles.rs: `_default` sessions last up to MAX_DURATION; a ROLES role up to its
# max_duration (default DEFAULT_DURATION, at most MAX_DURATION).
MAX_DURATION = 43_200
DEFAULT_DURATION = 3_600
MIN_DURATION = 900


class KeyError_(ValueError):
    """A key that the Worker would refuse. The text never contains key material."""


def unescape_pem(pem: str) -> str:
    """The Worker accepts a PEM pasted on one line with literal `\\n` (dashboards, env files)."""
    if "\n" not in pem and "\\n" in pem:
        return pem.replace("\\n", "\n")
    return pem


def _openssl(args: list[str], stdin: bytes) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError as e:  # pragma: no cover - depends on the machine
        raise SystemExit("the `openssl` command is needed (apt-get install openssl)") from e


@dataclass
class RsaPublic:
    n: bytes  # big-endian, no leading zeros
    e: int
    bits: int

    def jwk(self, kid: str | None = None) -> dict:
        j = {"kty": "RSA", "n": b64url(self.n), "e": b64url(int_bytes(self.e))}
        if kid is not None:
            j.update({"kid": kid, "use": "sig", "alg": "RS256"})
        return j

    def thumbprint_digest(self) -> bytes:
        """RFC 7638 JWK thumbprint (SHA-256 of the canonical public JWK)."""
        canon = json.dumps({"e": b64url(int_bytes(self.e)), "kty": "RSA", "n": b64url(self.n)},
                           separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(canon.encode()).digest()

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint, base64url (as `jwk thumbprint` tools print it)."""
        return b64url(self.thumbprint_digest())


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def int_bytes(i: int) -> bytes:
    return i.to_bytes(max(1, (i.bit_length() + 7) // 8), "big")


PEM_LABEL = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")


def parse_oidc_key(name: str, pem: str) -> RsaPublic:
    """Checks a private key the way the Worker does (PKCS#8 PEM, RSA, 2048-4096 bits, a
    consistent key) and returns its public half. Errors name the variable, never the key."""
    pem = unescape_pem(pem).strip()
    m = PEM_LABEL.search(pem)
    label = m.group(1) if m else None
    if label == "RSA PRIVATE KEY":
        raise KeyError_(f"{name} is a PKCS#1 key; convert it to PKCS#8 with "
                        "`openssl pkcs8 -topk8 -nocrypt -in OLD.pem -out NEW.pem`")
    if label == "ENCRYPTED PRIVATE KEY":
        raise KeyError_(f"{name} is encrypted; an unencrypted PKCS#8 key is needed")
    if label != "PRIVATE KEY" or not pem.startswith("-----BEGIN PRIVATE KEY-----"):
        raise KeyError_(f"{name} must be a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)")
    data = (pem + "\n").encode()
    out = _openssl(["pkey", "-noout", "-text_pub"], data)
    if out.returncode != 0:
        raise KeyError_(f"{name} is not a readable private key")
    text = out.stdout.decode(errors="replace")
    mod = re.search(r"Modulus:\s*\n((?:\s+[0-9a-f:]+\n?)+)", text)
    exp = re.search(r"Exponent:\s*(\d+)", text)
    if not mod or not exp:
        raise KeyError_(f"{name} is not an RSA key (RS256 needs RSA)")
    n = bytes.fromhex(re.sub(r"[^0-9a-f]", "", mod.group(1))).lstrip(b"\0")
    e = int(exp.group(1))
    bits = int.from_bytes(n, "big").bit_length()
    if not MIN_RSA_BITS <= bits <= MAX_RSA_BITS:
        raise KeyError_(f"{name} is a {bits}-bit RSA key; {MIN_RSA_BITS} to {MAX_RSA_BITS} bits are needed")
    if not n or n[-1] & 1 == 0 or e <= 1 or e % 2 == 0:
        raise KeyError_(f"{name} has an invalid RSA modulus or public exponent")
    check = _openssl(["pkey", "-noout", "-check"], data)
    if check.returncode != 0:
        raise KeyError_(f"{name} fails OpenSSL's consistency check")
    return RsaPublic(n=n, e=e, bits=bits)


def check_kid(name: str, kid: str) -> None:
    if not kid or len(kid) > MAX_KID_LEN or not all(0x21 <= ord(c) <= 0x7E for c in kid):
        raise KeyError_(f"{name} must be 1-{MAX_KID_LEN} printable ASCII characters without spaces")


def decode_session_key(name: str, value: str) -> bytes:
    """Base64 (standard or URL-safe alphabet, padding optional) of exactly 32 bytes, as
    src/session/mod.rs accepts."""
    v = value.strip()
    raw = None
    for alt in (None, b"-_"):
        try:
            padded = v + "=" * (-len(v) % 4)
            raw = base64.b64decode(padded.encode(), altchars=alt, validate=True)
            break
        except (binascii.Error, ValueError):
            continue
    if raw is None:
        raise KeyError_(f"{name} is not valid base64")
    if len(raw) != 32:
        raise KeyError_(f"{name} decodes to {len(raw)} bytes, expected 32")
    return raw


def session_key_id(key: bytes) -> str:
    """The id sealed into every session token: first 4 bytes of SHA-256(key), hex."""
    return hashlib.sha256(key).digest()[:4].hex()


def new_session_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def generate_rsa_pem(bits: int) -> str:
    if not MIN_RSA_BITS <= bits <= MAX_RSA_BITS:
        raise KeyError_(f"--bits must be {MIN_RSA_BITS}..{MAX_RSA_BITS}")
    out = _openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}"], b"")
    if out.returncode != 0:
        raise KeyError_("openssl genpkey failed: " + out.stderr.decode(errors="replace").strip()[:200])
    return out.stdout.decode()


def suggest_kid(pub: RsaPublic, prefix: str = "oidc", when: datetime | None = None) -> str:
    when = when or datetime.now(timezone.utc)
    # Hex, not base64url: a thumbprint starting with `-` or `_` would read badly in a kid.
    kid = f"{prefix}-{when:%Y%m%d}-{pub.thumbprint_digest()[:4].hex()}"
    check_kid("kid", kid)
    return kid


def write_secret_file(path: str, text: str, force: bool = False) -> None:
    """Mode 0600 from the start (never world-readable, not even for an instant)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def parse_time(value: str) -> datetime:
    """ISO 8601 (`2026-11-22T10:00:00Z`, a date alone = midnight UTC) or Unix seconds."""
    v = value.strip()
    if re.fullmatch(r"\d{9,11}", v):
        return datetime.fromtimestamp(int(v), timezone.utc)
    if v.endswith("Z") or v.endswith("z"):
        v = v[:-1] + "+00:00"
    t = datetime.fromisoformat(v)
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t


def human(seconds: float) -> str:
    s = int(seconds)
    if s % 3600 == 0 and s >= 3600:
        return f"{s // 3600} h"
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    return f"{s // 60} min"
