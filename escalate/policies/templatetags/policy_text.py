"""Policy text (plain text from the policy file) as GOV.UK paragraphs."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def govuk_paragraphs(text: str) -> SafeString:
    """Blank lines separate paragraphs; single line breaks inside one are spaces."""
    paragraphs = [" ".join(chunk.split()) for chunk in str(text).split("\n\n")]
    return format_html_join(
        "\n",
        '<p class="govuk-body">{}</p>',
        ((paragraph,) for paragraph in paragraphs if paragraph),
    )
