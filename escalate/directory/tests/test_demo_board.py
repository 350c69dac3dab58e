"""The demo directory marks the Board's member agencies and their senior officers."""

from __future__ import annotations

import pytest

from escalate.directory.demo import create_demo_directory

pytestmark = pytest.mark.django_db


def test_demo_marks_board_member_agencies_and_their_senior_officers_once() -> None:
    create_demo_directory()
    riverside, _ = create_demo_directory()
    board = {key for key, agency in riverside.agencies.items() if agency.is_board_member}
    assert board == {"school", "csc", "health", "police"}
    assert not riverside.agencies["gp"].is_board_member
    seniors = {key for key, person in riverside.people.items() if person.is_senior_officer}
    assert seniors == {"clare.dawson", "gareth.hughes", "omar.quinn", "sam.taylor"}
    assert not any(person.is_away for person in riverside.people.values())
