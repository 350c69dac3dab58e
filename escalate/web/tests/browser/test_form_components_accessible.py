"""Every GOV.UK form component `{% govuk_field %}` renders passes axe, empty and with errors.

Pages built on these templates inherit their accessibility, so they are checked once here, in the
real base template with the real CSS and JavaScript, before any page uses them all.
"""

from __future__ import annotations

import pytest
from django import forms
from django.template import Context, Template
from playwright.sync_api import Page, expect

from escalate.web.forms import DateField
from escalate.web.tests.browser.support import assert_accessible

pytestmark = pytest.mark.browser

GALLERY_PATH = "/component-gallery/"


class EveryComponentForm(forms.Form):
    name = forms.CharField(label="Child's name", help_text="As it appears on their record")
    email = forms.EmailField(label="Email address")
    concern = forms.CharField(label="What is your concern?", widget=forms.Textarea)
    agency = forms.ChoiceField(
        label="Agency", choices=[("", "Choose an agency"), ("school", "School"), ("gp", "GP")]
    )
    route = forms.ChoiceField(
        label="How urgent is it?",
        choices=[("normal", "Normal"), ("urgent", "Immediate harm")],
        widget=forms.RadioSelect,
    )
    who = forms.MultipleChoiceField(
        label="Who have you told?",
        choices=[("manager", "My line manager"), ("dsl", "The safeguarding lead")],
        widget=forms.CheckboxSelectMultiple,
    )
    agreed = forms.BooleanField(label="I have discussed this with the other practitioner")
    happened_on = DateField(label="When did it happen?", help_text="For example, 27 3 2026")
    evidence = forms.FileField(label="Evidence", required=False)


_PAGE = Template(
    """{% extends "web/base.html" %}{% load govuk %}
{% block page_title %}Components{% endblock %}
{% block content %}
{% govuk_error_summary form %}
<h1 class="govuk-heading-l">Every component</h1>
<form method="post" action="/component-gallery/" novalidate>
  {% govuk_field form.name %}{% govuk_field form.email width="20" %}
  {% govuk_field form.concern %}{% govuk_field form.agency %}{% govuk_field form.route %}
  {% govuk_field form.who %}{% govuk_field form.agreed %}{% govuk_field form.happened_on %}
  {% govuk_field form.evidence %}
  <button type="submit" class="govuk-button" data-module="govuk-button">Continue</button>
</form>
{% endblock %}"""
)


def _serve_gallery(page: Page, form: forms.Form) -> None:
    html = _PAGE.render(Context({"form": form}))
    page.route(
        f"**{GALLERY_PATH}",
        lambda route: route.fulfill(status=200, content_type="text/html", body=html),
    )
    page.goto(GALLERY_PATH)


def test_every_form_component_is_accessible_when_empty(
    any_page: Page, transactional_db: None
) -> None:
    _serve_gallery(any_page, EveryComponentForm())
    expect(any_page.locator("form > .govuk-form-group")).to_have_count(9)
    assert_accessible(any_page, "every form component, empty")


def test_every_form_component_is_accessible_with_errors(
    any_page: Page, transactional_db: None
) -> None:
    form = EveryComponentForm(data={"email": "not-an-email", "happened_on_day": "31"})
    assert not form.is_valid()
    _serve_gallery(any_page, form)
    page = any_page
    expect(page.locator("form > .govuk-form-group--error")).to_have_count(8)
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page, "every form component, with errors")

    # Each link in the error summary puts the focus in the field it names.
    summary = page.locator(".govuk-error-summary")
    for link_text, field_id in [
        ("Enter a valid email address", "id_email"),
        ("must include a month and a year", "id_happened_on"),
        ("This field is required", "id_name"),
    ]:
        summary.get_by_role("link", name=link_text).first.click()
        expect(page.locator(f"#{field_id}")).to_be_focused()
