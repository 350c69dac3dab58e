from django.urls import path, register_converter

from escalate.reports import views


class ChoiceConverter:
    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class FiguresFormat(ChoiceConverter):
    regex = "csv|xlsx"


class RecordFormat(ChoiceConverter):
    regex = "pdf|docx"


register_converter(FiguresFormat, "figures_format")
register_converter(RecordFormat, "record_format")

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("charts/<slug:key>.svg", views.chart, name="chart"),
    path("figures.<figures_format:file_format>", views.figures_download, name="figures"),
    path("learning/", views.learning, name="learning"),
    path("learning/<str:quarter>/briefing/", views.briefing, name="briefing"),
    path("board-report/", views.board_report, name="board_report"),
    path(
        "escalations/<str:reference>/record.<record_format:file_format>",
        views.escalation_record,
        name="escalation_record",
    ),
]
