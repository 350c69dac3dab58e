from django.urls import path

from escalate.policies import views, views_editor

app_name = "policies"

urlpatterns = [
    path("", views.policy, name="policy"),
    path("flowchart.svg", views.flowchart, name="flowchart"),
    path("edit/", views_editor.edit, name="edit"),
]
