"""Partnership isolation: nothing of partnership B reaches a person of partnership A.

- B's records (escalation, action, attachment, chronology entry, export, notification) answer
  exactly the 404 an id that does not exist answers: same status, same page, nothing changed.
- Lists, counts, figures, exports and the calendar hold only what the person may see, also for
  someone who used to work in B and was moved to A (their old notifications, stages and actions
  stay in B).
- Ids of B's agencies or people sent in a form are refused with a form error, never a 500.
"""

from __future__ import annotations

import importlib.util
import io
import re
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from escalate.directory.models import Person
from escalate.escalations.models import Action, Escalation, Status
from escalate.escalations.tests.factories import ActionFactory, EscalationFactory
from escalate.escalations.views import STAGE_ACTIONS
from escalate.notifications.models import Channel, Notification
from escalate.notifications.selectors import unread_count
from escalate.web.testing import sign_in
from escalate.web.tests.access_matrix import form_body
from escalate.web.tests.access_world import (
    AccessWorld,
    api_bearer_token,
    changed_tables,
    snapshot,
)

pytestmark = pytest.mark.django_db

MISSING_ID = 987654321


def _client(person: Person) -> Client:
    client = Client()
    sign_in(client, person)
    return client


def _page(response: Any) -> bytes:
    # The sign-out form's CSRF token is masked afresh on every page; nothing else may differ.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)


def _b_urls(world: AccessWorld) -> list[tuple[str, str, str]]:
    """(what, B's object, an id that does not exist): reached directly and through A's records."""
    a, b = world.a, world.b
    ref_a, ref_b = a.escalation.reference, b.escalation.reference
    missing = ref_b[:-4] + "9999"

    def url(name: str, **kwargs: Any) -> str:
        return reverse(name, kwargs=kwargs)

    urls = [
        ("escalation", url("escalations:detail", reference=ref_b), missing),
        (
            "raised page",
            url("escalations:raise_done", reference=ref_b),
            url("escalations:raise_done", reference=missing),
        ),
        (
            "evidence list",
            url("evidence:list", reference=ref_b),
            url("evidence:list", reference=missing),
        ),
        (
            "attachment",
            url("evidence:download", reference=ref_b, attachment_id=b.attachment.pk),
            url("evidence:download", reference=missing, attachment_id=MISSING_ID),
        ),
        (
            "attachment through A's escalation",
            url("evidence:download", reference=ref_a, attachment_id=b.attachment.pk),
            url("evidence:download", reference=ref_a, attachment_id=MISSING_ID),
        ),
        (
            "action",
            url("escalations:complete_action", reference=ref_b, action_id=b.action.pk),
            url("escalations:complete_action", reference=missing, action_id=MISSING_ID),
        ),
        (
            "action through A's escalation",
            url("escalations:complete_action", reference=ref_a, action_id=b.action.pk),
            url("escalations:complete_action", reference=ref_a, action_id=MISSING_ID),
        ),
        (
            "chronology correction",
            url("escalations:correct_entry", reference=ref_b, entry_id=b.entry.pk),
            url("escalations:correct_entry", reference=missing, entry_id=MISSING_ID),
        ),
        (
            "chronology correction through A's escalation",
            url("escalations:correct_entry", reference=ref_a, entry_id=b.entry.pk),
            url("escalations:correct_entry", reference=ref_a, entry_id=MISSING_ID),
        ),
        (
            "notification",
            url("notifications:mark_read", notification_id=b.notification.pk),
            url("notifications:mark_read", notification_id=MISSING_ID),
        ),
    ]
    for file_format in ("pdf", "docx"):
        urls.append(
            (
                f"export ({file_format})",
                url("reports:escalation_record", reference=ref_b, file_format=file_format),
                url("reports:escalation_record", reference=missing, file_format=file_format),
            )
        )
    for slug in STAGE_ACTIONS:
        urls.append(
            (
                f"stage action {slug}",
                url("escalations:stage_action", reference=ref_b, action=slug),
                url("escalations:stage_action", reference=missing, action=slug),
            )
        )
        if STAGE_ACTIONS[slug].action_rows:  # a decision's question pages (steps.py)
            for page in ("decision/", "learning/", "actions/", "actions/add/", "check/"):
                urls.append(
                    (
                        f"{slug} {page}",
                        f"/escalations/{ref_b}/{slug}/{page}",
                        f"/escalations/{missing}/{slug}/{page}",
                    )
                )
    # The first row's "missing" is a bare reference: make it a URL like the others.
    urls[0] = (urls[0][0], urls[0][1], url("escalations:detail", reference=missing))
    return urls


@pytest.mark.parametrize("role", ["business_manager", "raiser", "auditor"])
def test_bs_records_answer_exactly_as_ids_that_do_not_exist(
    access_world: AccessWorld, role: str
) -> None:
    world = access_world
    client = _client(world.person(role))
    body = form_body(world)
    before = snapshot()
    checked = 0
    for what, theirs, missing in _b_urls(world):
        for method in ("get", "post"):
            send = getattr(client, method)
            args = (body,) if method == "post" else ()
            got, expected = send(theirs, *args), send(missing, *args)
            assert got.status_code == expected.status_code, f"{method} {what}: {theirs}"
            assert got.status_code in (404, 405), f"{method} {what}: {got.status_code}"
            assert _page(got) == _page(expected), f"{method} {what}: the page differs"
            checked += 1
    assert checked >= 2 * 24
    assert changed_tables(before, snapshot()) == []


# --- lists, counts, figures, exports -------------------------------------------------------


def _moved_from_b_to_a(world: AccessWorld) -> Person:
    """B's respondent manager, now working in A: their B notifications, stage and action remain."""
    person = world.b.world.team_manager
    ActionFactory(escalation=world.b.escalation, owner=person, created_by=world.b.world.teacher)
    assert Notification.objects.filter(
        recipient=person, channel=Channel.IN_APP, read_at__isnull=True
    ).exists(), "the world tells B's respondent manager about B's escalation"
    Person.objects.filter(pk=person.pk).update(
        partnership=world.a.partnership, agency=world.a.world.csc, line_manager=None
    )
    return Person.objects.get(pk=person.pk)


LIST_PAGES = (
    "home",
    "escalations:queue",
    "escalations:my_actions",
    "notifications:inbox",
    "calendar:download",
)


def test_someone_moved_from_b_to_a_sees_none_of_b_in_lists_counts_and_calendars(
    access_world: AccessWorld,
) -> None:
    world = access_world
    person = _moved_from_b_to_a(world)
    b_reference = world.b.escalation.reference
    client = _client(person)
    for name in LIST_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert b_reference.encode() not in _page(response), f"{name} shows B's escalation"
    created = client.post(reverse("calendar:settings"))
    assert created.status_code == 200
    feed = re.search(rb'class="app-calendar-address">https?://[^/]+(/[^<]+)<', _page(created))
    assert feed, "the new calendar address is not shown"
    response = Client().get(feed[1].decode())
    assert b_reference.encode() not in _page(response), "the calendar feed shows B's deadlines"
    assert unread_count(person) == 0
    # Marking everything read leaves B's notifications alone.
    client.post(reverse("notifications:mark_all_read"))
    assert Notification.objects.filter(
        recipient=person, partnership=world.b.partnership, read_at__isnull=True
    ).exists()


def test_lists_of_a_never_show_bs_escalation(access_world: AccessWorld) -> None:
    world = access_world
    b_reference = world.b.escalation.reference.encode()
    pages = {
        "business_manager": ["home", "reports:learning"],
        "raiser": ["home", "escalations:my_actions", "calendar:download"],
        "raiser_manager": ["home", "escalations:queue"],
        "respondent": ["home", "notifications:inbox"],
        "auditor": ["audit:events"],
    }
    for role, names in pages.items():
        client = _client(world.person(role))
        for name in names:
            response = client.get(reverse(name))
            assert response.status_code == 200, (role, name)
            page = _page(response)
            assert b_reference not in page, (role, name)
    # Searching the audit trail for B's reference finds nothing.
    auditor = _client(world.person("auditor"))
    found = auditor.get(reverse("audit:events"), {"reference": world.b.escalation.reference})
    assert found.status_code == 200
    assert list(found.context["page"].object_list) == []
    own = auditor.get(reverse("audit:events"), {"reference": world.a.escalation.reference})
    assert list(own.context["page"].object_list) != []
    # The lists are not empty: A's escalation is there, so the check above can fail.
    raiser_home = _page(_client(world.person("raiser")).get(reverse("home")))
    assert world.a.escalation.reference.encode() in raiser_home


def _figures(client: Client) -> dict[str, Any]:
    reason = {"reason": "For the partnership board."}
    csv = client.post(reverse("reports:figures", kwargs={"file_format": "csv"}), reason)
    xlsx = client.post(reverse("reports:figures", kwargs={"file_format": "xlsx"}), reason)
    assert csv.status_code == 200 and xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(_page(xlsx)))
    return {
        "dashboard": _page(client.get(reverse("reports:dashboard"))),
        # matplotlib names its clip paths and markers at random (a letter, ten hex digits).
        "chart": re.sub(
            rb"#?[pm][0-9a-f]{10}",
            b"",
            _page(client.get(reverse("reports:chart", kwargs={"key": "categories"}))),
        ),
        "learning": _page(client.get(reverse("reports:learning"))),
        "csv": _page(csv),
        "xlsx": [
            [cell.value for cell in row] for sheet in book.worksheets for row in sheet.iter_rows()
        ],
    }


def test_figures_and_exports_of_a_do_not_move_when_b_gets_more_escalations(
    access_world: AccessWorld,
) -> None:
    world = access_world
    client = _client(world.person("business_manager"))
    before = _figures(client)
    b_had = Escalation.objects.filter(partnership=world.b.partnership).count()
    for status in (Status.OPEN, Status.OPEN, Status.RESOLVED, Status.RESOLVED, Status.WITHDRAWN):
        EscalationFactory(
            partnership=world.b.partnership, policy_version=world.b.world.policy, status=status
        )
    assert Escalation.objects.filter(partnership=world.b.partnership).count() == b_had + 5
    assert _figures(client) == before
    # ...and they do move for A's own escalations, so the comparison can fail.
    for _ in range(5):
        EscalationFactory(partnership=world.a.partnership, policy_version=world.a.world.policy)
    assert _figures(client)["csv"] != before["csv"]


# --- ids in form bodies ----------------------------------------------------------------------


def _error_page(response: Any) -> str:
    assert response.status_code in (200, 400), response.status_code
    page = response.content.decode()
    assert "There is a problem" in page
    return page


def test_bs_agency_and_people_are_refused_when_raising(access_world: AccessWorld) -> None:
    world = access_world
    raiser = world.person("raiser")
    client = _client(raiser)
    escalations_before = Escalation.objects.count()
    before = snapshot()
    page = _error_page(
        client.post(
            reverse("escalations:raise_step", args=["agency"]),
            {"respondent_agency": world.b.agency.pk},
        )
    )
    assert "Select an agency from the list" in page
    # With A's agency chosen, B's social worker is not one of its professionals.
    client.post(
        reverse("escalations:raise_step", args=["agency"]),
        {"respondent_agency": world.a.agency.pk},
    )
    page = _error_page(
        client.post(
            reverse("escalations:raise_step", args=["professional"]),
            {"respondent_choice": world.b.world.social_worker.pk},
        )
    )
    assert "Select a professional from the list" in page
    changed = changed_tables(before, snapshot())
    assert changed == ["escalations.RaiseDraft"]  # only the raiser's own draft
    assert Escalation.objects.count() == escalations_before  # nothing raised


def test_a_draft_holding_bs_ids_shows_no_b_names_and_raises_nothing(
    access_world: AccessWorld,
) -> None:
    # A draft from before the person moved to A (or altered) names B's agency and person.
    world = access_world
    person = _moved_from_b_to_a(world)
    b_agency, b_person = world.b.world.school, world.b.world.teacher
    answers = {
        "immediate_harm": "no",
        "respondent_agency": b_agency.pk,
        "respondent_choice": str(b_person.pk),
        "subject_kind": "child",
        "subject_name": "Sam Example",
        "subject_date_of_birth": None,
        "case_references": "",
        "flags": [],
        "categories": ["threshold"],
        "disputed": "The decision.",
        "risk": "The risk.",
        "outcome_wanted": "A meeting.",
        "already_tried": "A call.",
    }
    from escalate.escalations.services import save_raise_draft

    save_raise_draft(by=person, data=answers)
    client = _client(person)
    check = client.get(reverse("escalations:raise_check"))
    assert check.status_code == 200
    page = check.content.decode()
    assert b_agency.name not in page
    assert b_person.full_name not in page
    count = Escalation.objects.count()
    page = _error_page(client.post(reverse("escalations:raise_check")))
    assert "Choose the agency you disagree with" in page
    assert Escalation.objects.count() == count


@pytest.mark.parametrize(
    ("slug", "field", "pick", "message"),
    [
        ("add-action", "owner", "person", "Choose an owner from this partnership"),
        # A decision's agreed actions are added one per page (escalations/steps.py).
        ("resolve/actions/add", "owner", "person", "Choose an owner from this partnership"),
        ("convene-panel", "members", "person", "Select members from the list"),
        ("representation", "agency", "agency", "Select an agency from the list"),
    ],
)
def test_bs_people_and_agencies_are_refused_in_stage_forms(
    access_world: AccessWorld, slug: str, field: str, pick: str, message: str
) -> None:
    world = access_world
    client = _client(world.person("raiser_manager"))
    theirs = world.b.world.teacher.pk if pick == "person" else world.b.agency.pk
    body = {
        **form_body(world),
        "action-0-description": "Call the family.",
        "action-0-due_on_day": form_body(world)["due_on_day"],
        "action-0-due_on_month": form_body(world)["due_on_month"],
        "action-0-due_on_year": form_body(world)["due_on_year"],
        "action_rows": 1,
        field: theirs,
    }
    before = snapshot()
    address = (
        f"/escalations/{world.a.escalation.reference}/{slug}/"
        if "/" in slug
        else reverse("escalations:stage_action", args=[world.a.escalation.reference, slug])
    )
    page = _error_page(client.post(address, body))
    assert message in page
    assert changed_tables(before, snapshot()) == []


def test_the_dashboard_refuses_bs_agency_as_a_filter(access_world: AccessWorld) -> None:
    world = access_world
    client = _client(world.person("business_manager"))
    response = client.get(reverse("reports:dashboard"), {"agency": world.b.agency.pk})
    assert response.status_code == 400
    assert "Select an agency from the list" in response.content.decode()


# --- the JSON API (when installed) -----------------------------------------------------------

needs_api = pytest.mark.skipif(
    importlib.util.find_spec("escalate.api.urls") is None, reason="the JSON API is not installed"
)


def _api_client(person: Person) -> tuple[Client, dict[str, str]]:
    return Client(), {"Authorization": f"Bearer {api_bearer_token(person)}"}


@needs_api
def test_the_api_answers_bs_records_exactly_as_ids_that_do_not_exist(
    access_world: AccessWorld,
) -> None:
    world = access_world
    client, headers = _api_client(world.person("business_manager"))
    b = world.b
    missing = b.escalation.reference[:-4] + "9999"
    pairs = [
        (f"escalations/{b.escalation.reference}", f"escalations/{missing}"),
        (f"escalations/{b.escalation.reference}/actions", f"escalations/{missing}/actions"),
        (f"agencies/{b.agency.pk}/contacts", f"agencies/{MISSING_ID}/contacts"),
        (f"agencies/{b.agency.pk}/people", f"agencies/{MISSING_ID}/people"),
    ]
    posts = [
        (f"actions/{b.action.pk}/done", f"actions/{MISSING_ID}/done"),
        (f"escalations/{b.escalation.reference}/withdraw", f"escalations/{missing}/withdraw"),
        (f"escalations/{b.escalation.reference}/actions", f"escalations/{missing}/actions"),
    ]
    body = {
        "expected_version": b.escalation.version,
        "reason": "x",
        "note": "x",
        "owner_id": world.person("raiser").pk,
        "description": "x",
        "due_on": "2099-01-01",
    }
    before = snapshot()
    for theirs, absent in pairs:
        got = client.get(f"/api/v1/{theirs}", headers=headers)
        expected = client.get(f"/api/v1/{absent}", headers=headers)
        assert (got.status_code, got.json()) == (expected.status_code, expected.json()), theirs
        assert got.status_code == 404
    for theirs, absent in posts:
        sent = {"data": body, "content_type": "application/json", "headers": headers}
        got = client.post(f"/api/v1/{theirs}", **sent)  # type: ignore[arg-type]
        expected = client.post(f"/api/v1/{absent}", **sent)  # type: ignore[arg-type]
        assert (got.status_code, got.json()) == (expected.status_code, expected.json()), theirs
        assert got.status_code == 404
    assert changed_tables(before, snapshot()) == []


@needs_api
def test_the_api_refuses_bs_agency_and_people_in_a_body(access_world: AccessWorld) -> None:
    world = access_world
    client, headers = _api_client(world.person("raiser"))
    count = (Escalation.objects.count(), Action.objects.count())
    raised = client.post(
        "/api/v1/escalations",
        {
            "respondent_agency_id": world.b.agency.pk,
            "respondent_name": "Someone",
            "subject_name": "Sam Example",
            "disputed": "The decision.",
            "risk": "The risk.",
            "outcome_wanted": "A meeting.",
            "categories": ["threshold"],
        },
        content_type="application/json",
        headers=headers,
    )
    assert raised.status_code == 422
    action = client.post(
        f"/api/v1/escalations/{world.a.escalation.reference}/actions",
        {"owner_id": world.b.world.teacher.pk, "description": "x", "due_on": "2099-01-01"},
        content_type="application/json",
        headers=headers,
    )
    assert action.status_code == 422
    assert (Escalation.objects.count(), Action.objects.count()) == count
