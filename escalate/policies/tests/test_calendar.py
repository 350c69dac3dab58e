"""The working-day calendar: the stated rule, hours, pauses, and each nation's bank holidays."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate.policies.calendar import (
    LONDON,
    add_working_days,
    bank_holidays,
    deadline,
    end_of_day,
    extend_for_pause,
    extend_for_pauses,
    is_working_day,
    paused_working_days,
    stage_deadline,
    working_days_between,
)
from escalate.policies.schema import Timescale

NATIONS = ["england", "wales", "scotland", "northern_ireland"]
nations = st.sampled_from(NATIONS)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
counts = st.integers(min_value=0, max_value=40)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


# The rule's example: Good Friday and Easter Monday 2026 are bank holidays in England; Scotland
# has no Easter Monday holiday.


def test_five_working_days_after_thursday_2_april_2026_in_england_is_monday_13_april() -> None:
    assert add_working_days(date(2026, 4, 2), 5, "england") == date(2026, 4, 13)


def test_five_working_days_after_thursday_2_april_2026_in_scotland_is_friday_10_april() -> None:
    assert add_working_days(date(2026, 4, 2), 5, "scotland") == date(2026, 4, 10)


def test_a_deadline_is_the_end_of_the_day_whatever_time_the_event_happened() -> None:
    for hour in (0, 9, 23):
        due = deadline(at(date(2026, 4, 2), hour), nation="england", working_days=5)
        assert due == datetime(2026, 4, 13, 23, 59, 59, tzinfo=LONDON)


def test_same_working_day_is_the_end_of_that_day() -> None:
    due = deadline(at(date(2026, 4, 2)), nation="england", working_days=0)
    assert due == end_of_day(date(2026, 4, 2))


def test_same_working_day_on_a_bank_holiday_is_the_next_working_day() -> None:
    due = deadline(at(date(2026, 4, 3)), nation="england", working_days=0)
    assert due == end_of_day(date(2026, 4, 7))


def test_hours_are_clock_hours_through_weekends_and_holidays() -> None:
    started = at(date(2026, 4, 2), 15)
    assert deadline(started, nation="england", hours=48) == at(date(2026, 4, 4), 15)


def test_a_stage_deadline_comes_from_its_policy_timescale() -> None:
    started = at(date(2026, 4, 2))
    assert stage_deadline(started, Timescale(working_days=5), nation="scotland") == end_of_day(
        date(2026, 4, 10)
    )
    assert stage_deadline(started, Timescale(hours=24), nation="scotland") == started + timedelta(
        hours=24
    )


def test_a_deadline_needs_exactly_one_unit() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        deadline(at(date(2026, 4, 2)), nation="england")
    with pytest.raises(ValueError, match="exactly one"):
        deadline(at(date(2026, 4, 2)), nation="england", working_days=1, hours=1)


def test_negative_working_days_and_unknown_nations_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 4, 2), -1, "england")
    with pytest.raises(ValueError, match="unknown nation 'mercia'"):
        is_working_day(date(2026, 4, 2), "mercia")


def test_working_days_between_counts_after_the_start_up_to_the_end() -> None:
    assert working_days_between(date(2026, 4, 2), date(2026, 4, 13), "england") == 5
    assert working_days_between(date(2026, 4, 13), date(2026, 4, 2), "england") == -5
    assert working_days_between(date(2026, 4, 2), date(2026, 4, 2), "england") == 0


# Pauses stop the clock.


def test_a_pause_over_two_working_days_moves_the_deadline_two_working_days() -> None:
    due = deadline(at(date(2026, 4, 2)), nation="england", working_days=5)  # Mon 13 April
    # Paused Wed 8 April, resumed Fri 10 April: Thu 9 and Fri 10 are lost.
    extended = extend_for_pause(
        due, paused_at=at(date(2026, 4, 8)), resumed_at=at(date(2026, 4, 10)), nation="england"
    )
    assert paused_working_days(at(date(2026, 4, 8)), at(date(2026, 4, 10)), "england") == 2
    assert extended == end_of_day(date(2026, 4, 15))


def test_a_pause_within_one_day_keeps_the_deadline() -> None:
    due = end_of_day(date(2026, 4, 13))
    extended = extend_for_pause(
        due,
        paused_at=at(date(2026, 4, 8), 9),
        resumed_at=at(date(2026, 4, 8), 17),
        nation="england",
    )
    assert extended == due


def test_a_pause_over_a_weekend_only_loses_no_working_days() -> None:
    due = end_of_day(date(2026, 4, 20))
    extended = extend_for_pause(
        due, paused_at=at(date(2026, 4, 10)), resumed_at=at(date(2026, 4, 12)), nation="england"
    )
    assert extended == due


def test_an_hour_based_deadline_moves_by_the_pause_duration() -> None:
    due = at(date(2026, 4, 4), 15)
    extended = extend_for_pause(
        due,
        paused_at=at(date(2026, 4, 3), 9),
        resumed_at=at(date(2026, 4, 3), 13),
        nation="england",
        in_hours=True,
    )
    assert extended == due + timedelta(hours=4)


def test_a_pause_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="cannot end before"):
        extend_for_pause(
            end_of_day(date(2026, 4, 13)),
            paused_at=at(date(2026, 4, 9)),
            resumed_at=at(date(2026, 4, 8)),
            nation="england",
        )


def test_an_open_pause_counts_up_to_now() -> None:
    due = end_of_day(date(2026, 4, 13))
    extended = extend_for_pauses(
        due,
        [(at(date(2026, 4, 8)), at(date(2026, 4, 9))), (at(date(2026, 4, 14)), None)],
        nation="england",
        now=at(date(2026, 4, 16)),
    )
    # First pause loses Thu 9 (due Tue 14), the open one Wed 15 and Thu 16 (due Thu 16).
    assert extended == end_of_day(date(2026, 4, 16))


# Property tests: the rule holds for every start, count and nation.


@given(start=days, n=counts, nation=nations)
def test_a_deadline_is_always_a_working_day(start: date, n: int, nation: str) -> None:
    assert is_working_day(add_working_days(start, n, nation), nation)


@given(start=days, n=st.integers(min_value=1, max_value=40), nation=nations)
def test_a_deadline_is_strictly_after_the_start(start: date, n: int, nation: str) -> None:
    assert add_working_days(start, n, nation) > start


@given(start=days, n=counts, nation=nations)
def test_same_working_day_is_never_before_the_start(start: date, n: int, nation: str) -> None:
    assert add_working_days(start, 0, nation) >= start


@given(start=days, n=counts, nation=nations)
def test_deadlines_are_monotone_in_the_number_of_days(start: date, n: int, nation: str) -> None:
    assert add_working_days(start, n + 1, nation) >= add_working_days(start, n, nation)
    if n >= 1:
        assert add_working_days(start, n + 1, nation) > add_working_days(start, n, nation)


def test_same_working_day_on_a_holiday_equals_one_working_day_later() -> None:
    # Why monotonicity is only strict from N = 1: on a non-working day, 0 and 1 coincide.
    assert add_working_days(date(2026, 1, 1), 0, "england") == date(2026, 1, 2)
    assert add_working_days(date(2026, 1, 1), 1, "england") == date(2026, 1, 2)


@given(start=days, n=st.integers(min_value=1, max_value=40), nation=nations)
def test_counting_back_gives_the_number_of_days(start: date, n: int, nation: str) -> None:
    assert working_days_between(start, add_working_days(start, n, nation), nation) == n


@given(
    start=days,
    n=st.integers(min_value=1, max_value=20),
    pause_offset=st.integers(min_value=0, max_value=30),
    pause_length=st.integers(min_value=0, max_value=30),
    nation=nations,
)
def test_a_pause_equals_recounting_the_remaining_days_from_the_resume_day(
    start: date, n: int, pause_offset: int, pause_length: int, nation: str
) -> None:
    paused = start + timedelta(days=pause_offset)
    resumed = paused + timedelta(days=pause_length)
    used = working_days_between(start, paused, nation)
    if used >= n:  # paused on or after the due day: nothing left to recount
        return
    due = deadline(at(start), nation=nation, working_days=n)
    extended = extend_for_pause(due, paused_at=at(paused), resumed_at=at(resumed), nation=nation)
    assert extended == end_of_day(add_working_days(resumed, n - used, nation))
    assert extended >= due


# The bank holidays of 2026 and 2027 for each nation, written out by hand. Weekend days that are
# holidays (Boxing Day 2026 is a Saturday) appear too; their substitute weekdays follow them.

ENGLAND_AND_WALES = {
    2026: [
        "2026-01-01",  # New Year's Day
        "2026-04-03",  # Good Friday
        "2026-04-06",  # Easter Monday
        "2026-05-04",  # Early May bank holiday
        "2026-05-25",  # Spring bank holiday
        "2026-08-31",  # Summer bank holiday
        "2026-12-25",  # Christmas Day
        "2026-12-26",  # Boxing Day (a Saturday)
        "2026-12-28",  # Boxing Day, substitute
    ],
    2027: [
        "2027-01-01",
        "2027-03-26",  # Good Friday
        "2027-03-29",  # Easter Monday
        "2027-05-03",
        "2027-05-31",
        "2027-08-30",
        "2027-12-25",  # Christmas Day (a Saturday)
        "2027-12-26",  # Boxing Day (a Sunday)
        "2027-12-27",  # Christmas Day, substitute
        "2027-12-28",  # Boxing Day, substitute
    ],
}
EXPECTED = {
    "england": ENGLAND_AND_WALES,
    "wales": ENGLAND_AND_WALES,
    "scotland": {
        2026: [
            "2026-01-01",
            "2026-01-02",  # 2nd January
            "2026-04-03",  # Good Friday (no Easter Monday in Scotland)
            "2026-05-04",
            "2026-05-25",
            "2026-06-15",  # one-off: Scotland at the FIFA World Cup
            "2026-08-03",  # Summer bank holiday: first Monday in August
            "2026-11-30",  # St Andrew's Day
            "2026-12-25",
            "2026-12-26",
            "2026-12-28",
        ],
        2027: [
            "2027-01-01",
            "2027-01-02",  # 2nd January (a Saturday)
            "2027-01-04",  # 2nd January, substitute
            "2027-03-26",
            "2027-05-03",
            "2027-05-31",
            "2027-08-02",
            "2027-11-30",
            "2027-12-25",
            "2027-12-26",
            "2027-12-27",
            "2027-12-28",
        ],
    },
    "northern_ireland": {
        2026: sorted(
            [
                *ENGLAND_AND_WALES[2026],
                "2026-03-17",  # St Patrick's Day
                "2026-07-12",  # Battle of the Boyne (a Sunday)
                "2026-07-13",  # Battle of the Boyne, substitute
            ]
        ),
        2027: sorted([*ENGLAND_AND_WALES[2027], "2027-03-17", "2027-07-12"]),
    },
}


@pytest.mark.parametrize("nation", NATIONS)
@pytest.mark.parametrize("year", [2026, 2027])
def test_bank_holidays_match_the_hand_written_list(nation: str, year: int) -> None:
    assert sorted(day.isoformat() for day in bank_holidays(nation, year)) == EXPECTED[nation][year]
