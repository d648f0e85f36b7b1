from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("easy-read/", views.easy_read, name="easy_read"),
    path("easy-read/what-happens-next/", views.easy_read_next, name="easy_read_next"),
    path("report/", views.start, name="start"),
    path("report/check-your-answers/", views.check, name="check"),
    # Before "<slug>": the evidence page reads file uploads with its own handler.
    path("report/evidence/", views.evidence_step, name="evidence"),
    path("report/<slug:slug>/", views.step, name="step"),
]
