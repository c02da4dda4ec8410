"""Microsoft Entra ID application tokens: the OAuth 2.0 client-credentials grant.

An app registration proves itself with a client secret, or with a certificate: a JWT client
assertion signed with the certificate's private key (RS256, the certificate's SHA-1 thumbprint
as `x5t`), which Entra ID checks against the certificate uploaded to the app. Tokens are cached
until five minutes before they expire; `TokenSource.get(refresh=True)` fetches a new one.

Secrets are never logged and never part of an exception message or a `repr`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import urllib.parse
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from kustodian.connectors.http import Response, RetryPolicy, TransportError, send

log = logging.getLogger("kustodian.connectors")

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_EARLY = timedelta(minutes=5)


class AuthError(Exception):
    """No token: the message says what Entra ID answered and what to check."""


class Credential(Protocol):
    kind: str

    def form(self, token_url: str, client_id: str, now: datetime) -> dict[str, str]:
        """The form fields that authenticate the client at the token endpoint."""
        ...


class ClientSecret:
    """A client secret; its value never appears in a repr, a log line or an error."""

    kind = "client_secret"

    def __init__(self, value: str) -> None:
        if not value.strip():
            raise ValueError("the client secret is empty")
        self._value = value.strip()

    def reveal(self) -> str:
        """The secret itself: for the token request and for encrypted storage only."""
        return self._value

    def form(self, token_url: str, client_id: str, now: datetime) -> dict[str, str]:
        return {"client_secret": self._value}

    def __repr__(self) -> str:
        return "ClientSecret(********)"


class ClientCertificate:
    """A certificate and its private key (one PEM file, unencrypted key), for client assertions."""

    kind = "certificate"

    def __init__(self, pem: bytes) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        try:
            cert = x509.load_pem_x509_certificate(pem)
        except ValueError:
            raise ValueError("the PEM file holds no certificate (BEGIN CERTIFICATE)") from None
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except TypeError:
            raise ValueError(
                "the private key in the PEM file is encrypted; write it unencrypted "
                "(openssl pkey -in key.pem -out plain.pem): Kustodian encrypts it at rest"
            ) from None
        except ValueError:
            raise ValueError("the PEM file holds no private key (BEGIN PRIVATE KEY)") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the certificate's key must be RSA (Entra ID app credentials are)")
        if key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
            raise ValueError("the private key does not belong to the certificate")
        self._key = key
        self._pem = pem
        der = cert.public_bytes(serialization.Encoding.DER)
        self.thumbprint = hashlib.sha1(der).hexdigest().upper()  # x5t is a SHA-1 thumbprint
        self._x5t = _b64url(hashlib.sha1(der).digest())
        self.subject = cert.subject.rfc4514_string()
        self.not_after = cert.not_valid_after_utc
        self._hashes = hashes

    @property
    def pem(self) -> bytes:
        return self._pem

    def assertion(self, token_url: str, client_id: str, now: datetime) -> str:
        """A signed JWT client assertion for `token_url`, valid for ten minutes."""
        from cryptography.hazmat.primitives.asymmetric import padding

        t = int(now.timestamp())
        header = {"alg": "RS256", "typ": "JWT", "x5t": self._x5t}
        claims = {
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": str(uuid.uuid4()),
            "iat": t,
            "nbf": t,
            "exp": t + 600,
        }
        signing_input = f"{_b64url_json(header)}.{_b64url_json(claims)}"
        signature = self._key.sign(
            signing_input.encode(), padding.PKCS1v15(), self._hashes.SHA256()
        )
        return f"{signing_input}.{_b64url(signature)}"

    def form(self, token_url: str, client_id: str, now: datetime) -> dict[str, str]:
        return {
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(token_url, client_id, now),
        }

    def __repr__(self) -> str:
        return f"ClientCertificate(thumbprint={self.thumbprint})"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_json(obj: object) -> str:
    return _b64url(json.dumps(obj, separators=(",", ":")).encode())


def token_claims(token: str) -> dict[str, object]:
    """The claims of a JWT access token, unverified (for `tid`); {} when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (ValueError, json.JSONDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


@dataclass
class _Token:
    value: str
    expires: datetime


class TokenSource:
    """Access tokens for one app and one resource scope, cached until shortly before expiry.

    Args:
        authority_host: `https://login.microsoftonline.com` (or a national cloud's).
        tenant_id: the tenant (GUID or domain).
        client_id: the app registration's application (client) id.
        credential: `ClientSecret` or `ClientCertificate`.
        scope: `https://graph.microsoft.com/.default` for Graph.
        policy: retries for 429/5xx from the token endpoint; its clock dates the tokens.
    """

    def __init__(
        self,
        authority_host: str,
        tenant_id: str,
        client_id: str,
        credential: Credential,
        scope: str,
        policy: RetryPolicy,
        timeout: float = 60.0,
    ) -> None:
        self.token_url = (
            f"{authority_host.rstrip('/')}/{urllib.parse.quote(tenant_id)}/oauth2/v2.0/token"
        )
        self.client_id = client_id
        self.credential = credential
        self.scope = scope
        self.policy = policy
        self.timeout = timeout
        self._token: _Token | None = None
        self.fetched = 0  # tokens fetched (for tests and the summary)

    def get(self, *, refresh: bool = False) -> str:
        now = self.policy.clock()
        if self._token is None or refresh or now >= self._token.expires - _EARLY:
            self._token = self._fetch(now)
        return self._token.value

    def _fetch(self, now: datetime) -> _Token:
        def once() -> Response:
            form = {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "scope": self.scope,
                **self.credential.form(self.token_url, self.client_id, self.policy.clock()),
            }
            return send(
                "POST",
                self.token_url,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=urllib.parse.urlencode(form).encode(),
                timeout=self.timeout,
            )

        try:
            r = self.policy.run(once, "token request")
        except TransportError as e:
            raise AuthError(f"cannot reach the token endpoint: {e}") from None
        doc = _json(r.body)
        if r.status != 200 or not isinstance(doc.get("access_token"), str):
            raise AuthError(_token_failure(r.status, doc, self.token_url, self.credential.kind))
        self.fetched += 1
        log.info("got an access token for %s (expires in %s s)", self.scope, doc.get("expires_in"))
        try:
            lifetime = int(str(doc.get("expires_in", 3600)))
        except ValueError:
            lifetime = 3600
        return _Token(str(doc["access_token"]), now + timedelta(seconds=lifetime))


def _json(body: bytes) -> dict[str, object]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


# AADSTS codes that name what to fix.
_AADSTS_HINTS = {
    "AADSTS7000215": "the client secret is wrong (use the secret's Value, not its ID)",
    "AADSTS7000222": "the client secret has expired: create a new one and run `connect` again",
    "AADSTS700016": "no app with this client id in the tenant (check --client-id and --tenant-id)",
    "AADSTS90002": "no such tenant (check --tenant-id)",
    "AADSTS700027": "the certificate is not one of the app's credentials, or has expired",
    "AADSTS700024": "the client assertion is outside its validity: check this machine's clock",
}


def _token_failure(status: int, doc: dict[str, object], url: str, kind: str) -> str:
    error = str(doc.get("error", "")) or f"HTTP {status}"
    description = str(doc.get("error_description", "")).splitlines()
    first = description[0] if description else ""
    hint = next((h for code, h in _AADSTS_HINTS.items() if first.startswith(code + ":")), "")
    text = f"the token endpoint {url} refused the {kind.replace('_', ' ')}: {error}"
    if first:
        text += f" ({first})"
    if hint:
        text += f"; {hint}"
    return text


__all__ = [
    "DEFAULT_AUTHORITY",
    "AuthError",
    "ClientCertificate",
    "ClientSecret",
    "Credential",
    "TokenSource",
    "token_claims",
]
