"""The GOV.UK component chosen for each widget."""

from __future__ import annotations

from django import forms

from escalate.web.forms import DateInput
from escalate.web.templatetags.govuk import component_for, govuk_field


def test_each_widget_gets_its_component() -> None:
    assert component_for(forms.CheckboxSelectMultiple()) == "checkboxes"
    assert component_for(forms.RadioSelect()) == "radios"
    assert component_for(forms.CheckboxInput()) == "checkbox"
    assert component_for(forms.Select()) == "select"
    assert component_for(forms.Textarea()) == "textarea"
    assert component_for(DateInput()) == "date"
    assert component_for(forms.TextInput()) == "input"


def test_a_multiple_choice_field_is_checkboxes_not_radios() -> None:
    class Form(forms.Form):
        colours = forms.MultipleChoiceField(
            choices=[("red", "Red"), ("blue", "Blue")], widget=forms.CheckboxSelectMultiple
        )

    html = govuk_field(Form()["colours"])
    assert 'type="checkbox"' in html and "govuk-checkboxes" in html
    assert 'type="radio"' not in html
