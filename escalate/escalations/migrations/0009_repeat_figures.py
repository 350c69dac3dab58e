"""The dashboard counts repeat escalations (issue 21): the figures counted again with the repeat
escalations among them, and `is_repeat` in the index the filtered counts read."""

from typing import Any

from django.db import migrations, models


def count_again(apps: Any, schema_editor: Any) -> None:
    """Count every figure again from the escalations stored (repeats included). With today's
    code, so only when there are escalations to count: a new database has none, and today's
    code may read columns a later migration adds."""
    if not apps.get_model("escalations", "Escalation").objects.exists():
        return
    from escalate.escalations.figures import rebuild

    rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0008_escalation_links"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="escalation",
            name="escalation_figures_idx",
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(
                fields=["partnership", "raised_at"],
                include=(
                    "id",
                    "status",
                    "categories",
                    "current_stage_key",
                    "stage_due_at",
                    "closed_at",
                    "raiser_agency",
                    "respondent_agency",
                    "is_repeat",
                ),
                name="escalation_figures_idx",
            ),
        ),
        migrations.RunPython(count_again, migrations.RunPython.noop),
    ]
