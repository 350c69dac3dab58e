"""The frame every page shares: the account links in the footer."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from escalate.directory.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_signed_in_people_find_their_account_pages_in_the_footer() -> None:
    client = Client()
    client.force_login(PersonFactory())
    page = client.get(reverse("home")).content.decode()
    for url_name in ("change_password", "calendar:settings", "api:tokens"):
        assert f'href="{reverse(url_name)}"' in page, url_name


def test_the_sign_in_page_has_no_account_links() -> None:
    page = Client().get(reverse("login")).content.decode()
    assert f'href="{reverse("api:tokens")}"' not in page
