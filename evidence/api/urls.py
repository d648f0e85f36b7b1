from django.urls import path

from evidence.api import views

urlpatterns = [
    path("uploads/", views.UploadCreateView.as_view(), name="api-upload-create"),
    path("uploads/<uuid:upload_id>/", views.UploadView.as_view(), name="api-upload"),
    path(
        "uploads/<uuid:upload_id>/finish/",
        views.UploadFinishView.as_view(),
        name="api-upload-finish",
    ),
    path("evidence/<uuid:item_id>/", views.EvidenceItemView.as_view(), name="api-evidence"),
]
