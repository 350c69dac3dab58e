# The dashboard's figures kept with the escalations (escalate/escalations/figures.py, issue 22).
# The escalations already stored are counted by 0009_repeat_figures, once every column the
# figures read exists (counting here with today's code read `is_repeat` before 0008 added it).

import django.db.models.deletion
from django.db import migrations, models


def count_existing(apps: object, schema_editor: object) -> None:
    """Counted later (0009_repeat_figures)."""


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0003_partnership_reviewing_service_email"),
        ("escalations", "0006_panel_lead_part"),
        ("reports", "0002_fill_working_days"),  # the calendar the days to resolution use
    ]

    operations = [
        migrations.AlterModelOptions(
            name="escalation",
            options={"base_manager_name": "objects", "ordering": ["-raised_at"]},
        ),
        migrations.CreateModel(
            name="EscalationFigure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("dimension", models.CharField(max_length=16)),
                ("cell", models.CharField(max_length=64)),
                ("count", models.IntegerField(default=0)),
                (
                    "agency",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="directory.agency",
                    ),
                ),
                (
                    "partnership",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="directory.partnership",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("partnership", "dimension", "cell"), name="escalation_figure_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
