"""Reads: the legal page a person sees (their partnership's wording, or the shipped default)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser

from escalate.directory.models import Partnership, Person
from escalate.privacy.models import LegalPage, LegalPageKind


@dataclass(frozen=True)
class LegalPageView:
    kind: LegalPageKind
    partnership: Partnership | None
    custom: LegalPage | None  # None: the shipped default, marked for the partnership to complete


def legal_page_for(person: Person | AnonymousUser, kind: LegalPageKind) -> LegalPageView:
    """The page for `kind` as `person` should see it: their partnership's own wording if set."""
    partnership = person.partnership if isinstance(person, Person) else None
    custom = (
        LegalPage.objects.filter(partnership=partnership, kind=kind).first()
        if partnership is not None
        else None
    )
    return LegalPageView(kind=kind, partnership=partnership, custom=custom)
