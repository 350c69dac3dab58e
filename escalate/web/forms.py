"""Form building blocks that render as GOV.UK Design System components.

Every form in Escalate renders through `{% govuk_field %}` and `{% govuk_error_summary %}`
(escalate/web/templatetags/govuk.py); the widgets here carry the extra pieces GOV.UK needs, such
as the three-box date input.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError


class DateInput(forms.MultiWidget):
    """GOV.UK date input: day, month and year boxes."""

    template_name = "web/forms/widgets/date.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            "day": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "2"}),
            "month": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "2"}),
            "year": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "4"}),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class DateField(forms.MultiValueField):
    """A date typed into three boxes, with the error messages the GOV.UK pattern asks for."""

    widget = DateInput

    def __init__(
        self,
        *,
        past_only: bool = False,
        future_only: bool = False,
        error_name: str = "",
        **kwargs: Any,
    ):
        # What the errors call the date when the label is a question ("the date of the
        # discussion", not "when did the discussion take place?"), as GOV.UK's pattern asks.
        self.error_name = error_name
        self.past_only = past_only
        self.future_only = future_only
        fields = (
            forms.CharField(required=False),
            forms.CharField(required=False),
            forms.CharField(required=False),
        )
        kwargs.setdefault("require_all_fields", False)
        super().__init__(fields, **kwargs)

    def compress(self, data_list: list[Any]) -> date | None:
        if not data_list or not any(data_list):
            if self.required:
                message = self.error_messages.get("required", "")
                if not message or message == forms.Field.default_error_messages["required"]:
                    message = f"Enter {self._label()}"
                raise ValidationError(message, code="required")
            return None
        day, month, year = (str(part or "").strip() for part in data_list)
        missing = [
            name for name, part in (("day", day), ("month", month), ("year", year)) if not part
        ]
        label = self._label().capitalize()
        if missing:
            raise ValidationError(
                f"{label} must include a {' and a '.join(missing)}", code="incomplete"
            )
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
            raise ValidationError(f"{label} must be a real date", code="invalid")
        try:
            value = date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(f"{label} must be a real date", code="invalid") from None
        from django.utils import timezone

        today = timezone.localdate()
        if self.past_only and value > today:
            raise ValidationError(f"{label} must be today or in the past", code="future")
        if self.future_only and value < today:
            raise ValidationError(f"{label} must be today or in the future", code="past")
        return value

    def clean(self, value: Any) -> date | None:
        # MultiValueField's own required check gives a generic message; ours names the field.
        if not value or not any(value):
            return self.compress([])
        return self.compress(list(value))

    def _label(self) -> str:
        if self.error_name:
            return self.error_name
        return (str(self.label) if self.label else "the date").lower()
