"""Personal API tokens: made and revoked on pages, shown once, stored hashed, scoped, limited."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from escalate.api.models import ApiToken, Scope
from escalate.api.tests.support import Api, api_as, error_of, token_for
from escalate.audit.models import AuditEvent
from escalate.directory.tests.factories import PersonFactory
from escalate.policies.calendar import LONDON
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db


def _signed_in(person) -> Client:
    client = Client()
    sign_in(client, person)
    return client


def test_a_token_is_shown_once_and_stored_only_as_a_hash() -> None:
    person = PersonFactory()
    client = _signed_in(person)
    response = client.post("/api/tokens/", {"name": "Case system", "scopes": ["escalations:read"]})
    assert response.status_code == 200
    secret = response.context["created"].secret
    assert secret.startswith("esc_") and len(secret) > 50
    assert secret in response.content.decode()
    token = ApiToken.objects.get(person=person)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().first())
    assert token.scopes == ["escalations:read"]
    again = client.get("/api/tokens/").content.decode()
    assert secret not in again and "Case system" in again
    assert AuditEvent.objects.filter(action="api_token_created", actor=person).exists()
    assert Api(secret).get("/escalations").status_code == 200


def test_the_token_form_explains_what_is_missing() -> None:
    client = _signed_in(PersonFactory())
    response = client.post("/api/tokens/", {"name": "", "scopes": []})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a name for the token" in html
    assert "Select at least one thing the token may do" in html
    assert not ApiToken.objects.exists()


def test_the_token_pages_need_a_session_that_gave_a_one_time_code(settings) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    person = PersonFactory()
    anonymous = Client().get("/api/tokens/")
    assert anonymous.status_code == 302 and "/sign-in/" in anonymous["Location"]
    password_only = Client()
    password_only.force_login(person)
    response = password_only.get("/api/tokens/")
    assert response.status_code == 302 and "/account/two-factor/" in response["Location"]
    assert _signed_in(person).get("/api/tokens/").status_code == 200


def test_a_token_works_without_a_session_or_a_code(settings) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    person = PersonFactory()
    response = api_as(person).get("/escalations")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


def test_revoking_stops_the_token_at_once() -> None:
    person = PersonFactory()
    secret = token_for(person)
    token = ApiToken.objects.get(person=person)
    client = _signed_in(person)
    assert client.get(f"/api/tokens/{token.pk}/revoke/").status_code == 200
    assert Api(secret).get("/escalations").status_code == 200
    response = client.post(f"/api/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    refused = Api(secret).get("/escalations")
    assert refused.status_code == 401
    assert error_of(refused)["code"] == "unauthenticated"
    assert AuditEvent.objects.filter(action="api_token_revoked", actor=person).exists()


def test_nobody_can_revoke_someone_elses_token() -> None:
    owner = PersonFactory()
    secret = token_for(owner)
    token = ApiToken.objects.get(person=owner)
    other = _signed_in(PersonFactory(agency=owner.agency))
    assert other.post(f"/api/tokens/{token.pk}/revoke/").status_code == 404
    assert Api(secret).get("/escalations").status_code == 200


def test_an_expired_token_stops_working_after_its_last_day() -> None:
    person = PersonFactory()
    client = _signed_in(person)
    last_day = timezone.localdate() + timedelta(days=2)
    response = client.post(
        "/api/tokens/",
        {
            "name": "Short-lived",
            "scopes": ["escalations:read"],
            "expires_on_day": str(last_day.day),
            "expires_on_month": str(last_day.month),
            "expires_on_year": str(last_day.year),
        },
    )
    assert response.status_code == 200, response.content.decode()
    secret = response.context["created"].secret
    assert ApiToken.objects.get(person=person).expires_at is not None
    late_on_last_day = datetime.combine(last_day, datetime.min.time(), LONDON) + timedelta(hours=23)
    with time_machine.travel(late_on_last_day, tick=False):
        assert Api(secret).get("/escalations").status_code == 200
    with time_machine.travel(late_on_last_day + timedelta(hours=2), tick=False):
        assert Api(secret).get("/escalations").status_code == 401


def test_a_deactivated_persons_tokens_stop_working() -> None:
    person = PersonFactory()
    api = api_as(person)
    assert api.get("/escalations").status_code == 200
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert api.get("/escalations").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer ",
        "Bearer esc_nothing",
        "Bearer esc_abcdefabcdef_wrong-secret",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_requests_without_a_valid_token_get_401_json_not_a_redirect(header) -> None:
    person = PersonFactory()
    token_for(person)
    headers = {"Authorization": header} if header else {}
    response = Client().get("/api/v1/escalations", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_with_a_real_prefix_is_refused() -> None:
    person = PersonFactory()
    secret = token_for(person)
    forged = secret[:-4] + ("aaaa" if not secret.endswith("aaaa") else "bbbb")
    assert Api(forged).get("/escalations").status_code == 401


@pytest.mark.parametrize(
    ("scope", "path", "allowed"),
    [
        (Scope.ESCALATIONS_READ, "/escalations", True),
        (Scope.DIRECTORY_READ, "/escalations", False),
        (Scope.DIRECTORY_READ, "/agencies", True),
        (Scope.ESCALATIONS_READ, "/agencies", False),
        (Scope.ESCALATIONS_READ, "/policy", False),
        (Scope.REPORTS_READ, "/actions", False),
    ],
)
def test_scopes_limit_what_a_token_reads(scope, path, allowed) -> None:
    response = api_as(PersonFactory(), [scope.value]).get(path)
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert scope.value not in error_of(response)["message"]
        assert error_of(response)["code"] == "forbidden"


def test_a_read_only_token_cannot_write() -> None:
    person = PersonFactory()
    response = api_as(person, [Scope.ESCALATIONS_READ.value]).post(
        "/escalations", {"respondent_agency_id": person.agency_id}
    )
    assert response.status_code == 403
    assert "escalations:write" in error_of(response)["message"]
    assert AuditEvent.objects.filter(action="access_refused", actor=person).exists()


def test_each_token_is_rate_limited_with_retry_after(settings) -> None:
    settings.API_RATE_LIMIT = "3/minute"
    person = PersonFactory()
    api = api_as(person)
    other = api_as(person)
    start = datetime(2026, 11, 27, 10, 0, 5, tzinfo=LONDON)
    with time_machine.travel(start, tick=False) as clock:
        assert [api.get("/escalations").status_code for _ in range(3)] == [200, 200, 200]
        limited = api.get("/escalations")
        assert limited.status_code == 429
        assert error_of(limited)["code"] == "rate_limited"
        assert 1 <= int(limited["Retry-After"]) <= 55
        assert other.get("/escalations").status_code == 200  # the limit is per token
        clock.shift(timedelta(seconds=int(limited["Retry-After"])))
        assert api.get("/escalations").status_code == 200


def test_the_rate_limit_setting_is_checked() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from escalate.api.ratelimit import parse_rate

    assert parse_rate("120/minute") == (120, 60)
    assert parse_rate("5/second") == (5, 1)
    for bad in ("120", "0/minute", "ten/minute", "5/fortnight"):
        with pytest.raises(ImproperlyConfigured, match="API_RATE_LIMIT"):
            parse_rate(bad)
