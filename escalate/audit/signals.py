"""Sign-ins, sign-outs and failed sign-ins, audited from Django's authentication signals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from escalate.audit.services import record_audit
from escalate.directory.models import Person


@receiver(user_logged_in, dispatch_uid="audit_signed_in")
def audit_signed_in(sender: Any, request: HttpRequest | None, user: Person, **kwargs: Any) -> None:
    record_audit(
        actor=user, action="sign_in", partnership=user.partnership, obj=user, request=request
    )


@receiver(user_logged_out, dispatch_uid="audit_signed_out")
def audit_signed_out(
    sender: Any, request: HttpRequest | None, user: Person | None, **kwargs: Any
) -> None:
    if user is None:
        return
    record_audit(
        actor=user, action="sign_out", partnership=user.partnership, obj=user, request=request
    )


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def audit_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The account tried is recorded by id when it exists; the typed text never is (it is
    # sometimes a password typed into the wrong box).
    username = str(credentials.get("username") or "").strip().lower()
    person = Person.objects.filter(email=username).select_related("partnership").first()
    locked_out = bool(getattr(request, "axes_locked_out", False))
    record_audit(
        actor=None,
        action="sign_in_refused_locked_out" if locked_out else "sign_in_failed",
        partnership=person.partnership if person else None,
        obj=person,
        object_type="" if person else "directory.Person",
        object_id="" if person else "unknown account",
        request=request,
    )
