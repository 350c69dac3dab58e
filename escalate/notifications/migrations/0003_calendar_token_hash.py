"""Calendar tokens are stored as their SHA-256 only (issue 19): existing addresses keep working."""

import hashlib

from django.db import migrations


def hash_tokens(apps, schema_editor):
    CalendarToken = apps.get_model("notifications", "CalendarToken")
    for row in CalendarToken.objects.only("pk", "token_hash").iterator():
        row.token_hash = hashlib.sha256(row.token_hash.encode()).hexdigest()
        row.save(update_fields=["token_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_calendar_token"),
    ]

    operations = [
        migrations.RenameField(model_name="calendartoken", old_name="token", new_name="token_hash"),
        # Hashes cannot be turned back into addresses: going back leaves every address unknown.
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
    ]
