from django.urls import path

from referrals import views

app_name = "referrals"
urlpatterns = [
    path("report/confirmation/", views.confirmation, name="confirmation"),
    path("support/", views.directory, name="directory"),
    path("follow-up/", views.follow_up, name="follow_up"),
    path("follow-up/your-report/", views.follow_up_status, name="follow_up_status"),
    path(
        "follow-up/withdraw-consent/",
        views.follow_up_withdraw_consent,
        name="follow_up_withdraw_consent",
    ),
    path("follow-up/finish/", views.follow_up_finish, name="follow_up_finish"),
    path("follow-up/your-report/files/", views.follow_up_evidence, name="follow_up_evidence"),
    path("follow-up/feedback/<int:pk>/", views.follow_up_feedback, name="follow_up_feedback"),
    path("feedback/<str:token>/", views.feedback_by_link, name="feedback_by_link"),
    # Signed, short-lived links to evidence in police referral payloads.
    path("evidence/links/<str:token>/", views.evidence_link, name="evidence_link"),
]
