from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    # referrals first: its "report/confirmation/" sits beside the journey's
    # "report/<step>/" pages.
    path("", include("evidence.urls")),
    path("", include("referrals.urls")),
    path("", include("reports.urls")),
    path("api/v1/", include("evidence.api.urls")),
    path("api/v1/", include("reports.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("staff/", admin.site.urls),
]

handler400 = "reports.views.bad_request"
handler404 = "reports.views.page_not_found"
handler500 = "reports.views.server_error"
