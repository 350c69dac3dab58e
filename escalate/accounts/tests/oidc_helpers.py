"""A real OpenID provider on loopback (panva's oidc-provider, run by node) and a person's browser
at it, for the tests of sign-in through an identity provider.

`LoopbackProvider` starts `oidc_provider.mjs` with the clients and accounts given; `authorize`
walks the provider's side of the authorization code flow with real HTTP (the interaction is
finished by one request naming the account, its acr and amr) and returns the parameters the
provider sends back to Escalate's callback.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
NODE = shutil.which("node")
CALLBACK = "http://testserver/sign-in/provider/callback/"


def node_missing_reason() -> str | None:
    if NODE is None:
        return "node is not installed: the loopback OpenID provider cannot run"
    return None


def client(
    client_id: str,
    secret: str = "",
    public_jwk: dict[str, Any] | None = None,
    *,
    site: str = "http://testserver",
) -> dict:
    """A client registration for the provider: a secret (client_secret_basic) or a public key.

    `site` is Escalate's address (`SITE_URL`): the redirect URIs are under it."""
    registration: dict[str, Any] = {
        "client_id": client_id,
        "redirect_uris": [f"{site}/sign-in/provider/callback/"],
        "post_logout_redirect_uris": [f"{site}/sign-in/"],
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
    }
    if public_jwk is not None:
        registration["token_endpoint_auth_method"] = "private_key_jwt"
        registration["token_endpoint_auth_signing_alg"] = "RS256"
        registration["jwks"] = {"keys": [public_jwk]}
    else:
        registration["client_secret"] = secret
        registration["token_endpoint_auth_method"] = "client_secret_basic"
    return registration


def new_key_pair(kid: str) -> tuple[str, dict[str, Any]]:
    """A fresh RSA private key (PEM, for Escalate) and its public JWK (for the provider)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = RSAKey.import_key(pem).as_dict(private=False)
    public.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return pem, public


class LoopbackProvider:
    def __init__(self, *, clients: list[dict], accounts: dict[str, dict]) -> None:
        assert NODE is not None
        self.process = subprocess.Popen(
            [NODE, str(SCRIPT), json.dumps({"clients": clients, "accounts": accounts})],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        issuer = ""
        for line in self.process.stdout:
            if line.startswith("{"):
                issuer = json.loads(line)["issuer"]
                break
        if not issuer:
            self.stop()
            raise RuntimeError(
                "The loopback OpenID provider did not start: is oidc-provider installed (npm ci)?"
            )
        self.issuer: str = issuer

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def authorize(
    authorization_url: str,
    *,
    account: str,
    acr: str = "",
    amr: str = "",
    browser: requests.Session | None = None,
) -> dict[str, str]:
    """Follow the provider's redirects as a browser, sign `account` in, and return the query
    the provider sends back to Escalate's callback."""
    browser = browser or requests.Session()
    url = authorization_url
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        location = response.headers.get("location")
        if response.status_code not in (302, 303) or not location:
            raise AssertionError(f"The provider stopped at {url}: {response.status_code}")
        location = urljoin(url, location)
        if location.startswith(CALLBACK):
            return dict(parse_qsl(urlsplit(location).query))
        path = urlsplit(location).path
        if path.startswith("/interaction/"):
            query = {"account": account, "acr": acr, "amr": amr}
            url = (
                requests.Request("GET", location.rstrip("/") + "/login", params=query).prepare().url
                or ""
            )
        else:
            url = location
    raise AssertionError("The provider never sent the person back")
