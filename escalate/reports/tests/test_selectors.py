"""The dashboard's figures against the hand-counted data set in data.py."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from escalate.escalations.tests.factories import World, make_world
from escalate.reports import selectors
from escalate.reports.selectors import Filters, Quarter
from escalate.reports.tests.data import make_fixed_data_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    world = make_world(notifications=[], access_roles=["business_manager"])
    make_fixed_data_set(world)
    return world


def rows(figures: selectors.Dashboard, key: str) -> dict[str, str]:
    return {row.label: row.display for row in figures.tables[key].rows}


def test_the_summary_figures_match_the_hand_count(world: World) -> None:
    figures = selectors.dashboard(world.business_manager, Filters())
    assert figures.total == 11
    assert figures.open_now == 4  # E4, E8, E9 (paused), E11
    assert figures.overdue_now == 2  # E4, E11; a paused escalation is not overdue
    assert figures.resolved == 6
    assert figures.withdrawn == 1


def test_working_days_to_resolution_median_and_90th_percentile(world: World) -> None:
    figures = selectors.dashboard(world.business_manager, Filters())
    assert figures.resolution_count == 6
    assert figures.median_days == 5.5
    assert figures.p90_days == 11


def test_working_days_skip_weekends_and_bank_holidays(world: World) -> None:
    timed = selectors.resolution_days(
        selectors.partnership_escalations(world.business_manager, Filters()), "england"
    )
    by_reference = dict(timed.values_list("reference", "working_days"))
    assert by_reference == {
        "FIX-2026-0001": 4,
        "FIX-2026-0002": 6,
        "FIX-2026-0003": 10,
        "FIX-2026-0005": 3,  # Good Friday and Easter Monday left out
        "FIX-2026-0007": 5,
        "FIX-2026-0010": 11,
    }


def test_breakdowns_by_category_stage_outcome_and_period(world: World) -> None:
    figures = selectors.dashboard(world.business_manager, Filters())
    assert rows(figures, "categories") == {"Threshold decisions": "8", "Planning and review": "4"}
    assert rows(figures, "stage") == {
        "Stage 1": "5",
        "Stage 2": "4",
        "Stage 3": "1",
        "Stage 4": "1",
    }
    assert rows(figures, "outcome") == {
        "Resolved": "6",
        "Open": "3",
        "Paused": "1",
        "Withdrawn": "1",
    }
    assert rows(figures, "month") == {
        "January 2026": "2",
        "February 2026": "2",
        "April 2026": "2",
        "May 2026": "2",
        "June 2026": "3",
    }
    assert rows(figures, "quarter") == {"January to March 2026": "4", "April to June 2026": "7"}


def test_counts_under_five_by_agency_are_suppressed(world: World) -> None:
    figures = selectors.dashboard(world.business_manager, Filters())
    assert rows(figures, "raising_agency") == {
        world.school.name: "6",
        world.health.name: "fewer than 5",
        world.csc.name: "fewer than 5",
    }
    assert rows(figures, "agency_type") == {
        "School or education setting": "6",
        "Health (community or hospital)": "fewer than 5",
        "Children's social care": "fewer than 5",
    }
    assert rows(figures, "respondent_agency") == {
        world.csc.name: "9",
        world.school.name: "fewer than 5",
    }
    assert figures.tables["raising_agency"].suppressed_any


def test_filtering_to_one_agency_suppresses_every_small_count(world: World) -> None:
    figures = selectors.dashboard(world.business_manager, Filters(agency=world.health))
    assert figures.total is None  # 3 escalations involve health: E7, E8, E9
    assert figures.figure(figures.total) == "fewer than 5"
    assert rows(figures, "categories") == {
        "Threshold decisions": "fewer than 5",
        "Planning and review": "fewer than 5",
    }
    assert figures.median_days is None and figures.p90_days is None
    school = selectors.dashboard(world.business_manager, Filters(agency=world.school))
    assert school.total == 8 and school.resolved == 5


def test_filters_by_date_category_and_stage(world: World) -> None:
    spring = Filters(date_from=date(2026, 4, 1), date_to=date(2026, 5, 4))
    assert selectors.dashboard(world.business_manager, spring).total == 3  # E5, E6, E7
    planning = selectors.dashboard(world.business_manager, Filters(category="planning"))
    assert planning.total == 4
    stage_2 = selectors.dashboard(world.business_manager, Filters(stage="stage_2"))
    assert stage_2.total == 4
    assert stage_2.median_days == 5.5  # E2 (6) and E7 (5)


def test_other_partnerships_escalations_are_not_counted(world: World) -> None:
    other = make_world(notifications=[], access_roles=["business_manager"])
    make_fixed_data_set_elsewhere = selectors.dashboard(other.business_manager, Filters())
    assert make_fixed_data_set_elsewhere.total == 0


def test_a_person_without_a_partnership_role_is_refused(world: World) -> None:
    for person in (world.outsider, world.teacher, world.team_manager):
        assert not selectors.can_see_partnership_reports(person)
        with pytest.raises(PermissionDenied):
            selectors.dashboard(person, Filters())
        with pytest.raises(PermissionDenied):
            selectors.learning(person)


def test_partnership_roles_may_see_the_reports(world: World) -> None:
    assert selectors.can_see_partnership_reports(world.business_manager)  # policy access_roles
    assert selectors.can_see_partnership_reports(world.chair)  # partnership chair
    granted_iro = make_world(notifications=[], access_roles=["iro"])
    assert selectors.can_see_partnership_reports(granted_iro.iro)


def test_learning_by_theme_and_quarter(world: World) -> None:
    lessons = selectors.learning(world.business_manager)
    assert lessons.themes == [("communication", 2), ("thresholds", 2), ("record keeping", 1)]
    assert [quarter.label for quarter in lessons.quarters] == [
        "April to June 2026",
        "January to March 2026",
    ]
    spring = selectors.learning(world.business_manager, quarter=Quarter(2026, 2))
    assert [item.learning for item in spring.items] == ["Record the reasons for every decision."]
    themed = selectors.learning(world.business_manager, theme="thresholds")
    assert {item.learning for item in themed.items} == {
        "Use the threshold document together.",
        "Managers should meet within a day.",
    }


def test_quarterly_briefing(world: World) -> None:
    briefing = selectors.quarterly_briefing(world.business_manager, Quarter(2026, 1))
    assert briefing.raised == 4
    assert briefing.resolved == 3  # E1, E2, E3 closed in January to March
    assert briefing.median_days == 6  # 4, 6, 10
    assert briefing.themes == [("communication", 2), ("thresholds", 2)]


def test_repeat_escalations_are_counted_with_their_share_and_filtered(world: World) -> None:
    """Repeat escalations (the same child as an earlier one): E2, E5 and E8 here. Unfiltered from
    the figures kept with the escalations, filtered counted; small numbers suppressed by agency."""
    from escalate.escalations.models import Escalation

    Escalation.objects.filter(
        reference__in=["FIX-2026-0002", "FIX-2026-0005", "FIX-2026-0008"]
    ).update(is_repeat=True)
    figures = selectors.dashboard(world.business_manager, Filters())
    assert (figures.repeat, figures.repeat_share) == (3, 27)  # 3 of 11
    threshold = selectors.dashboard(world.business_manager, Filters(category="threshold"))
    assert (threshold.repeat, threshold.repeat_share) == (3, 38)  # 3 of 8
    spring = selectors.dashboard(world.business_manager, Filters(date_from=date(2026, 5, 1)))
    assert (spring.repeat, spring.repeat_share) == (1, 20)  # E8 of E7 to E11
    health = selectors.dashboard(world.business_manager, Filters(agency=world.health))
    assert (health.repeat, health.repeat_share) == (None, None)  # 1: fewer than 5, no share
    Escalation.objects.update(is_repeat=False)
    none = selectors.dashboard(world.business_manager, Filters())
    assert (none.repeat, none.repeat_share) == (0, 0)
