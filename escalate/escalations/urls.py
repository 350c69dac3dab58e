"""Escalation URLs, included under /escalations/ by escalate/urls.py."""

from django.urls import path

from escalate.escalations import raising, steps, views

app_name = "escalations"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("actions/", views.my_actions, name="my_actions"),
    path("raise/", raising.raise_start, name="raise_start"),
    path("raise/continue/", raising.raise_continue, name="raise_continue"),
    path("raise/discard/", raising.raise_discard, name="raise_discard"),
    path("raise/immediate-danger/guidance/", raising.raise_emergency, name="raise_emergency"),
    path("raise/check/", raising.raise_check, name="raise_check"),
    path("raise/<slug:slug>/", raising.raise_step, name="raise_step"),
    path("<str:reference>/", views.escalation_detail, name="detail"),
    path("<str:reference>/raised/", raising.raise_done, name="raise_done"),
    path(
        "<str:reference>/actions/<int:action_id>/done/",
        views.complete_action,
        name="complete_action",
    ),
    path(
        "<str:reference>/timeline/<int:entry_id>/correct/",
        views.correct_entry,
        name="correct_entry",
    ),
    path("<str:reference>/reviewers/", views.allocate_reviewers, name="reviewers"),
    path("<str:reference>/links/<str:other>/remove/", views.remove_link, name="remove_link"),
    path("<str:reference>/<slug:action>/", views.stage_action, name="stage_action"),
    # A decision, one thing per page (steps.py).
    path("<str:reference>/<slug:action>/check/", steps.decision_check, name="decision_check"),
    path("<str:reference>/<slug:action>/actions/", steps.decision_actions, name="decision_actions"),
    path(
        "<str:reference>/<slug:action>/actions/add/",
        steps.decision_action,
        name="decision_action_add",
    ),
    path(
        "<str:reference>/<slug:action>/actions/<int:number>/",
        steps.decision_action,
        name="decision_action",
    ),
    path(
        "<str:reference>/<slug:action>/actions/<int:number>/remove/",
        steps.decision_action_remove,
        name="decision_action_remove",
    ),
    path("<str:reference>/<slug:action>/<slug:page>/", steps.decision_step, name="decision_step"),
]
