"""The Chair's approval of a new policy version (`publishing: requires_chair_approval`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from escalate.directory.models import Person, Role
from escalate.directory.permissions import may_manage_directory
from escalate.directory.requests import person_of
from escalate.policies.diff import policy_changes, text_diff
from escalate.policies.loader import PolicyFileError, parse_policy_text
from escalate.policies.models import ApprovalStatus, PolicyApproval
from escalate.policies.selectors import current_policy
from escalate.policies.services import (
    PolicyApprovalRefused,
    PolicyPublishRefused,
    approve_policy,
    decline_policy,
)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why is it declined?",
        help_text="The business unit sees this reason.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )


def _may_see(person: Person) -> bool:
    return person.has_role(Role.PARTNERSHIP_CHAIR) or may_manage_directory(
        person, person.partnership_id
    )


@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    """The Chair's queue (and the business unit's view of it): versions awaiting approval."""
    person = person_of(request)
    if person.partnership_id is None or not _may_see(person):
        raise PermissionDenied("Only the partnership chair and business unit see this.")
    waiting = PolicyApproval.objects.filter(
        partnership_id=person.partnership_id, status=ApprovalStatus.AWAITING
    ).select_related("proposed_by")
    decided = (
        PolicyApproval.objects.filter(partnership_id=person.partnership_id)
        .exclude(status=ApprovalStatus.AWAITING)
        .select_related("proposed_by", "decided_by", "version")[:20]
    )
    return render(
        request,
        "policies/approvals.html",
        {
            "waiting": list(waiting),
            "decided": list(decided),
            "is_chair": person.has_role(Role.PARTNERSHIP_CHAIR),
        },
    )


@require_http_methods(["GET", "POST"])
def approval(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_of(request)
    if person.partnership_id is None:
        raise Http404("No such policy version.")
    found = (
        PolicyApproval.objects.select_related("partnership", "proposed_by", "decided_by")
        .filter(pk=pk, partnership_id=person.partnership_id)
        .first()
    )
    if found is None:
        raise Http404("No such policy version.")
    if not _may_see(person):
        raise PermissionDenied("Only the partnership chair and business unit see this.")
    is_chair = person.has_role(Role.PARTNERSHIP_CHAIR)
    form = DeclineForm(request.POST or None)
    error = ""
    if request.method == "POST":
        if not is_chair:
            raise PermissionDenied("Only the partnership chair approves a new policy.")
        try:
            if request.POST.get("action") == "approve":
                version = approve_policy(by=person, approval=found)
                messages.success(request, f"Version {version.number} of the policy is published.")
                return redirect("policies:policy")
            if form.is_valid():
                reason = str(form.cleaned_data["reason"]).strip()
                if not reason:
                    form.add_error("reason", "Say why the new version is declined.")
                    error = "Say why the new version is declined."
                else:
                    decline_policy(by=person, approval=found, reason=reason)
                    messages.success(
                        request, "The new version is declined. The business unit is told."
                    )
                    return redirect("policies:approvals")
            else:
                error = "Check the reason."
        except (PolicyApprovalRefused, PolicyFileError) as refused:
            error = str(refused)
        except PolicyPublishRefused as refused:
            raise PermissionDenied(str(refused)) from None
    current = current_policy(found.partnership)
    try:
        spec = parse_policy_text(found.source_text, source_name=found.source_name)
    except PolicyFileError:
        spec = None
    old_spec = current.spec if current is not None else None
    return render(
        request,
        "policies/approval.html",
        {
            "approval": found,
            "current": current,
            "changes": policy_changes(old_spec, spec) if spec else [],
            "diff": text_diff(old_spec, spec) if spec else "",
            "form": form,
            "error": error,
            "is_chair": is_chair,
            "awaiting": found.status == ApprovalStatus.AWAITING,
        },
        status=400 if error else 200,
    )
