"""Pages for personal API tokens (create, list, revoke) and the API's documentation page.

These are ordinary pages: they need a signed-in person who has given a one-time code.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from escalate.api import selectors, services
from escalate.api.api import api
from escalate.api.forms import NewTokenForm
from escalate.directory.requests import person_of


@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """The person's tokens, and the form for a new one (its secret is shown once, here)."""
    person = person_of(request)
    form = NewTokenForm(request.POST if request.method == "POST" else None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = services.create_token(
            by=person,
            name=form.cleaned_data["name"],
            scopes=list(form.cleaned_data["scopes"]),
            expires_on=form.cleaned_data["expires_on"],
            request=request,
        )
        form = NewTokenForm()
    return render(
        request,
        "api/tokens.html",
        {"form": form, "created": created, "tokens": list(selectors.tokens_of(person))},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    person = person_of(request)
    token = selectors.access_token(person, token_id)
    if request.method == "POST":
        services.revoke_token(by=person, token=token, request=request)
        messages.success(request, f"The token “{token.name}” has been revoked.")
        return redirect("api:tokens")
    return render(request, "api/revoke.html", {"token": token})


def _operations() -> list[dict[str, Any]]:
    schema = api.get_openapi_schema()
    rows = []
    for route, methods in schema["paths"].items():
        for method, operation in methods.items():
            security = operation.get("security") or []
            rows.append(
                {
                    "method": method.upper(),
                    "path": route,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "tag": (operation.get("tags") or [""])[0],
                    "authenticated": bool(security),
                }
            )
    return rows


@login_not_required  # public, like the OpenAPI document it is drawn from (docs/api.md)
@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """How to use the API, and every operation in the OpenAPI document."""
    return render(request, "api/docs.html", {"operations": _operations()})
