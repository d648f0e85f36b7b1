from django.urls import path

from grants import views

app_name = "grants"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("insights/", views.insights, name="insights"),
    path("export/360giving.<str:fmt>", views.export_360giving, name="export_360giving"),
    path("returns/", views.provider_returns, name="provider_returns"),
    path("returns/<int:pk>/submit/", views.return_submit, name="return_submit"),
    path("returns/<int:pk>/review/", views.return_review, name="return_review"),
    path("<slug:reference>/", views.grant_detail, name="grant"),
]
