"""Reads for the platform administrator's pages."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from escalate.directory.models import Partnership


def partnerships_for_platform() -> QuerySet[Partnership]:
    """Every partnership with how many people it holds (platform administrators only)."""
    return Partnership.objects.annotate(people_count=Count("people")).order_by("name")
