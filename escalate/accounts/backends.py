"""Signing in with an email address and password, and loading the signed-in person."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from escalate.directory.models import Person


class PersonBackend(ModelBackend):
    """Django's own password backend, except that the signed-in person is loaded with their
    partnership and agency: every page shows the partnership's name, so that is one query
    fewer on each."""

    def get_user(self, user_id: Any) -> Person | None:
        person = Person.objects.select_related("partnership", "agency").filter(pk=user_id).first()
        return person if person is not None and self.user_can_authenticate(person) else None
