"""Account links (set a password from an invitation or reset) and the platform's pages."""

from django.urls import path

from escalate.accounts import views, views_oidc

app_name = "accounts"

urlpatterns = [
    path("account/password/reset/", views.password_reset, name="password_reset"),
    path("account/set-password/<str:token>/", views.set_password, name="set_password"),
    path("account/password/set/", views.password_set, name="password_set"),
    path("sign-in/provider/callback/", views_oidc.callback, name="oidc_callback"),
    path("sign-in/provider/<int:provider_id>/", views_oidc.start, name="oidc_start"),
    path("platform/partnerships/", views.partnerships, name="partnerships"),
    path("platform/partnerships/new/", views.new_partnership, name="new_partnership"),
]
