"""Password hashing and tokens. The only module that imports jose."""

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import uuid
from datetime import timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from jose import JWTError, jwt

from jisr.core.config import get_settings
from jisr.core.db import utcnow
from jisr.core.errors import Unauthorized

ALGORITHM = "HS256"


@lru_cache
def _hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(time_cost=s.password_hash_time_cost, memory_cost=s.password_hash_memory_kib)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    try:
        return _hasher().verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY: list[str] = []


def burn_password_time(password: str) -> None:
    """Spend the time of a verification so unknown accounts are not told apart by timing."""
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_urlsafe(16)))
    verify_password(password, _DUMMY[0])


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_secret(secret: str) -> str:
    """Hash of a high-entropy random secret (API client secret, census token)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secrets_match(secret: str, hashed: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), hashed)


def create_token(subject: str, role: str) -> tuple[str, int]:
    settings = get_settings()
    lifetime = settings.token_lifetime_minutes * 60
    now = utcnow()
    claims = {
        "sub": subject,
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.signing_key(), algorithm=ALGORITHM), lifetime


def decode_token(token: str) -> dict[str, Any]:
    """The claims of a valid token; 401 when it is forged, malformed or expired.

    The signature and the claims' shape are checked once per token (and signing key): a client sends
    the same token for an hour, and the HMAC check was a tenth of a cached list answer's cost.
    Expiry is checked on every call, as python-jose does it.
    """
    claims = _verified(token, get_settings().signing_key())
    if claims["exp"] < int(utcnow().timestamp()):
        raise Unauthorized("The token is invalid or expired.", headers=BEARER)
    return dict(claims)


@lru_cache(maxsize=4096)
def _verified(token: str, key: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require_exp": True, "require_iat": True, "require_sub": True, "require_jti": True},
        )
    except JWTError as exc:
        raise Unauthorized("The token is invalid or expired.", headers=BEARER) from exc
    if not isinstance(claims.get("role"), str) or not isinstance(claims["exp"], int | float):
        raise Unauthorized("The token is invalid or expired.", headers=BEARER)
    return claims


BEARER = {"WWW-Authenticate": "Bearer"}


# --- secrets kept at rest (issue 14, defect 11) ----------------------------------------------------------

SEAL_CONTEXT = b"jisr:outbox-seal:v1:"


class Unsealable(ValueError):
    """Sealed with another key (JISR_SECRET_KEY changed) or damaged."""


def _fernet() -> Any:
    from cryptography.fernet import Fernet

    key = hashlib.sha256(SEAL_CONTEXT + get_settings().signing_key().encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(values: dict[str, Any]) -> str:
    """``values`` as JSON, encrypted and authenticated (Fernet) with a key derived from JISR_SECRET_KEY."""
    return str(_fernet().encrypt(json.dumps(values, ensure_ascii=False).encode()).decode("ascii"))


def unseal(token: str) -> dict[str, Any]:
    from cryptography.fernet import InvalidToken

    try:
        return dict(json.loads(_fernet().decrypt(token.encode("ascii"))))
    except (InvalidToken, ValueError) as exc:
        raise Unsealable("this message was sealed with another JISR_SECRET_KEY, or is damaged") from exc


def throttle_address(address: str) -> str:
    """The address a throttle counts: an IPv6 client by its /64 network (one subscriber usually holds a
    whole /64 and can pick any address in it), an IPv4-mapped IPv6 address as its IPv4 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # "unknown", or a test client's name
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
