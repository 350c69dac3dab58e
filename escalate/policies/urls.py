from django.urls import path

from escalate.policies import views

app_name = "policies"

urlpatterns = [
    path("", views.policy, name="policy"),
    path("flowchart.svg", views.flowchart, name="flowchart"),
]
