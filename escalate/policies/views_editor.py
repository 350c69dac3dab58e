"""The policy in the browser: the business unit edits or uploads, checks, previews, publishes."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from escalate.directory.models import Person
from escalate.directory.permissions import may_manage_directory
from escalate.policies.diff import policy_changes, text_diff
from escalate.policies.flowchart import flowchart_description, flowchart_svg
from escalate.policies.loader import MAX_FILE_BYTES, PolicyFileError, parse_policy_text
from escalate.policies.models import PolicyApproval
from escalate.policies.selectors import current_policy
from escalate.policies.services import check_policy_fits, publish_policy_text
from escalate.policies.views import _stage_view

SOURCE_NAME = "policy.yaml"


class PolicyTextForm(forms.Form):
    text = forms.CharField(
        label="Policy file (YAML)",
        help_text="Edit the text, or upload a file below. Check it before publishing.",
        widget=forms.Textarea(attrs={"spellcheck": "false"}),
        required=False,
        max_length=MAX_FILE_BYTES,
        error_messages={"max_length": "The policy must be smaller than 512KB."},
    )
    file = forms.FileField(label="Or upload a policy file", required=False)

    def policy_text(self) -> str:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError("The policy must be smaller than 512KB.")
            try:
                return str(upload.read().decode("utf-8-sig"))
            except UnicodeDecodeError:
                raise forms.ValidationError("The file must be a YAML text file (UTF-8).") from None
        text = str(self.cleaned_data.get("text") or "")
        if not text.strip():
            raise forms.ValidationError("Enter the policy, or upload a policy file.")
        return text


def shipped_policies() -> dict[str, Path]:
    """The policies that ship with Escalate, offered as starting points."""
    return {path.name: path for path in sorted(Path(settings.POLICY_DIR).glob("*.yaml"))}


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest) -> HttpResponse:
    person = request.user
    if not isinstance(person, Person) or not may_manage_directory(person, person.partnership_id):
        raise PermissionDenied("Only the partnership's business unit publishes its policy.")
    partnership = person.partnership
    assert partnership is not None
    current = current_policy(partnership)
    starting_points = shipped_policies()
    initial_text = current.source_text if current is not None else ""
    start = request.GET.get("start", "")
    if start in starting_points:
        initial_text = starting_points[start].read_text(encoding="utf-8")
    form = PolicyTextForm(
        request.POST or None, request.FILES or None, initial={"text": initial_text}
    )
    context: dict[str, object] = {
        "form": form,
        "current": current,
        "starting_points": list(starting_points),
    }
    if request.method == "POST" and form.is_valid():
        try:
            text = form.policy_text()
        except forms.ValidationError as invalid:
            form.add_error("file" if form.cleaned_data.get("file") else "text", invalid)
            return render(request, "policies/edit.html", context)
        # Whatever was uploaded is shown in the text area from now on, so nothing is lost.
        data = request.POST.copy()
        data["text"] = text
        form = PolicyTextForm(data)
        form.is_valid()
        context["form"] = form
        try:
            spec = parse_policy_text(text, source_name=SOURCE_NAME)
            check_policy_fits(spec=spec, partnership=partnership, source_name=SOURCE_NAME)
        except PolicyFileError as error:
            context["policy_error"] = error
            return render(request, "policies/edit.html", context)
        if request.POST.get("action") == "publish":
            version, created = publish_policy_text(
                by=person, partnership=partnership, text=text, source_name=SOURCE_NAME
            )
            if isinstance(version, PolicyApproval):
                messages.success(
                    request,
                    "The new version is awaiting the Chair's approval. The Chair has been told; "
                    "the current version stays in force until they approve it.",
                )
                return redirect("policies:approval", pk=version.pk)
            if created:
                messages.success(request, f"Version {version.number} of the policy is published.")
            else:
                messages.info(request, "The policy is unchanged: no new version was made.")
            return redirect("policies:policy")
        old_spec = current.spec if current is not None else None
        context.update(
            {
                "spec": spec,
                "changes": policy_changes(old_spec, spec),
                "diff": text_diff(old_spec, spec),
                "stages": [_stage_view(spec, stage, n) for n, stage in enumerate(spec.stages, 1)],
                "flowchart_svg": mark_safe(flowchart_svg(spec)),  # noqa: S308 (made by us)
                "flowchart_description": flowchart_description(spec),
            }
        )
    return render(request, "policies/edit.html", context)
