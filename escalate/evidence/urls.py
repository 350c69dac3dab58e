from django.urls import path

from escalate.evidence import views

app_name = "evidence"
urlpatterns = [
    path("", views.evidence, name="list"),
    path("<int:attachment_id>/", views.download, name="download"),
]
