"""Render Django forms as GOV.UK Design System components.

`{% govuk_field form.name %}` picks the component from the widget (text input, textarea,
select, radios, checkboxes, single checkbox, date input, file upload) and renders the label,
hint, error message and the value the user typed. `{% govuk_error_summary form %}` lists every
error with a link to its field, as the Design System requires.
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from escalate.policies.calendar import govuk_date, govuk_date_time, govuk_time
from escalate.web.forms import DateInput

register = template.Library()


def component_for(widget: forms.Widget) -> str:
    if isinstance(widget, DateInput):
        return "date"
    # CheckboxSelectMultiple is a subclass of RadioSelect, so it must be asked about first.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    return "input"


def _input_type(widget: forms.Widget) -> str:
    return getattr(widget, "input_type", "text") or "text"


def _selected(field: BoundField) -> set[str]:
    value = field.value()
    if value is None:
        return set()
    if isinstance(value, list | tuple | set):
        return {str(item) for item in value}
    return {str(value)}


def _date_parts(field: BoundField) -> list[dict[str, Any]]:
    value = field.value()
    widget = field.field.widget
    assert isinstance(widget, DateInput)
    if not isinstance(value, list | tuple):
        value = widget.decompress(value)
    names = ("day", "month", "year")
    widths = {"day": 2, "month": 2, "year": 4}
    return [
        {
            "name": f"{field.html_name}_{name}",
            "id": f"{field.auto_id}_{name}" if name != "day" else field.auto_id,
            "label": name.capitalize(),
            "value": "" if part is None else part,
            "width": widths[name],
        }
        for name, part in zip(names, value, strict=False)
    ]


@register.simple_tag
def govuk_field(
    field: BoundField,
    label_size: str = "",
    heading: bool = False,
    width: str = "",
    rows: int = 5,
    required: bool | None = None,
) -> SafeString:
    """One form field as the matching GOV.UK component.

    `required=True` drops "(optional)" from a field the form checks itself (a choice always
    made, such as "Not known").
    """
    widget = field.field.widget
    component = component_for(widget)
    choices: list[dict[str, Any]] = []
    selected = _selected(field)
    # A field may explain each choice: `field.choice_hints = {value: hint}`.
    choice_hints: dict[str, str] = getattr(field.field, "choice_hints", {})
    if component in {"radios", "checkboxes", "select"}:
        for index, (value, label) in enumerate(field.field.choices):  # type: ignore[attr-defined]
            value = "" if value is None else str(value)
            if component != "select" and value == "":
                continue
            choices.append(
                {
                    "value": value,
                    "label": label,
                    "id": field.auto_id if index == 0 else f"{field.auto_id}-{index}",
                    "checked": value in selected,
                    "hint": choice_hints.get(value, ""),
                }
            )
        if component != "select" and choices:
            choices[0]["id"] = field.auto_id
    context = {
        "field": field,
        "id": field.auto_id,
        "name": field.html_name,
        "label": field.label,
        "hint": field.help_text,
        "errors": field.errors,
        "value": "" if field.value() is None else field.value(),
        "choices": choices,
        "input_type": _input_type(widget),
        "label_size": label_size,
        "heading": heading,
        "width": width,
        "rows": rows,
        "required": field.field.required if required is None else required,
        "attrs": widget.attrs,
        "autocomplete": widget.attrs.get("autocomplete", ""),
        "inputmode": widget.attrs.get("inputmode", ""),
        "date_parts": _date_parts(field) if component == "date" else [],
        "checked": bool(field.value()) if component == "checkbox" else False,
        "multiple": component == "file" and widget.attrs.get("multiple", False),
    }
    return render_to_string(f"web/forms/{component}.html", context)


@register.simple_tag
def govuk_error_summary(*forms_to_check: forms.BaseForm) -> SafeString:
    """The error summary that opens every page whose form has errors."""
    items: list[dict[str, str]] = []
    for form in forms_to_check:
        if form is None or not form.is_bound:
            continue
        for message in form.non_field_errors():
            items.append({"href": "", "message": str(message)})
        for name, errors in form.errors.items():
            if name == "__all__":
                continue
            bound = form[name]
            anchor = bound.auto_id
            for message in errors:
                items.append({"href": f"#{anchor}", "message": str(message)})
    if not items:
        # Empty, so that `{% if error_summary %}Error: {% endif %}` in the title is false.
        return SafeString("")
    return render_to_string("web/forms/error_summary.html", {"items": items})


@register.filter(name="govuk_date")
def govuk_date_filter(value: Any, month: str = "") -> str:
    """`{{ when|govuk_date }}` → 5 January 2027; `{{ when|govuk_date:"short" }}` → 5 Jan 2027."""
    return "" if value in (None, "") else govuk_date(value, short_month=month == "short")


@register.filter(name="govuk_time")
def govuk_time_filter(value: Any) -> str:
    """`{{ when|govuk_time }}` → 11:59pm."""
    return "" if value in (None, "") else govuk_time(value)


@register.filter(name="govuk_datetime")
def govuk_datetime_filter(value: Any, month: str = "") -> str:
    """`{{ when|govuk_datetime }}` → 5 January 2027, 11:59pm."""
    return "" if value in (None, "") else govuk_date_time(value, short_month=month == "short")


@register.simple_tag
def govuk_tel(number: str, text: str = "") -> SafeString:
    """A phone number people can tap to call: `{% govuk_tel "999" %}`."""
    digits = "".join(c for c in str(number) if c.isdigit() or c == "+")
    return format_html('<a class="govuk-link" href="tel:{}">{}</a>', digits, text or number)
