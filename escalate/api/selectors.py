"""Reads for the token pages, always the person's own tokens."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from escalate.api.models import ApiToken
from escalate.directory.models import Person


def tokens_of(person: Person) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(person=person).order_by("-created_at", "-pk")


def access_token(person: Person, token_id: int) -> ApiToken:
    """One of the person's own tokens; Http404 for anyone else's (as for one that is missing)."""
    token = tokens_of(person).filter(pk=token_id).first()
    if token is None:
        raise Http404("No token found")
    return token
