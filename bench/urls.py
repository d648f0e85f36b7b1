"""The service's URLs plus the bench's baseline view (ROOT_URLCONF=bench.urls).

Only the bench's own server uses this; a deployment never does.
"""

from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/bare-insert/", views.bare_insert, name="bench-bare-insert"),
    path("", include("hatecrime.urls")),
]

handler400 = "reports.views.bad_request"
handler404 = "reports.views.page_not_found"
handler500 = "reports.views.server_error"
