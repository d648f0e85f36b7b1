from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.start, name="start"),
    path("report/check-your-answers/", views.check, name="check"),
    path("report/<slug:slug>/", views.step, name="step"),
]
