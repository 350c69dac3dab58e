"""Every URL of the service. Each app's own urls module is included under its prefix."""

from django.contrib import admin
from django.urls import include, path

from escalate.accounts.views_oidc import SignOutView
from escalate.escalations import views as escalation_views
from escalate.operations import views as operations_views
from escalate.web import views as web_views

admin.site.site_header = "Escalate administration"
admin.site.site_title = "Escalate administration"

urlpatterns = [
    path("", escalation_views.home, name="home"),
    path("sign-in/", web_views.SignInView.as_view(), name="login"),
    path("sign-out/", SignOutView.as_view(), name="logout"),
    path("health/", web_views.health, name="health"),
    path("health/live/", operations_views.live, name="health_live"),
    path("health/ready/", operations_views.ready, name="health_ready"),
    path("metrics/", operations_views.metrics, name="metrics"),
    path("operations/", include("escalate.operations.urls")),
    path("legal/", include("escalate.privacy.urls")),
    path("find-a-person/", include("escalate.privacy.search_urls")),
    path("retention/", include("escalate.privacy.retention_urls")),
    path("admin/", admin.site.urls),
    path("policy/", include("escalate.policies.urls")),
    path("notifications/calendar/", include("escalate.escalations.calendar_urls")),
    path("notifications/", include("escalate.notifications.urls")),
    path("account/", include("escalate.web.urls_account")),
    path("audit/", include("escalate.audit.urls")),
    path("escalations/<str:reference>/evidence/", include("escalate.evidence.urls")),
    path("escalations/", include("escalate.escalations.urls")),
    path("reports/", include("escalate.reports.urls")),
    path("api/", include("escalate.api.urls")),
    path("", include("escalate.accounts.urls")),
    path("directory/", include("escalate.directory.urls")),
]

handler400 = "escalate.web.errors.bad_request"
handler403 = "escalate.web.errors.permission_denied"
handler404 = "escalate.web.errors.page_not_found"
# API clients get JSON; people get the 500 page with the request id (escalate/operations).
handler500 = "escalate.web.errors.server_error"
