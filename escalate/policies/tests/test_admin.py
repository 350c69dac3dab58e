"""Policy versions in the admin: seen by their partnership's administrators only, never edited."""

from __future__ import annotations

import pytest
from django.test import Client

from escalate.directory.models import Role
from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory
from escalate.policies.tests.factories import make_policy_version

pytestmark = pytest.mark.django_db


def test_a_partnership_admin_sees_only_their_own_policy_versions() -> None:
    ours, theirs = PartnershipFactory(), PartnershipFactory()
    mine = make_policy_version(ours, "havering.yaml")
    other = make_policy_version(theirs, "west-sussex.yaml")
    admin = PersonFactory(
        agency=AgencyFactory(partnership=ours), is_staff=True, roles=[Role.ADMINISTRATOR]
    )
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/policies/policyversion/").content.decode()
    assert mine.name in page and other.name not in page
    assert client.get(f"/admin/policies/policyversion/{mine.pk}/change/").status_code == 200
    assert client.get(f"/admin/policies/policyversion/{other.pk}/change/").status_code == 302


def test_nobody_can_add_or_edit_a_policy_version_in_the_admin() -> None:
    partnership = PartnershipFactory()
    version = make_policy_version(partnership, "havering.yaml")
    admin = PersonFactory(
        agency=AgencyFactory(partnership=partnership), is_staff=True, roles=[Role.ADMINISTRATOR]
    )
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/policies/policyversion/add/").status_code == 403
    client.post(f"/admin/policies/policyversion/{version.pk}/change/", {"name": "Edited"})
    version.refresh_from_db()
    assert version.name != "Edited"
