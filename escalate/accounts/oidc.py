"""Sign-in through a partnership's OpenID provider (ADR 0018), with Authlib.

The authorization code flow with PKCE (S256), `state` and `nonce`; the client authenticates with
a secret (client_secret_basic) or a signed JWT (private_key_jwt, as NHS CIS2 requires). The ID
token's signature is checked against the provider's JWKS (from its discovery document), then its
issuer, audience, expiry and nonce. Whatever the provider sends, a problem is a `SignInRefused`
with a reason to show and audit, never an exception that escapes.

The verified claim only finds a person the partnership already holds: sign-in never creates
access.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from escalate.accounts.models import IdentityLink, IdentityProvider, MatchClaim
from escalate.audit.services import record_audit
from escalate.directory.models import Person

# Signatures an ID token may carry (never "none", never a symmetric one keyed by the secret).
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
DISCOVERY_CACHE_SECONDS = 3600
# Clock difference tolerated between Escalate and the provider, in seconds.
CLOCK_LEEWAY = 60
# How long to wait for the provider (discovery, keys, the token endpoint) before giving up.
HTTP_TIMEOUT_SECONDS = 10.0


class SignInRefused(Exception):
    """The provider's answer cannot sign anyone in; `reason` is shown and audited."""

    def __init__(self, reason: str, *, unknown_person: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unknown_person = unknown_person


def callback_url() -> str:
    """The one redirect URI registered with every provider (the state says which one)."""
    return f"{settings.SITE_URL}/sign-in/provider/callback/"


def _timeout() -> float:
    return HTTP_TIMEOUT_SECONDS


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=_timeout())
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        raise SignInRefused("The identity provider could not be reached.") from None
    if not isinstance(data, dict):
        raise SignInRefused("The identity provider sent an answer Escalate cannot read.")
    return data


def discovery(provider: IdentityProvider, *, fresh: bool = False) -> dict[str, Any]:
    """The provider's discovery document; its `issuer` must be the one set up, exactly."""
    key = f"oidc-discovery:{provider.issuer}"
    metadata = None if fresh else cache.get(key)
    if not isinstance(metadata, dict):
        metadata = _get_json(provider.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if metadata.get("issuer") != provider.issuer:
            raise SignInRefused("The identity provider does not say it is the issuer set up.")
        for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(needed), str):
                raise SignInRefused("The identity provider's set-up is incomplete.")
        cache.set(key, metadata, DISCOVERY_CACHE_SECONDS)
    return metadata


def _keys(provider: IdentityProvider, *, fresh: bool = False) -> KeySet:
    metadata = discovery(provider)
    key = f"oidc-jwks:{metadata['jwks_uri']}"
    jwks = None if fresh else cache.get(key)
    if not isinstance(jwks, dict):
        jwks = _get_json(metadata["jwks_uri"])
        cache.set(key, jwks, DISCOVERY_CACHE_SECONDS)
    try:
        return KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        raise SignInRefused("The identity provider's signing keys cannot be read.") from None


def _session(provider: IdentityProvider) -> OAuth2Session:
    if provider.private_key:
        session = OAuth2Session(
            provider.client_id,
            provider.private_key,
            token_endpoint_auth_method="private_key_jwt",
            scope=provider.scopes,
            redirect_uri=callback_url(),
            code_challenge_method="S256",
        )
        headers = {"kid": provider.private_key_id} if provider.private_key_id else None
        session.register_client_auth_method(PrivateKeyJWT(headers=headers))
        return session
    return OAuth2Session(
        provider.client_id,
        provider.client_secret,
        token_endpoint_auth_method="client_secret_basic",
        scope=provider.scopes,
        redirect_uri=callback_url(),
        code_challenge_method="S256",
    )


@dataclass(frozen=True)
class Pending:
    """What the browser's session keeps between sending the person away and their return."""

    provider_id: int
    state: str
    nonce: str
    code_verifier: str
    next_url: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider_id": self.provider_id,
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "next_url": self.next_url,
        }


def start(provider: IdentityProvider, *, next_url: str) -> tuple[str, Pending]:
    """The provider's authorization URL to send the person to, and what to keep until they
    come back."""
    metadata = discovery(provider)
    pending = Pending(
        provider_id=provider.pk,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=generate_token(64),
        next_url=next_url,
    )
    extra = {"acr_values": provider.acr_values} if provider.acr_values else {}
    url, _ = _session(provider).create_authorization_url(
        metadata["authorization_endpoint"],
        state=pending.state,
        code_verifier=pending.code_verifier,
        nonce=pending.nonce,
        **extra,
    )
    return url, pending


def validate_id_token(
    provider: IdentityProvider, id_token: object, *, nonce: str, now: int | None = None
) -> dict[str, Any]:
    """The claims of `id_token` once its signature, issuer, audience, expiry and nonce hold."""
    if not isinstance(id_token, str) or not id_token:
        raise SignInRefused("The identity provider sent no ID token.")
    try:
        try:
            token = jwt.decode(id_token, _keys(provider), algorithms=ID_TOKEN_ALGORITHMS)
        except JoseError:
            # The provider may have rotated its keys since they were cached.
            token = jwt.decode(
                id_token, _keys(provider, fresh=True), algorithms=ID_TOKEN_ALGORITHMS
            )
    except (JoseError, ValueError, TypeError):
        raise SignInRefused("The ID token's signature is not the identity provider's.") from None
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        now=int(time.time()) if now is None else now,
        leeway=CLOCK_LEEWAY,
        iss={"essential": True, "value": discovery(provider)["issuer"]},
        aud={"essential": True, "value": provider.client_id},
        exp={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    checks = (
        ("iss", "The ID token comes from another issuer."),
        ("aud", "The ID token was issued for another service."),
        ("exp", "The ID token has expired."),
        ("nonce", "The ID token does not answer this sign-in (its nonce differs)."),
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        claim = getattr(error, "claim", "")
        reason = next((text for name, text in checks if name == claim), None)
        if reason is None and "expired" in str(error).lower():
            reason = "The ID token has expired."
        raise SignInRefused(reason or "The ID token is not valid.") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise SignInRefused("The ID token was issued for another service.")
    if not isinstance(claims.get("sub"), str):
        raise SignInRefused("The ID token names nobody.")
    return claims


def finish(
    provider: IdentityProvider, pending: Pending, params: dict[str, str]
) -> tuple[dict[str, Any], str]:
    """Exchange the code the provider sent back; the ID token's validated claims and the raw
    ID token (kept for signing out of the provider)."""
    if params.get("error"):
        raise SignInRefused("The identity provider did not sign you in.")
    issuer = params.get("iss")
    if issuer is not None and issuer != provider.issuer:
        raise SignInRefused("The answer comes from an identity provider that is not trusted.")
    code = params.get("code", "")
    if not code or len(code) > 2000:
        raise SignInRefused("The identity provider's answer has no authorization code.")
    metadata = discovery(provider)
    try:
        tokens = _session(provider).fetch_token(
            metadata["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=pending.code_verifier,
            redirect_uri=callback_url(),
            timeout=_timeout(),
        )
    except requests.RequestException:
        raise SignInRefused("The identity provider could not be reached.") from None
    except Exception:
        raise SignInRefused("The identity provider refused the sign-in code.") from None
    id_token = tokens.get("id_token") if isinstance(tokens, dict) else None
    claims = validate_id_token(provider, id_token, nonce=pending.nonce)
    assert isinstance(id_token, str)
    return claims, id_token


def _email_of(provider: IdentityProvider, claims: dict[str, Any]) -> str:
    if claims.get("email_verified") is False:
        return ""
    email = claims.get(provider.email_claim)
    return email.strip().lower() if isinstance(email, str) else ""


@transaction.atomic
def person_for(provider: IdentityProvider, claims: dict[str, Any]) -> Person:
    """The active person of the provider's partnership the verified claims name.

    Matched on the email address, or on the subject id once linked (the first sign-in links it
    by email, audited). Only people of the provider's own partnership are ever found.
    """
    people = Person.objects.filter(partnership_id=provider.partnership_id, is_active=True)
    subject = str(claims["sub"])
    if provider.match_claim == MatchClaim.SUBJECT:
        link = (
            IdentityLink.objects.select_related("person")
            .filter(provider=provider, subject=subject)
            .first()
        )
        if link is not None:
            if link.person.is_active and link.person.partnership_id == provider.partnership_id:
                return link.person
            raise SignInRefused("Your account is not active in Escalate.", unknown_person=True)
    email = _email_of(provider, claims)
    person = people.filter(email__iexact=email).first() if email else None
    if person is None:
        raise SignInRefused(
            "Your partnership has no account with your identity.", unknown_person=True
        )
    if provider.match_claim == MatchClaim.SUBJECT:
        if IdentityLink.objects.filter(provider=provider, person=person).exists():
            # Linked to another subject already: an email reused by someone else is not enough.
            raise SignInRefused(
                "Your account is linked to another identity at this provider.",
                unknown_person=True,
            )
        IdentityLink.objects.create(provider=provider, person=person, subject=subject)
        record_audit(
            actor=person,
            action="identity_linked",
            partnership=person.partnership,
            obj=person,
            changes={"identity_provider": (None, provider.name)},
        )
    return person
