from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "escalate.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from escalate.escalations.services.transition import on_stage_entered
        from escalate.reports.services import attach_forms_for_chair

        # The chair's form is made when the escalation is referred to its stage (Havering 004
        # §2.10-2.11), in the same transaction as the referral.
        on_stage_entered(attach_forms_for_chair)
