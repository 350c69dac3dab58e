"""Who may manage a partnership's directory: the one answer pages, imports and services ask."""

from __future__ import annotations

from escalate.directory.models import Level, Person, Role

# The business unit: the business manager runs the partnership's set-up; administrators keep
# the scoped administration pages they already had.
DIRECTORY_ROLES = (Role.BUSINESS_MANAGER, Role.ADMINISTRATOR)


def is_platform_admin(person: object) -> bool:
    """A platform administrator: creates partnerships and their identity providers."""
    return isinstance(person, Person) and person.is_active and person.is_superuser


def may_manage_directory(person: object, partnership_id: int | None) -> bool:
    """May `person` change the agencies, people and contacts of partnership `partnership_id`?"""
    if not isinstance(person, Person) or not person.is_active or partnership_id is None:
        return False
    if person.is_superuser:
        return True
    return person.partnership_id == partnership_id and person.has_role(*DIRECTORY_ROLES)


def may_choose_daily_digest(person: Person) -> bool:
    """Managers may choose one email a day about escalations (issue 16)."""
    return person.level >= Level.LINE_MANAGER
