"""Each escalation gets a random fingerprint salt (ADR 0014, point 2).

Existing escalations get one each here, except those already disposed of: their text is gone,
and a salt would only suggest there was something left to protect. Fingerprints written before
this migration were made with the audit key alone and stay as they are (the audit rows cannot be
rewritten without breaking their chains): ADR 0014 says what that means.
"""

from typing import Any

from django.db import migrations, models

import escalate.escalations.models

BATCH = 2000


def give_salts(apps: Any, schema_editor: Any) -> None:
    Escalation = apps.get_model("escalations", "Escalation")
    RetentionDecision = apps.get_model("privacy", "RetentionDecision")
    disposed = RetentionDecision.objects.filter(kind="disposed").values("escalation_id")
    unsalted = Escalation._base_manager.filter(fingerprint_salt="").exclude(pk__in=disposed)
    if schema_editor.connection.vendor == "postgresql":
        # One statement at national scale; gen_random_uuid() draws from the server's strong
        # random source (122 random bits; new escalations get 128 from Python's `secrets`).
        table = schema_editor.quote_name(Escalation._meta.db_table)
        sql, params = unsalted.values("pk").query.sql_with_params()
        salt = "replace(gen_random_uuid()::text, '-', '')"
        update = f"UPDATE {table} SET fingerprint_salt = {salt} WHERE id IN ({sql})"  # noqa: S608
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(update, params)  # our table name; the subquery is Django's own
        return
    ids = list(unsalted.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        rows = [
            Escalation(pk=pk, fingerprint_salt=escalate.escalations.models.new_fingerprint_salt())
            for pk in ids[start : start + BATCH]
        ]
        Escalation._base_manager.bulk_update(rows, ["fingerprint_salt"])


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0011_form_attached_entry_kind"),
        ("privacy", "0003_disposed_decision"),
    ]

    operations = [
        migrations.AddField(
            model_name="escalation",
            name="fingerprint_salt",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(give_salts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="escalation",
            name="fingerprint_salt",
            field=models.CharField(
                blank=True,
                default=escalate.escalations.models.new_fingerprint_salt,
                editable=False,
                max_length=64,
            ),
        ),
    ]
