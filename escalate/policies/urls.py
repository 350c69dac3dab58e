from django.urls import path

from escalate.policies import views, views_approval, views_editor

app_name = "policies"

urlpatterns = [
    path("", views.policy, name="policy"),
    path("flowchart.svg", views.flowchart, name="flowchart"),
    path("edit/", views_editor.edit, name="edit"),
    path("approvals/", views_approval.approvals, name="approvals"),
    path("approvals/<int:pk>/", views_approval.approval, name="approval"),
]
