"""A fixed, hand-counted data set for the figures tests (every name invented).

E1  school->csc  threshold           2026-01-05 resolved  stage_1 closed 2026-01-09: 4 days
E2  school->csc  threshold           2026-01-12 resolved  stage_2 closed 2026-01-20: 6 days
E3  school->csc  threshold, planning 2026-02-02 resolved  stage_3 closed 2026-02-16: 10 days
E4  school->csc  planning            2026-02-09 open      stage_2 overdue
E5  school->csc  threshold           2026-04-01 resolved  stage_1 closed 2026-04-08: 3 (Easter)
E6  school->csc  threshold           2026-04-20 withdrawn stage_1 closed 2026-04-22
E7  health->csc  planning            2026-05-04 resolved  stage_2 closed 2026-05-11: 5 days
E8  health->csc  threshold           2026-05-18 open      stage_1 not yet due
E9  health->csc  threshold           2026-06-01 paused    stage_2 (due date passed)
E10 csc->school  planning            2026-06-03 resolved  stage_4 closed 2026-06-18: 11 days
E11 csc->school  threshold           2026-06-10 open      stage_1 overdue

Working days leave out weekends and English bank holidays (Good Friday 3 April and Easter
Monday 6 April 2026; the early May bank holiday 4 May 2026 is the day E7 was raised).
Resolution days sorted: 3, 4, 5, 6, 10, 11 -> median (5 + 6) / 2 = 5.5; 90th percentile is the
value at rank ceil(0.9 * 6) = 6 -> 11.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from escalate.escalations.models import Escalation, Status
from escalate.escalations.tests.factories import EscalationFactory, World
from escalate.policies.calendar import LONDON


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=LONDON)


def make_fixed_data_set(world: World) -> list[Escalation]:
    school, csc, health = world.school, world.csc, world.health
    past = timezone.now() - timedelta(days=3)
    future = timezone.now() + timedelta(days=30)
    rows = [
        (school, csc, ["threshold"], "2026-01-05", Status.RESOLVED, "stage_1", "2026-01-09"),
        (school, csc, ["threshold"], "2026-01-12", Status.RESOLVED, "stage_2", "2026-01-20"),
        (
            school,
            csc,
            ["threshold", "planning"],
            "2026-02-02",
            Status.RESOLVED,
            "stage_3",
            "2026-02-16",
        ),
        (school, csc, ["planning"], "2026-02-09", Status.OPEN, "stage_2", None),
        (school, csc, ["threshold"], "2026-04-01", Status.RESOLVED, "stage_1", "2026-04-08"),
        (school, csc, ["threshold"], "2026-04-20", Status.WITHDRAWN, "stage_1", "2026-04-22"),
        (health, csc, ["planning"], "2026-05-04", Status.RESOLVED, "stage_2", "2026-05-11"),
        (health, csc, ["threshold"], "2026-05-18", Status.OPEN, "stage_1", None),
        (health, csc, ["threshold"], "2026-06-01", Status.PAUSED, "stage_2", None),
        (csc, school, ["planning"], "2026-06-03", Status.RESOLVED, "stage_4", "2026-06-18"),
        (csc, school, ["threshold"], "2026-06-10", Status.OPEN, "stage_1", None),
    ]
    due = {3: past, 7: future, 8: past, 10: past}
    learning = {
        0: (["communication"], "Phone the other agency before writing to them."),
        1: (["communication", "thresholds"], "Use the threshold document together."),
        2: (["thresholds"], "Managers should meet within a day."),
        9: (["record keeping"], "Record the reasons for every decision."),
    }
    made: list[Escalation] = []
    for index, (raiser, respondent, categories, raised, status, stage, closed) in enumerate(rows):
        themes, text = learning.get(index, ([], ""))
        made.append(
            EscalationFactory(  # type: ignore[arg-type]
                partnership=world.partnership,
                policy_version=world.policy,
                reference=f"FIX-2026-{index + 1:04d}",
                raiser_agency=raiser,
                respondent_agency=respondent,
                categories=categories,
                raised_at=at(raised),
                status=status,
                current_stage_key=stage,
                closed_at=at(closed) if closed else None,
                stage_due_at=None if closed else due[index],
                subject_name=f"Fixed Child {index + 1}",
                learning=text,
                learning_themes=themes,
            )
        )
    return made
