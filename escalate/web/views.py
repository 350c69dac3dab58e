"""Pages that belong to no one domain: home, sign-in, health."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from escalate.accounts.selectors import providers_for_sign_in
from escalate.web.forms_auth import SignInForm
from escalate.web.sign_in_limits import audit_refusal, seconds_until_address_may_sign_in


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["identity_providers"] = providers_for_sign_in()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = seconds_until_address_may_sign_in(request)
        if wait is not None:
            audit_refusal(request, wait)
            minutes = max(1, -(-wait // 60))
            response = render(
                request,
                "web/account/too_many_sign_ins.html",
                {"minutes": minutes},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"person": request.user})


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For the load balancer: the process is up and can reach its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
