from django.urls import path

from escalate.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("charts/<slug:key>.svg", views.chart, name="chart"),
    # The views answer 404 for a format they do not make (figures: csv, xlsx; record: pdf, docx).
    path("figures.<slug:file_format>", views.figures_download, name="figures"),
    path("learning/", views.learning, name="learning"),
    path("learning/<str:quarter>/briefing/", views.briefing, name="briefing"),
    path("board-report/", views.board_report, name="board_report"),
    path(
        "escalations/<str:reference>/record.<slug:file_format>",
        views.escalation_record,
        name="escalation_record",
    ),
]
