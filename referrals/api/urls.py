from django.urls import path

from referrals.api import views

urlpatterns = [
    path("referrals/", views.ReferralListView.as_view(), name="api-provider-referrals"),
    path(
        "referrals/<int:referral_id>/",
        views.ReferralDetailView.as_view(),
        name="api-provider-referral",
    ),
    path(
        "referrals/<int:referral_id>/acknowledge/",
        views.ReferralAcknowledgeView.as_view(),
        name="api-provider-referral-acknowledge",
    ),
    path(
        "referrals/<int:referral_id>/accept/",
        views.ReferralAcceptView.as_view(),
        name="api-provider-referral-accept",
    ),
    path(
        "referrals/<int:referral_id>/decline/",
        views.ReferralDeclineView.as_view(),
        name="api-provider-referral-decline",
    ),
    path(
        "referrals/<int:referral_id>/contacted/",
        views.ReferralContactedView.as_view(),
        name="api-provider-referral-contacted",
    ),
]
