from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from audit.staff_site import StaffAdminSite
from audit.views import reverify
from hatecrime import health
from privacy.views import breach_export

# Staff sign in with a password and a second factor (TOTP or a backup code);
# the admin is unreachable without both.
admin.site.__class__ = StaffAdminSite

urlpatterns = [
    # referrals first: its "report/confirmation/" sits beside the journey's
    # "report/<step>/" pages.
    path("", include("evidence.urls")),
    path("", include("referrals.urls")),
    path("", include("reports.urls")),
    # Django's set_language: the switcher on every public page posts here.
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("evidence.api.urls")),
    path("api/v1/", include("reports.api.urls")),
    path("api/v1/provider/", include("referrals.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's script as a file: no inline script,
    # so the Content-Security-Policy holds on this page too.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", health.metrics, name="metrics"),
    path("staff/reverify/", reverify, name="staff-reverify"),
    path("staff/access-by-account/", breach_export, name="staff-breach-export"),
    path("commissioning/", include("grants.urls")),
    path("staff/", admin.site.urls),
]

handler400 = "reports.views.bad_request"
handler404 = "reports.views.page_not_found"
handler500 = "reports.views.server_error"
