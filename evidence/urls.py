from django.urls import path

from evidence import views

app_name = "evidence"
urlpatterns = [
    path("report/evidence/uploads/", views.web_upload_create, name="web_upload_create"),
    path("report/evidence/uploads/<uuid:upload_id>/", views.web_upload, name="web_upload"),
    path(
        "report/evidence/uploads/<uuid:upload_id>/finish/",
        views.web_upload_finish,
        name="web_upload_finish",
    ),
    path("report/evidence/files/", views.web_evidence_list, name="web_evidence_list"),
    path(
        "staff/evidence/<uuid:item_id>/<slug:version>/",
        views.staff_evidence_file,
        name="staff_file",
    ),
]
