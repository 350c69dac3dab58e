"""Sign-in through an identity provider, end to end against a real OpenID provider on loopback.

panva's oidc-provider (npm) runs in node on a free loopback port; Escalate talks to it over real
HTTP (discovery, JWKS, the token endpoint), and the test walks the browser's side with real HTTP.
Skipped, and reported as such, only when node is absent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from joserfc import jwt

from escalate.accounts import oidc
from escalate.accounts.models import IdentityLink, IdentityProvider, MatchClaim
from escalate.accounts.tests import oidc_helpers as op
from escalate.accounts.views_oidc import PENDING_KEY, SIGNED_IN_WITH_KEY
from escalate.audit.models import AuditEvent
from escalate.directory.models import Person, Role
from escalate.directory.tests.factories import PartnershipFactory, PersonFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(op.node_missing_reason() is not None, reason=str(op.node_missing_reason())),
]

SECRET = "a-test-client-secret-for-loopback"
ACCOUNTS = {
    "alice": {"email": "alice@riverside.example.org", "email_verified": True, "name": "Alice"},
    "bob": {"email": "bob@hillside.example.org", "email_verified": True, "name": "Bob"},
    "stranger": {"email": "stranger@example.org", "email_verified": True, "name": "Stranger"},
}


class Loopback:
    """The providers of this module: a trusted one and one nobody trusts."""

    def __init__(self) -> None:
        self.cis2_key, cis2_public = op.new_key_pair("cis2-test-key")
        clients = [
            op.client("escalate", SECRET),
            op.client("other-app", SECRET),
            op.client("escalate-cis2", public_jwk=cis2_public),
        ]
        self.trusted = op.LoopbackProvider(clients=clients, accounts=ACCOUNTS)
        self.untrusted = op.LoopbackProvider(clients=clients, accounts=ACCOUNTS)

    def stop(self) -> None:
        self.trusted.stop()
        self.untrusted.stop()


@pytest.fixture(scope="module")
def loopback() -> Iterator[Loopback]:
    providers = Loopback()
    yield providers
    providers.stop()


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "http://testserver"
    cache.clear()


def provider_for(partnership: Any, issuer: str, **fields: Any) -> IdentityProvider:
    values: dict[str, Any] = {
        "name": f"Provider {IdentityProvider.objects.count() + 1}",
        "client_id": "escalate",
        "client_secret": SECRET,
    }
    values.update(fields)
    return IdentityProvider.objects.create(partnership=partnership, issuer=issuer, **values)


def alice(**fields: Any) -> Person:
    partnership = PartnershipFactory(name="Riverside Partnership", slug="riverside")
    person: Person = PersonFactory(
        email="alice@riverside.example.org", agency__partnership=partnership, **fields
    )
    return person


def start(client: Client, provider: IdentityProvider, next_url: str = "") -> str:
    url = f"/sign-in/provider/{provider.pk}/" + (f"?next={next_url}" if next_url else "")
    response = client.get(url)
    assert response.status_code == 302, response.content
    return str(response["Location"])


def sign_in_through(client: Client, provider: IdentityProvider, account: str, **kwargs: Any) -> Any:
    returned = op.authorize(start(client, provider), account=account, **kwargs)
    return client.get("/sign-in/provider/callback/", returned)


def signed_in_as(client: Client) -> Person | None:
    person_id = client.session.get("_auth_user_id")
    return Person.objects.get(pk=person_id) if person_id else None


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


# Sign-in of a known person, and refusals of people the partnership does not hold.


def test_a_known_person_signs_in_and_it_is_audited(loopback: Loopback) -> None:
    person = alice()
    provider = provider_for(person.partnership, loopback.trusted.issuer)
    client = Client()
    url = start(client, provider, next_url="/escalations/")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(loopback.trusted.issuer)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["state"] and query["nonce"]

    returned = op.authorize(url, account="alice")
    response = client.get("/sign-in/provider/callback/", returned)

    assert response.status_code == 302 and response["Location"] == "/escalations/"
    assert signed_in_as(client) == person
    assert "sign_in" in actions() and "sign_in_identity_provider" in actions()
    # The state is used up: the same answer a second time signs nobody in.
    again = Client().get("/sign-in/provider/callback/", returned)
    assert again.status_code == 400 and signed_in_as(Client()) is None


def test_the_sign_in_page_offers_each_trusted_provider(loopback: Loopback) -> None:
    person = alice()
    provider_for(person.partnership, loopback.trusted.issuer, name="Riverside Council")
    provider_for(person.partnership, loopback.untrusted.issuer, name="NHS CIS2", is_active=False)
    page = Client().get("/sign-in/").content.decode()
    assert "Sign in with Riverside Council" in page
    assert "NHS CIS2" not in page


def test_an_unknown_person_is_refused_and_told_whom_to_ask(loopback: Loopback) -> None:
    person = alice()
    PersonFactory(agency=person.agency, full_name="Maya Manager", roles=[Role.BUSINESS_MANAGER])
    provider = provider_for(person.partnership, loopback.trusted.issuer)
    client = Client()
    before = Person.objects.count()

    response = sign_in_through(client, provider, "stranger")

    assert response.status_code == 403
    page = response.content.decode()
    assert "You do not have an account on Escalate yet" in page
    assert person.partnership.business_team_email in page and "Maya Manager" in page
    assert signed_in_as(client) is None
    assert Person.objects.count() == before  # sign-in never creates access
    assert actions()[-1] == "sign_in_refused_identity_provider"


def test_a_deactivated_person_is_refused(loopback: Loopback) -> None:
    person = alice(is_active=False)
    provider = provider_for(person.partnership, loopback.trusted.issuer)
    client = Client()
    assert sign_in_through(client, provider, "alice").status_code == 403
    assert signed_in_as(client) is None


def test_a_person_of_partnership_a_never_signs_into_b(loopback: Loopback) -> None:
    person = alice()
    hillside = PartnershipFactory(name="Hillside Partnership", slug="hillside")
    bob = PersonFactory(email="bob@hillside.example.org", agency__partnership=hillside)
    a_provider = provider_for(person.partnership, loopback.trusted.issuer, name="Riverside")
    b_provider = provider_for(hillside, loopback.trusted.issuer, name="Hillside")

    # Alice through B's provider: B holds no Alice, so nobody is signed in.
    client = Client()
    assert sign_in_through(client, b_provider, "alice").status_code == 403
    assert signed_in_as(client) is None
    # Bob (of B) through A's provider: refused too.
    assert sign_in_through(client, a_provider, "bob").status_code == 403
    assert signed_in_as(client) is None
    # Each through their own partnership's provider, into their own partnership only.
    assert sign_in_through(client, a_provider, "alice").status_code == 302
    assert signed_in_as(client) == person
    other = Client()
    assert sign_in_through(other, b_provider, "bob").status_code == 302
    assert signed_in_as(other) == bob


def test_a_subject_is_linked_once_then_matched_alone(loopback: Loopback) -> None:
    person = alice()
    provider = provider_for(
        person.partnership, loopback.trusted.issuer, match_claim=MatchClaim.SUBJECT
    )
    client = Client()
    assert sign_in_through(client, provider, "alice").status_code == 302
    link = IdentityLink.objects.get(provider=provider)
    assert (link.person, link.subject) == (person, "alice")
    assert "identity_linked" in actions()
    # The person's email changes in Escalate: the linked subject still finds them.
    Person.objects.filter(pk=person.pk).update(email="alice.new@riverside.example.org")
    other = Client()
    assert sign_in_through(other, provider, "alice").status_code == 302
    assert signed_in_as(other) == person


# Refusals of answers that must not sign anyone in.


def test_a_bad_state_is_refused(loopback: Loopback) -> None:
    person = alice()
    provider = provider_for(person.partnership, loopback.trusted.issuer)
    client = Client()
    returned = op.authorize(start(client, provider), account="alice")
    returned["state"] = returned["state"][:-2] + "xx"
    response = client.get("/sign-in/provider/callback/", returned)
    assert response.status_code == 400
    assert "You could not be signed in" in response.content.decode()
    assert signed_in_as(client) is None
    assert actions()[-1] == "sign_in_refused_identity_provider"


def test_a_bad_nonce_is_refused(loopback: Loopback) -> None:
    person = alice()
    provider = provider_for(person.partnership, loopback.trusted.issuer)
    client = Client()
    returned = op.authorize(start(client, provider), account="alice")
    session = client.session
    session[PENDING_KEY][returned["state"]]["nonce"] = "not-the-nonce-that-was-sent"
    session.save()
    response = client.get("/sign-in/provider/callback/", returned)
    assert response.status_code == 400
    assert "nonce differs" in response.content.decode()
    assert signed_in_as(client) is None


def test_an_expired_id_token_is_refused(loopback: Loopback) -> None:
    person = alice()
    provider = provider_for(person.partnership, loopback.trusted.issuer)
    client = Client()
    returned = op.authorize(start(client, provider), account="alice")
    # The provider's real ID token lives an hour; Escalate reads it two hours later.
    later = time.time() + 2 * 3600
    with mock.patch("escalate.accounts.oidc.time.time", return_value=later):
        response = client.get("/sign-in/provider/callback/", returned)
    assert response.status_code == 400
    assert "The ID token has expired." in response.content.decode()
    assert signed_in_as(client) is None


def test_an_answer_from_an_untrusted_issuer_is_refused(loopback: Loopback) -> None:
    person = alice()
    provider = provider_for(person.partnership, loopback.trusted.issuer)
    client = Client()
    url = start(client, provider)
    # The person is sent to another provider nobody trusts (same client id and secret there).
    elsewhere = url.replace(loopback.trusted.issuer, loopback.untrusted.issuer)
    returned = op.authorize(elsewhere, account="alice")
    response = client.get("/sign-in/provider/callback/", returned)
    assert response.status_code == 400
    assert signed_in_as(client) is None


def _real_id_token(client: Client) -> str:
    signed_in_with = client.session[SIGNED_IN_WITH_KEY]
    return str(signed_in_with["id_token"])


def test_an_id_token_of_an_untrusted_issuer_or_for_another_audience_is_refused(
    loopback: Loopback,
) -> None:
    person = alice()
    trusted = provider_for(person.partnership, loopback.trusted.issuer, name="Trusted")
    other_app = provider_for(
        person.partnership, loopback.trusted.issuer, name="Other app", client_id="other-app"
    )
    untrusted = provider_for(person.partnership, loopback.untrusted.issuer, name="Untrusted")
    tokens = {}
    for provider in (other_app, untrusted, trusted):
        client = Client()
        assert sign_in_through(client, provider, "alice").status_code == 302
        tokens[provider.name] = _real_id_token(client)

    def nonce_of(token: str) -> str:
        return str(jwt.decode(token, _keys_of(token)).claims["nonce"])

    def _keys_of(token: str) -> Any:
        provider = (
            trusted if token == tokens["Trusted"] or token == tokens["Other app"] else untrusted
        )
        return oidc._keys(provider)

    # Signed by the trusted provider, but for another client: wrong audience.
    with pytest.raises(oidc.SignInRefused, match="issued for another service"):
        oidc.validate_id_token(trusted, tokens["Other app"], nonce=nonce_of(tokens["Other app"]))
    # Issued by a provider nobody trusts.
    with pytest.raises(oidc.SignInRefused):
        oidc.validate_id_token(trusted, tokens["Untrusted"], nonce=nonce_of(tokens["Untrusted"]))
    # The trusted one's own token passes.
    claims = oidc.validate_id_token(trusted, tokens["Trusted"], nonce=nonce_of(tokens["Trusted"]))
    assert claims["sub"] == "alice"


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"state": "garbage"},
        {"code": "x" * 5000, "state": "\x00<script>"},
        {"error": "access_denied", "error_description": "The user said no"},
    ],
)
def test_a_malformed_answer_shows_a_page_and_never_a_500(
    loopback: Loopback, query: dict[str, str]
) -> None:
    person = alice()
    provider = provider_for(person.partnership, loopback.trusted.issuer)
    client = Client()
    start(client, provider)
    response = client.get("/sign-in/provider/callback/", query)
    assert response.status_code == 400
    assert "You could not be signed in" in response.content.decode()
    assert signed_in_as(client) is None


def test_the_provider_s_error_or_a_garbage_code_with_a_good_state_is_refused(
    loopback: Loopback,
) -> None:
    person = alice()
    provider = provider_for(person.partnership, loopback.trusted.issuer)
    client = Client()
    state = parse_qs(urlsplit(start(client, provider)).query)["state"][0]
    refused = client.get("/sign-in/provider/callback/", {"state": state, "error": "login_required"})
    assert refused.status_code == 400
    state = parse_qs(urlsplit(start(client, provider)).query)["state"][0]
    garbage = client.get("/sign-in/provider/callback/", {"state": state, "code": "garbage"})
    assert garbage.status_code == 400
    assert "refused the sign-in code" in garbage.content.decode()
    assert signed_in_as(client) is None


def test_a_network_failure_shows_a_page(loopback: Loopback) -> None:
    person = alice()
    provider = provider_for(person.partnership, loopback.trusted.issuer)
    client = Client()
    returned = op.authorize(start(client, provider), account="alice")
    returned.pop("iss", None)
    # The provider cannot be reached when the person comes back.
    cache.clear()
    IdentityProvider.objects.filter(pk=provider.pk).update(issuer="http://127.0.0.1:9/")
    response = client.get("/sign-in/provider/callback/", returned)
    assert response.status_code == 400
    assert "could not be reached" in response.content.decode()
    # Nor when they set off.
    dead = provider_for(person.partnership, "http://127.0.0.1:9/", name="Dead")
    assert Client().get(f"/sign-in/provider/{dead.pk}/").status_code == 502


# NHS CIS2: the client authenticates with a JWT signed by its private key.


def test_cis2_style_private_key_jwt(loopback: Loopback) -> None:
    person = alice()
    provider = provider_for(
        person.partnership,
        loopback.trusted.issuer,
        name="NHS CIS2",
        client_id="escalate-cis2",
        client_secret="",
        private_key=loopback.cis2_key,
        private_key_id="cis2-test-key",
    )
    provider.full_clean()
    client = Client()
    assert sign_in_through(client, provider, "alice").status_code == 302
    assert signed_in_as(client) == person
    # With another key (not the one registered), the provider refuses the client.
    other_key, _ = op.new_key_pair("cis2-test-key")
    IdentityProvider.objects.filter(pk=provider.pk).update(private_key=other_key)
    provider.refresh_from_db()
    refused = sign_in_through(Client(), provider, "alice")
    assert refused.status_code == 400
    assert "refused the sign-in code" in refused.content.decode()


# The second factor: the provider's, when its acr/amr says so; the local code otherwise.


def test_the_provider_s_mfa_stands_for_the_second_factor(loopback: Loopback, settings: Any) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    person = alice()
    provider = provider_for(
        person.partnership, loopback.trusted.issuer, mfa_amr_values="mfa otp", mfa_acr_values=""
    )
    client = Client()
    assert sign_in_through(client, provider, "alice", amr="pwd,mfa").status_code == 302
    assert client.get("/").status_code == 200


def test_an_acr_value_counts_when_set_up(loopback: Loopback, settings: Any) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    person = alice()
    provider = provider_for(
        person.partnership, loopback.trusted.issuer, mfa_acr_values="urn:test:mfa"
    )
    client = Client()
    assert sign_in_through(client, provider, "alice", acr="urn:test:mfa").status_code == 302
    assert client.get("/").status_code == 200


def test_without_the_provider_s_mfa_the_local_code_is_asked(
    loopback: Loopback, settings: Any
) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    person = alice()
    provider = provider_for(
        person.partnership,
        loopback.trusted.issuer,
        mfa_amr_values="mfa",
        mfa_acr_values="urn:test:mfa",
    )
    client = Client()
    response = sign_in_through(client, provider, "alice", amr="pwd", acr="urn:test:password")
    assert response.status_code == 302 and signed_in_as(client) == person
    home = client.get("/")
    assert home.status_code == 302 and "/account/two-factor/" in home["Location"]


# Signing out ends Escalate's session and then the provider's.


def test_sign_out_ends_the_local_session_and_the_provider_s(loopback: Loopback) -> None:
    person = alice()
    provider = provider_for(person.partnership, loopback.trusted.issuer)
    client = Client()
    assert sign_in_through(client, provider, "alice").status_code == 302
    response = client.post("/sign-out/")
    assert response.status_code == 302
    location = str(response["Location"])
    assert location.startswith(loopback.trusted.issuer)
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/sign-in/"]
    assert query["id_token_hint"]
    assert signed_in_as(client) is None
    assert "sign_out" in actions()
    # The provider accepts the hint and asks to confirm signing out of it.
    import requests

    assert requests.get(location, timeout=10).status_code == 200
