"""Signing and checking Authing's tokens: real JWTs, made and checked with PyJWT.

- RS256 with one RSA key, published with its ``kid`` at ``/oidc/.well-known/jwks.json``. The key is
  ``mockserver/data/authing-dev-signing-key.pem`` (test-only, public) unless ``--signing-key`` names
  another PEM file, so tokens verify across restarts.
- HS256 for apps configured so, signed with the app secret (as Authing does).
- Time is the mock's clock: PyJWT's own expiry checks (real time) are switched off and done here.
- ``none`` and every other algorithm are refused, whatever the header says.
- Every token Authing issues carries a ``jti`` (what a logout revokes); a token without one, or with
  a ``sub`` or ``jti`` that is not a string, is refused as invalid even when its signature is good
  (anyone can sign one: the dev key ships with the mock, HS256 uses the app secret). So is one whose
  ``iss`` the caller does not own or whose ``nbf`` is still ahead of the mock's clock.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
from pathlib import Path
from typing import Any, Callable, Dict, NamedTuple, Optional

DEV_SIGNING_KEY = Path(__file__).resolve().parent.parent / "data" / "authing-dev-signing-key.pem"
ALGORITHMS = ("RS256", "HS256")


def _jwt():
    """PyJWT, imported on first use: a fifth of the server's own import time otherwise."""
    import jwt

    return jwt


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


#: 9999-12-31T23:59:59Z, the last second a date can print; a token's exp and iat must be before it.
LATEST_TIME = 253402300799


def _epoch(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and 0 <= value <= LATEST_TIME)


class SigningKey:
    """The RSA key user tokens are signed with, and its public JWK.

    The embedded dev key is known good: it is parsed on first use (the first token or JWKS
    request), which keeps cryptography's import and the key load out of start-up, and OpenSSL's
    RSA consistency check (tens of milliseconds) is skipped for it. A key the user supplies is
    parsed and checked at once, so a bad file stops the server before it listens.
    """

    def __init__(self, pem: bytes, source: str, trusted: bool = False):
        self._pem, self._source, self._trusted = pem, source, trusted
        if not trusted:
            self.private_key  # noqa: B018 -- parsed now for the check

    @functools.cached_property
    def private_key(self) -> Any:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        try:
            key = serialization.load_pem_private_key(self._pem, password=None,
                                                     unsafe_skip_rsa_key_validation=self._trusted)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{self._source}: not an unencrypted PEM private key ({exc})") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{self._source}: the signing key must be an RSA key (tokens are RS256)")
        return key

    @functools.cached_property
    def public_key(self) -> Any:
        return self.private_key.public_key()

    @functools.cached_property
    def _public_jwk(self) -> Dict[str, str]:
        numbers = self.public_key.public_numbers()
        n, e = _b64url_uint(numbers.n), _b64url_uint(numbers.e)
        # RFC 7638 thumbprint: stable for the key, so the kid survives restarts.
        canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
        kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}

    @property
    def kid(self) -> str:
        return self._public_jwk["kid"]

    @classmethod
    def load(cls, path: Optional[str] = None) -> "SigningKey":
        file = Path(path) if path else DEV_SIGNING_KEY
        try:
            pem = file.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read signing key {file}: {exc.strerror}") from None
        return cls(pem, str(file), trusted=path is None)

    def jwk(self) -> Dict[str, str]:
        return dict(self._public_jwk)


class TokenRejected(Exception):
    """Why a token is not accepted: ``expired``, ``invalid`` (signature, format, algorithm, issuer,
    not yet valid), ``audience`` (issued for another app), ``pool`` (an app of another user pool) or
    ``revoked`` (logged out)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class Verified(NamedTuple):
    claims: Dict[str, Any]
    app: Dict[str, Any]


class TokenCodec:
    """Signs claims for an app and checks tokens against the apps, the clock and revocations.

    ``find_app(app_id)`` returns an app dict (``id``, ``secret``, ``algorithm``) or None;
    ``is_revoked(jti)`` tells whether a logout revoked a token id.
    """

    def __init__(self, key: SigningKey, now: Callable[[], float],
                 find_app: Callable[[str], Optional[Dict[str, Any]]],
                 is_revoked: Callable[[str], bool]):
        self.key = key
        self.now = now
        self.find_app = find_app
        self.is_revoked = is_revoked

    def sign(self, claims: Dict[str, Any], app: Dict[str, Any]) -> str:
        if app.get("algorithm", "RS256") == "HS256":
            return _jwt().encode(claims, app["secret"], algorithm="HS256")
        return _jwt().encode(claims, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid})

    def verify(self, token: Any, audience: Optional[str] = None, pool: Optional[str] = None,
               issuer: Optional[Callable[[str], bool]] = None, check_expiry: bool = True) -> Verified:
        """The claims and app of a good token: for app ``audience`` and user pool ``pool`` when given,
        its ``iss`` one that ``issuer`` accepts when given."""
        if not isinstance(token, str) or token.count(".") != 2:
            raise TokenRejected("invalid", "token is not a JWT")
        jwt = _jwt()
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TokenRejected("invalid", "token is not a JWT") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise TokenRejected("invalid", f"token algorithm {alg!r} is not accepted")
        aud = unverified.get("aud")
        app = self.find_app(aud) if isinstance(aud, str) else None
        if app is None:
            raise TokenRejected("audience", "token audience is not an app of this server")
        if app.get("algorithm", "RS256") != alg:
            raise TokenRejected("invalid", f"app {aud} does not sign tokens with {alg}")
        if alg == "RS256":
            if header.get("kid") not in (None, self.key.kid):
                raise TokenRejected("invalid", "token was signed with an unknown key")
            key: Any = self.key.public_key
        else:
            key = app["secret"]
        try:
            claims = jwt.decode(token, key, algorithms=[alg],
                                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                                         "verify_aud": False, "require": ["sub", "aud", "iat", "exp"]})
        except jwt.PyJWTError:
            raise TokenRejected("invalid", "token signature is invalid") from None
        if audience is not None and aud != audience:
            raise TokenRejected("audience", "token was issued for another app")
        if pool is not None and app.get("userPoolId") != pool:
            raise TokenRejected("pool", "token was issued for an app of another user pool")
        times = [claims["exp"], claims["iat"]] + ([claims["nbf"]] if "nbf" in claims else [])
        if not all(_epoch(value) for value in times):
            raise TokenRejected("invalid", "token exp/iat/nbf are not times (seconds from 1970 to 9999)")
        if not isinstance(claims["sub"], str) or not isinstance(claims.get("jti"), str) or not claims["jti"]:
            raise TokenRejected("invalid", "token has no jti, or its sub/jti are not strings")
        if issuer is not None and not (isinstance(claims.get("iss"), str) and issuer(claims["iss"])):
            raise TokenRejected("invalid", "token was issued by another server (iss)")
        if "nbf" in claims and self.now() < claims["nbf"]:
            raise TokenRejected("invalid", "token is not valid yet (nbf)")
        if check_expiry and self.now() >= claims["exp"]:
            raise TokenRejected("expired", "token has expired")
        if self.is_revoked(claims["jti"]):
            raise TokenRejected("revoked", "token was revoked by a logout")
        return Verified(claims=claims, app=app)
