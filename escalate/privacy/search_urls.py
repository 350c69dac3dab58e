from django.urls import path

from escalate.privacy import views

app_name = "subjects"

urlpatterns = [
    path("", views.search_subject, name="search"),
]
