"""Who is asking: the one way a view or an API endpoint finds the person behind a request."""

from __future__ import annotations

from django.http import HttpRequest

from escalate.directory.models import Person


def person_of(request: HttpRequest) -> Person:
    """The person making `request`: signed in on the site, or the API token's person (the API's
    TokenAuth sets request.user to it). Only called behind sign-in or a token."""
    person = request.user
    assert isinstance(person, Person)
    return person
