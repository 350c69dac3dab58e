"""A partnership sets itself up in the browser, from an empty database to its first escalation.

The platform administrator starts the partnership; its business manager follows the emailed
invitation, adds agencies, imports 50 people from a CSV (two bad rows refused, then fixed),
publishes a policy edited in the browser; an imported teacher signs in through their
organisation's identity provider (a real OpenID provider on loopback; their invitation and a
password when node is absent) and raises an escalation. Every page of Escalate is checked with
axe-core.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from escalate.accounts.models import IdentityProvider
from escalate.accounts.tests import oidc_helpers as op
from escalate.directory.models import Person
from escalate.directory.tests.factories import TEST_PASSWORD
from escalate.escalations.models import Escalation
from escalate.notifications.models import Notification
from escalate.policies.models import PolicyVersion
from escalate.web.tests.browser.support import assert_accessible, sign_in, sign_out
from escalate.web.tests.browser.test_escalation_journeys import (
    click_through,
    continue_to,
    go,
    raise_answers,
    raise_it,
    start_raising,
)

pytestmark = pytest.mark.browser

NEW_PASSWORD = "lantern-river-boat-2026"
AGENCIES = (
    ("Riverside Primary School", "School or education setting"),
    ("Riverside Children's Social Care", "Children's social care"),
    ("Riverside Police", "Police"),
)


def invitation_path(person: Person) -> str:
    body = Notification.objects.filter(recipient=person, event="account_invited").latest("pk").body
    match = re.search(r"/account/set-password/[^/\s]+/", body)
    assert match, body
    return match.group(0)


def accept_invitation(page: Page, person: Person) -> None:
    go(page, invitation_path(person), "set your password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    click_through(
        page, page.get_by_role("button", name="Save password"), "Your password is set", "set"
    )


def write_people(path: Path, *, bad_rows: bool) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["email", "full_name", "agency", "job_title", "level", "line_manager_email"]
        )
        writer.writerow(
            ["hana.head@school.example.org", "Hana Head", AGENCIES[0][0], "Headteacher", 3, ""]
        )
        writer.writerow(
            ["tess.lead@csc.example.org", "Tess Lead", AGENCIES[1][0], "Team manager", 2, ""]
        )
        for n in range(48):
            school = n % 2 == 0
            agency = AGENCIES[0][0] if school else AGENCIES[1][0]
            if bad_rows and n == 10:
                agency = "Hogwarts"
            email = f"person{n}@{'school' if school else 'csc'}.example.org"
            if bad_rows and n == 20:
                email = "person20-at-school"
            manager = "hana.head@school.example.org" if school else "tess.lead@csc.example.org"
            title = "Class teacher" if school else "Social worker"
            writer.writerow([email, f"Person {n} Example", agency, title, 1, manager])
    return path


def sign_in_through_the_provider(
    page: Page,
    person: Person,
    live_server: LiveServer,
    settings: Settings,
    request: pytest.FixtureRequest,
) -> None:
    """The platform administrator has set up the organisation's provider; the person chooses
    "Sign in with" it, signs in there, and comes back signed in (its MFA counts)."""
    settings.SITE_URL = live_server.url
    secret = "a-loopback-client-secret"
    provider = op.LoopbackProvider(
        clients=[op.client("escalate", secret, site=live_server.url)],
        accounts={"teacher": {"email": person.email, "email_verified": True}},
    )
    request.addfinalizer(provider.stop)
    assert person.partnership is not None
    IdentityProvider.objects.create(
        partnership=person.partnership,
        name="Riverside Council",
        issuer=provider.issuer,
        client_id="escalate",
        client_secret=secret,
        mfa_amr_values="mfa",
    )
    page.goto("/sign-in/")
    assert_accessible(page, "sign-in with an identity provider")
    page.get_by_role("button", name=re.compile("Sign in with Riverside Council")).click()
    page.get_by_label("Account").fill("teacher")
    page.get_by_role("button", name="Sign in to the provider").click()
    expect(page).to_have_url(re.compile(r"^" + re.escape(live_server.url) + r"/$"))


def test_from_an_empty_database_to_a_first_escalation(
    page: Page,
    transactional_db: None,
    tmp_path: Path,
    live_server: LiveServer,
    settings: Settings,
    request: pytest.FixtureRequest,
) -> None:
    check = assert_accessible
    # About sixty pages in one test: a slow first page on a busy machine is not a failure.
    page.set_default_navigation_timeout(30_000)
    admin = Person.objects.create_superuser("platform@escalate.example.org", TEST_PASSWORD)

    # The platform administrator starts the partnership and invites its business manager.
    sign_in(page, admin, TEST_PASSWORD, check=check)
    go(page, "/platform/partnerships/new/", "start a partnership")
    page.get_by_label("Partnership name").fill("Riverside Safeguarding Children Partnership")
    page.get_by_label("England").check()
    page.get_by_label("Children", exact=True).check()
    page.get_by_label("Reference prefix").fill("RIV")
    page.get_by_label("Business manager's full name").fill("Bea Manager")
    page.get_by_label("Business manager's email address").fill("bea@riverside.example.org")
    click_through(
        page,
        page.get_by_role("button", name="Start the partnership"),
        "Riverside Safeguarding Children Partnership is started",
        "partnership started",
    )
    sign_out(page)

    # The business manager follows the invitation, signs in and adds the agencies.
    manager = Person.objects.get(email="bea@riverside.example.org")
    accept_invitation(page, manager)
    sign_in(page, manager, NEW_PASSWORD, check=check)
    for name, kind in AGENCIES:
        go(page, "/directory/agencies/new/", "add an agency")
        page.get_by_label("Agency name").fill(name)
        page.get_by_label("Kind of agency").select_option(label=kind)
        click_through(page, page.get_by_role("button", name="Save agency"), name, "agency saved")

    # 50 people from a CSV: two bad rows are named and nothing is imported; then the fixed file.
    go(page, "/directory/people/import/", "import people")
    upload = page.get_by_label("Upload a CSV or XLSX file")
    upload.set_input_files(write_people(tmp_path / "people.csv", bad_rows=True))
    click_through(
        page, page.get_by_role("button", name="Check the file"), "Import people", "import errors"
    )
    expect(page.get_by_role("alert")).to_contain_text("2 rows need fixing")
    expect(page.locator("table")).to_contain_text("unknown agency 'Hogwarts'")
    expect(page.locator("table")).to_contain_text("expected an email address")
    assert Person.objects.count() == 2
    upload.set_input_files(write_people(tmp_path / "people-fixed.csv", bad_rows=False))
    click_through(
        page, page.get_by_role("button", name="Check the file"), "Import people", "preview"
    )
    click_through(
        page, page.get_by_role("button", name="Import 50 people"), "People", "people imported"
    )
    expect(page.locator(".govuk-notification-banner, .govuk-body").first).to_be_visible()
    assert Person.objects.filter(partnership=manager.partnership).count() == 51

    # The policy: a shipped one as the starting point, edited in the browser, then published.
    go(page, "/policy/edit/?start=havering.yaml", "edit the policy")
    text = page.get_by_label("Policy file (YAML)")
    shipped = (Path(settings.POLICY_DIR) / "havering.yaml").read_text(encoding="utf-8")
    assert "name: " in shipped
    text.fill(shipped.replace("name: ", "name: Riverside, ", 1))
    click_through(
        page, page.get_by_role("button", name="Check and preview"), "Edit the policy", "preview"
    )
    expect(page.locator(".govuk-inset-text")).to_contain_text("The policy is valid")
    page.get_by_role("button", name="Publish as a new version").click()
    expect(page).to_have_url(re.compile(r"/policy/$"))
    check(page, "published policy")
    version = PolicyVersion.objects.get(partnership=manager.partnership)
    assert version.name.startswith("Riverside, ")
    sign_out(page)

    # A teacher signs in through their organisation's provider and raises the first escalation.
    teacher = Person.objects.get(email="person0@school.example.org")
    if op.node_missing_reason() is None:
        sign_in_through_the_provider(page, teacher, live_server, settings, request)
    else:
        accept_invitation(page, teacher)
        sign_in(page, teacher, NEW_PASSWORD, check=check)
    start_raising(page, immediate_danger=False)
    continue_to(page, "Which agency do you disagree with?", "raise: agency")
    raise_answers(
        page,
        agency=AGENCIES[1][0],
        professional="Person 1 Example, Social worker",
        child="Sky Example",
    )
    continue_to(page, "Check your answers before raising the escalation", "raise: check")
    reference = raise_it(page)
    assert reference.startswith("RIV-")
    assert Escalation.objects.get(reference=reference).policy_version == version
