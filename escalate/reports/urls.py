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
    path(
        "escalations/<str:reference>/forms/<slug:kind>/",
        views.escalation_form,
        name="escalation_form",
    ),
    path(
        "escalations/<str:reference>/forms/<slug:kind>/at-referral/",
        views.escalation_attached_form,
        name="escalation_attached_form",
    ),
    path("forms/", views.form_templates, name="form_templates"),
    path(
        "forms/templates/<int:template_id>/preview/",
        views.form_template_preview,
        name="form_template_preview",
    ),
    path(
        "forms/templates/<int:template_id>/use/",
        views.form_template_use,
        name="form_template_use",
    ),
]
