from django.urls import path

from escalate.privacy import views

app_name = "retention"

urlpatterns = [
    path("", views.retention_review, name="review"),
    path("<str:reference>/", views.retention_decision, name="decide"),
]
