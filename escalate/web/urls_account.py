"""The person's own account: one-time codes and password."""

from django.urls import path

from escalate.web import views_account

urlpatterns = [
    path("two-factor/set-up/", views_account.mfa_set_up, name="mfa_set_up"),
    path("two-factor/", views_account.mfa_verify, name="mfa_verify"),
    path("password/", views_account.change_password, name="change_password"),
]
