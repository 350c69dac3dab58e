from typing import Any

from django.db import migrations

from escalate.reports.calendar_table import working_day_rows


def fill(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("reports", "WorkingDay")
    model.objects.all().delete()
    model.objects.bulk_create(working_day_rows(model), batch_size=2000)


def empty(apps: Any, schema_editor: Any) -> None:
    apps.get_model("reports", "WorkingDay").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_working_day_calendar")]
    operations = [migrations.RunPython(fill, empty)]
