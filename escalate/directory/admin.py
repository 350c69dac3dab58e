"""Administration of the directory, scoped so a partnership's administrators see only their own."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from escalate.audit.admin_auditing import AuditedAdmin
from escalate.directory.models import (
    Agency,
    EscalationContact,
    Partnership,
    Person,
    Role,
    RoleAssignment,
)
from escalate.directory.services import DirectoryRefused, deactivate_person, end_sessions


def is_partnership_admin(request: HttpRequest) -> bool:
    person = request.user
    return (
        isinstance(person, Person)
        and person.is_active
        and person.is_staff
        and person.partnership_id is not None
        and person.has_role(Role.ADMINISTRATOR)
    )


class PartnershipScopedAdmin(AuditedAdmin):
    """Superusers see everything; a partnership administrator sees only their partnership.

    Every add, change and delete is audited with the fields changed (`AuditedAdmin`).

    `partnership_path` is the lookup from the model to its Partnership.
    """

    partnership_path = "partnership"

    def _partnership_id(self, request: HttpRequest) -> int:
        person = request.user
        # Only reached for partnership administrators, who always belong to a partnership.
        assert isinstance(person, Person) and person.partnership_id is not None
        return person.partnership_id

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if not is_partnership_admin(request):
            return queryset.none()
        return queryset.filter(**{self.partnership_path: self._partnership_id(request)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not request.user.is_superuser:
            partnership_id = self._partnership_id(request)
            related = db_field.related_model
            if related is Partnership:
                kwargs["queryset"] = Partnership.objects.filter(pk=partnership_id)
            elif related is Agency:
                kwargs["queryset"] = Agency.objects.filter(partnership_id=partnership_id)
            elif related is Person:
                kwargs["queryset"] = Person.objects.filter(partnership_id=partnership_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or is_partnership_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Records about children refer to people and agencies: deactivate, never delete.
        return request.user.is_superuser


@admin.register(Partnership)
class PartnershipAdmin(PartnershipScopedAdmin):
    partnership_path = "pk"
    list_display = ["name", "reference_prefix", "covers", "nation"]
    prepopulated_fields = {"slug": ["name"]}

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser


class EscalationContactInline(admin.TabularInline):
    model = EscalationContact
    extra = 0
    fields = ["level", "service", "name", "job_title", "email", "phone", "person"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        person = request.user
        if db_field.name == "person" and isinstance(person, Person) and not person.is_superuser:
            kwargs["queryset"] = Person.objects.filter(partnership=person.partnership)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser or is_partnership_admin(request)

    has_add_permission = has_view_permission  # type: ignore[assignment]
    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission


@admin.register(Agency)
class AgencyAdmin(PartnershipScopedAdmin):
    list_display = ["name", "agency_type", "is_board_member", "is_active"]
    list_filter = ["agency_type", "is_board_member", "is_active"]
    search_fields = ["name"]
    inlines = [EscalationContactInline]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser or is_partnership_admin(request)

    has_add_permission = has_view_permission  # type: ignore[assignment]
    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission


class PersonCreationForm(UserCreationForm):
    class Meta:
        model = Person
        fields = ["email", "full_name"]


class PersonChangeForm(UserChangeForm):
    class Meta:
        model = Person
        fields = "__all__"


@admin.register(Person)
class PersonAdmin(PartnershipScopedAdmin, UserAdmin):
    form = PersonChangeForm
    add_form = PersonCreationForm
    ordering = ["full_name"]
    list_display = ["full_name", "email", "agency", "level", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["full_name", "email"]
    inlines = [RoleAssignmentInline]
    actions = ["disable_and_sign_out"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Details", {"fields": ["full_name", "job_title", "phone"]}),
        (
            "Place",
            {"fields": ["partnership", "agency", "line_manager", "level", "is_senior_officer"]},
        ),
        ("Access", {"fields": ["is_active", "is_away", "is_staff"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "email",
                    "full_name",
                    "partnership",
                    "agency",
                    "password1",
                    "password2",
                ]
            },
        )
    ]

    @admin.action(description="Disable the selected people and sign them out everywhere")
    def disable_and_sign_out(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        by = request.user
        assert isinstance(by, Person)
        for person in queryset:
            try:
                ended = deactivate_person(
                    person=person, by=by, reason="Disabled in the administration pages"
                )
            except DirectoryRefused as refused:
                self.message_user(request, f"{person.email}: {refused}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{person.email} is disabled; {ended} session(s) ended.", messages.INFO
                )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Unticking "active" signs the person out everywhere at once, as the action does.
            ended = end_sessions(person=obj)
            self.pending_changes(request)["sessions"] = (ended, 0)

    @transaction.atomic
    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # One transaction, so the new password and its audit row are written together.
        return super().user_change_password(request, id, form_url)
