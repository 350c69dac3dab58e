"""Logs carry no child names or identifiers, at any level, through a whole escalation."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalate.directory.models import Level, Person
from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory
from escalate.escalations.models import Escalation, Status
from escalate.escalations.tests.factories import current_policy
from escalate.escalations.tests.views_support import decide
from escalate.notifications.delivery import deliver_due_notifications
from escalate.operations.logs import JsonFormatter
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db

CHILD_NAME = "Morwenna Quillfeather"
BIRTH = ("3", "4", "2015")
CASE_REFS = "LCS-5512093 NHS 485 777 3456"
IDENTIFYING = (
    CHILD_NAME,
    "Morwenna",
    "Quillfeather",
    "2015-04-03",
    "3 April 2015",
    "03/04/2015",
    "LCS-5512093",
    "485 777 3456",
)


class Everything(logging.Handler):
    """Keeps every record, formatted with its exception, whatever its level.

    Each record is kept twice: as text, and as production's JSON line, whose extras (anything
    passed with `extra=`) would otherwise escape a text-only check.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.json = JsonFormatter()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.lines.append(self.json.format(record))


@pytest.fixture
def logs() -> Iterator[Everything]:
    """Every logger (the project's, Django's, the libraries') at DEBUG, into one handler."""
    handler = Everything()
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger, level in levels:
            logger.setLevel(level)
            logger.removeHandler(handler)


def step(slug: str) -> str:
    return reverse("escalations:raise_step", args=[slug])


def post(client: Client, url: str, data: dict[str, object]) -> None:
    response = client.post(url, data)
    assert response.status_code == 302, (url, response.content.decode()[:1500])


def raise_through_the_pages(client: Client, respondent: Person) -> Escalation:
    assert respondent.agency is not None
    post(client, step("immediate-danger"), {"immediate_harm": "no"})
    answers: list[tuple[str, dict[str, object]]] = [
        ("agency", {"respondent_agency": respondent.agency.pk}),
        ("professional", {"respondent_choice": str(respondent.pk)}),
        (
            "child-or-adult",
            {
                "subject_kind": "child",
                "subject_name": CHILD_NAME,
                "subject_date_of_birth_day": BIRTH[0],
                "subject_date_of_birth_month": BIRTH[1],
                "subject_date_of_birth_year": BIRTH[2],
                "case_references": CASE_REFS,
            },
        ),
        ("flags", {"flags": ["cp_plan"]}),
        ("reviewers", {"allocated_iro": "not-known", "allocated_cp_chair": "not-known"}),
        ("categories", {"categories": ["threshold"]}),
        ("disputed", {"disputed": f"{CHILD_NAME}'s referral was closed."}),
        ("risk", {"risk": f"{CHILD_NAME} is not seen by anyone."}),
        ("outcome", {"outcome_wanted": "A strategy discussion."}),
        ("already-tried", {"already_tried": "A phone call."}),
    ]
    for slug, data in answers:
        post(client, step(slug), data)
    post(client, reverse("escalations:raise_check"), {})
    return Escalation.objects.get(subject_name=CHILD_NAME)


def test_a_whole_escalation_logs_nothing_that_identifies_the_child(logs: Everything) -> None:
    partnership = PartnershipFactory()
    current_policy(partnership)
    school = AgencyFactory(partnership=partnership)
    social_care = AgencyFactory(partnership=partnership)
    raiser_manager = PersonFactory(agency=school, level=Level.LINE_MANAGER, roles=["line_manager"])
    raiser = PersonFactory(agency=school, line_manager=raiser_manager)
    respondent = PersonFactory(agency=social_care)
    raiser_client, respondent_client = Client(), Client()
    sign_in(raiser_client, raiser)
    sign_in(respondent_client, respondent)

    escalation = raise_through_the_pages(raiser_client, respondent)
    detail = reverse("escalations:detail", args=[escalation.reference])
    assert CHILD_NAME in respondent_client.get(detail).content.decode()

    def act(client: Client, slug: str, data: dict[str, object]) -> None:
        escalation.refresh_from_db()
        url = reverse("escalations:stage_action", args=[escalation.reference, slug])
        post(client, url, {"expected_version": escalation.version, **data})

    yesterday = timezone.localdate() - timedelta(days=1)
    act(
        raiser_client,
        "record-discussion",
        {
            "held_on_day": yesterday.day,
            "held_on_month": yesterday.month,
            "held_on_year": yesterday.year,
            "with_whom": "The social worker",
            "method": "phone",
            "summary": f"We talked about {CHILD_NAME}.",
            "outcome": "No agreement.",
        },
    )
    act(raiser_client, "escalate", {"reason": f"{CHILD_NAME} is still at risk."})
    act(raiser_client, "pause", {"reason": "Strategy meeting"})
    act(raiser_client, "resume", {"reason": "Met"})
    # The respondent's side proposes; the raiser accepting it resolves the escalation.
    escalation.refresh_from_db()
    proposed = decide(
        respondent_client,
        escalation,
        "propose",
        {
            "decision": f"An assessment for {CHILD_NAME}.",
            "learning": "Share outcomes in writing.",
            "learning_themes": "communication",
        },
    )
    assert proposed.status_code == 302, proposed.content.decode()[:1500]
    act(raiser_client, "accept", {})
    escalation.refresh_from_db()
    assert escalation.status == Status.RESOLVED
    # Refused and missing pages are logged (django.request); they name a case by reference only.
    outsider = Client()
    sign_in(outsider, PersonFactory(agency=school))
    assert outsider.get(detail).status_code == 404
    # The record for the child's file, and the notifications the whole way through.
    record = raiser_client.post(
        reverse("reports:escalation_record", args=[escalation.reference, "docx"]),
        {"reason": "For the child's file"},
    )
    assert record.status_code == 200
    deliver_due_notifications()
    assert mail.outbox

    assert any("Notifications delivered" in line for line in logs.lines)  # it does capture
    for line in logs.lines:
        for value in IDENTIFYING:
            assert value not in line, f"{value!r} logged: {line[:300]}"
