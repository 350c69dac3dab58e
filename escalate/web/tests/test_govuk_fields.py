"""`{% govuk_field %}` picks the GOV.UK component from the widget."""

from __future__ import annotations

import pytest
from django import forms
from django.template import Context, Template

from escalate.web.forms import DateField
from escalate.web.templatetags.govuk import component_for


class ChoicesForm(forms.Form):
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


@pytest.mark.parametrize(
    ("field", "component"),
    [
        (forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple), "checkboxes"),
        (forms.ChoiceField(widget=forms.RadioSelect), "radios"),
        (forms.ChoiceField(), "select"),
        (forms.BooleanField(), "checkbox"),
        (forms.CharField(widget=forms.Textarea), "textarea"),
        (DateField(), "date"),
        (forms.CharField(), "input"),
    ],
)
def test_each_widget_gets_its_component(field: forms.Field, component: str) -> None:
    assert component_for(field.widget) == component


def test_several_answers_are_checkboxes_and_one_answer_is_radios() -> None:
    # CheckboxSelectMultiple subclasses RadioSelect: asked in the wrong order, a question that
    # takes several answers was drawn as radios and only one answer could be given.
    template = Template("{% load govuk %}{% govuk_field form.who %}{% govuk_field form.route %}")
    html = template.render(Context({"form": ChoicesForm(data={"who": ["manager", "dsl"]})}))
    who, route = html.split('id="id_route', 1)
    assert who.count('type="checkbox"') == 2
    assert "govuk-checkboxes" in who and 'type="radio"' not in who
    assert who.count("checked") == 2
    assert route.count('type="radio"') >= 1 and 'type="checkbox"' not in route
