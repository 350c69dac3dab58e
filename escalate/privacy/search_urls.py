from django.urls import path

from escalate.privacy import views

app_name = "subjects"

urlpatterns = [
    path("", views.search_subject, name="search"),
    path("professional/", views.find_professional, name="professional_search"),
    path("professional/<int:person_id>/", views.professional_export, name="professional"),
]
