from django.urls import path

from escalate.operations import views

app_name = "operations"

urlpatterns = [
    path("status/", views.status, name="status"),
]
