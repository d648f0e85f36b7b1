from django.urls import path

from reports.api import views

urlpatterns = [
    path("reports/", views.ReportCreateView.as_view(), name="api-report-create"),
    path("reports/<str:reference>/", views.ReportStatusView.as_view(), name="api-report-status"),
    path(
        "reports/<str:reference>/evidence/",
        views.ReportEvidenceView.as_view(),
        name="api-report-evidence",
    ),
]
