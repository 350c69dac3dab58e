"""The policy page and flowchart: the person's own partnership's current policy, never another's."""

from __future__ import annotations

from html import unescape
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from escalate.directory.models import Person
from escalate.directory.tests.factories import PartnershipFactory, PersonFactory
from escalate.policies.tests.factories import make_policy_version

pytestmark = pytest.mark.django_db


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def text_of(response: object) -> str:
    return unescape(response.content.decode())  # type: ignore[attr-defined]


def test_the_page_shows_each_stage_of_the_persons_policy_and_not_another_partnerships() -> None:
    mine, theirs = PartnershipFactory(), PartnershipFactory()
    version = make_policy_version(mine, "havering.yaml")
    other = make_policy_version(theirs, "west-sussex.yaml")
    person = PersonFactory(agency__partnership=mine)

    response = signed_in(person).get(reverse("policies:policy"))

    assert response.status_code == 200
    page = text_of(response)
    for stage in version.spec.stages:
        assert stage.name in page
        assert stage.guidance.split("\n")[0] in page
    for stage in other.spec.stages:
        assert stage.name not in page
    assert version.spec.name in page


def test_the_page_shows_who_how_long_what_to_record_and_the_iro_rule() -> None:
    partnership = PartnershipFactory()
    make_policy_version(partnership, "havering.yaml")
    page = text_of(
        signed_in(PersonFactory(agency__partnership=partnership)).get(reverse("policies:policy"))
    )
    assert "The practitioner on each side" in page
    assert "5 working days" in page
    assert "the outcome: what was decided" in page
    assert (
        "If the child has a Child Protection Plan or the child is Looked After, "
        "the Independent Reviewing Officer (IRO) must be told." in page
    )
    assert "At least 3 agencies, including the agencies in dispute" in page
    assert "Default" in page


def test_the_page_shows_the_urgent_guidance_and_the_lado_signpost() -> None:
    partnership = PartnershipFactory(lado_contact="LADO: lado@testshire.example.org")
    spec = make_policy_version(partnership, "west-sussex.yaml").spec
    page = text_of(
        signed_in(PersonFactory(agency__partnership=partnership)).get(reverse("policies:policy"))
    )
    assert "If harm is immediate" in page
    assert spec.urgent.guidance.split("\n")[0] in page
    assert "You may start at: Level 2: manager to manager" in page
    assert "Local Authority Designated Officer" in page
    assert "LADO: lado@testshire.example.org" in page


def test_the_page_shows_the_latest_version() -> None:
    partnership = PartnershipFactory()
    make_policy_version(partnership, "havering.yaml")
    make_policy_version(partnership, "pan-berkshire.yaml")
    page = text_of(
        signed_in(PersonFactory(agency__partnership=partnership)).get(reverse("policies:policy"))
    )
    assert "Stage 1: understand the rationale" in page
    assert "Stage 1: discuss with the other worker" not in page
    assert "Version 2" in page


def test_a_partnership_without_a_policy_gets_a_helpful_page() -> None:
    partnership = PartnershipFactory(business_team_email="team@testshire.example.org")
    response = signed_in(PersonFactory(agency__partnership=partnership)).get(
        reverse("policies:policy")
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "has not loaded its escalation policy" in page
    assert "team@testshire.example.org" in page
    assert "LADO" in page


def test_a_person_without_a_partnership_gets_a_helpful_page() -> None:
    person = PersonFactory(agency=None, partnership=None)
    response = signed_in(person).get(reverse("policies:policy"))
    assert response.status_code == 200
    assert "not part of a safeguarding partnership" in text_of(response)


def test_the_flowchart_is_svg_drawn_from_the_persons_policy() -> None:
    mine, theirs = PartnershipFactory(), PartnershipFactory()
    spec = make_policy_version(mine, "havering.yaml").spec
    make_policy_version(theirs, "west-sussex.yaml")
    response = signed_in(PersonFactory(agency__partnership=mine)).get(reverse("policies:flowchart"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    root = ElementTree.fromstring(response.content)
    texts = " ".join(node.text or "" for node in root.iter("{http://www.w3.org/2000/svg}text"))
    for stage in spec.stages:
        assert stage.name.split(":")[0] in texts
    assert "Independent Reviewing" in texts and "Resolution" in texts
    assert "Level 2" not in texts
    desc = root.find("{http://www.w3.org/2000/svg}desc")
    assert desc is not None and "Stage 4: resolution by the Board Chair" in (desc.text or "")


def test_the_page_gives_the_flowchart_a_text_alternative() -> None:
    partnership = PartnershipFactory()
    make_policy_version(partnership, "havering.yaml")
    page = text_of(
        signed_in(PersonFactory(agency__partnership=partnership)).get(reverse("policies:policy"))
    )
    assert f'src="{reverse("policies:flowchart")}"' in page
    assert 'alt="Flowchart of the Havering (HSCB) escalation process.' in page


def test_there_is_no_flowchart_without_a_policy() -> None:
    person = PersonFactory(agency__partnership=PartnershipFactory())
    assert signed_in(person).get(reverse("policies:flowchart")).status_code == 404


@pytest.mark.parametrize(
    "file",
    [
        "havering.yaml",
        "pan-berkshire.yaml",
        "west-sussex.yaml",
        "waltham-forest.yaml",
        "practitioner-guide.yaml",
        "practitioner-guide-scotland.yaml",
    ],
)
def test_every_shipped_policy_renders_as_a_page_and_a_flowchart(file: str) -> None:
    partnership = PartnershipFactory()
    make_policy_version(partnership, file)
    client = signed_in(PersonFactory(agency__partnership=partnership))
    assert client.get(reverse("policies:policy")).status_code == 200
    ElementTree.fromstring(client.get(reverse("policies:flowchart")).content)


def test_the_navigation_links_to_the_policy_page() -> None:
    person = PersonFactory(agency__partnership=PartnershipFactory())
    page = text_of(signed_in(person).get(reverse("home")))
    assert f'href="{reverse("policies:policy")}"' in page


def test_the_policy_page_needs_sign_in() -> None:
    response = Client().get(reverse("policies:policy"))
    assert response.status_code == 302


def test_policy_text_becomes_escaped_paragraphs() -> None:
    from escalate.policies.templatetags.policy_text import govuk_paragraphs

    html = govuk_paragraphs("One line\ncontinued <b>.\n\nSecond.")
    assert html == (
        '<p class="govuk-body">One line continued &lt;b&gt;.</p>\n<p class="govuk-body">Second.</p>'
    )


def test_hour_and_same_day_timescales_read_as_words(tmp_path: Path) -> None:
    source = (Path(settings.POLICY_DIR) / "havering.yaml").read_text()
    edited = tmp_path / "hours.yaml"
    edited.write_text(
        source.replace(
            "      working_days: 5\n      note: One", "      hours: 48\n      note: One"
        ).replace("working_days: 5", "working_days: 0", 1)
    )
    partnership = PartnershipFactory()
    spec = make_policy_version(partnership, str(edited)).spec
    assert spec.stages[0].timescale.hours == 48
    page = text_of(
        signed_in(PersonFactory(agency__partnership=partnership)).get(reverse("policies:policy"))
    )
    assert "48 hours" in page and "the same working day" in page
