from django.urls import path

from escalate.privacy import views

app_name = "privacy"

urlpatterns = [
    path("<str:kind>/", views.legal_page, name="page"),
    path("<str:kind>/edit/", views.edit_legal_page, name="edit"),
]
