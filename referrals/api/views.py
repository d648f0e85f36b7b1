"""The provider API: a provider's case system sees and answers its own
referrals. One view per operation; the work is in referrals.services."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from referrals import services
from referrals.api.authentication import IsProvider, ProviderTokenAuthentication
from referrals.api.serializers import (
    AcceptInputSerializer,
    DeclineInputSerializer,
    DeclineOutputSerializer,
    ReferralOutputSerializer,
)
from referrals.models import Provider, Referral, ReferralQuerySet


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ProviderAPIView(APIView):
    authentication_classes = [ProviderTokenAuthentication]
    permission_classes = [IsProvider]

    @property
    def provider(self) -> Provider:
        return self.request.user.provider  # type: ignore[union-attr]

    def referrals(self) -> ReferralQuerySet:
        # Scoped in the queryset: another provider's referral is a 404.
        return (
            Referral.objects.for_provider(self.provider)
            .select_related("report__area__police_force", "service__provider")
            .prefetch_related("report__strands", "report__incident_types")
        )

    def referral(self, referral_id: int) -> Referral:
        referral = self.referrals().filter(pk=referral_id).first()
        if referral is None:
            raise Http404
        return referral


_ERRORS: dict[int | str, Any] = {
    400: OpenApiResponse(description="Malformed request, errors with field paths"),
    401: OpenApiResponse(description="Missing, unknown or revoked key"),
    404: OpenApiResponse(description="No such referral for this provider"),
    409: OpenApiResponse(description="The referral is not in a state that allows this"),
}


class ReferralListView(ProviderAPIView):
    @extend_schema(
        operation_id="provider_referral_list",
        responses={200: ReferralOutputSerializer(many=True)},
        summary="Your referrals",
    )
    def get(self, request: Request) -> Response:
        referrals = self.referrals().order_by("-created_at")[:200]
        return Response(ReferralOutputSerializer(referrals, many=True).data)


class ReferralDetailView(ProviderAPIView):
    @extend_schema(
        operation_id="provider_referral_detail",
        responses={200: ReferralOutputSerializer, **_ERRORS},
        summary="One of your referrals",
    )
    def get(self, request: Request, referral_id: int) -> Response:
        return Response(ReferralOutputSerializer(self.referral(referral_id)).data)


class ReferralAcknowledgeView(ProviderAPIView):
    @extend_schema(
        operation_id="provider_referral_acknowledge",
        request=None,
        responses={200: ReferralOutputSerializer, **_ERRORS},
        summary="Say you have received a referral",
    )
    def post(self, request: Request, referral_id: int) -> Response:
        try:
            referral = services.referral_acknowledge(
                referral=self.referral(referral_id), acting_provider=self.provider
            )
        except services.InvalidTransition as exc:
            raise Conflict(str(exc)) from exc
        return Response(ReferralOutputSerializer(referral).data)


class ReferralAcceptView(ProviderAPIView):
    @extend_schema(
        operation_id="provider_referral_accept",
        request=AcceptInputSerializer,
        responses={200: ReferralOutputSerializer, **_ERRORS},
        summary="Take a referral on",
    )
    def post(self, request: Request, referral_id: int) -> Response:
        serializer = AcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            referral = services.referral_accept(
                referral=self.referral(referral_id),
                advocate_name=serializer.validated_data.get("advocate_name", ""),
                acting_provider=self.provider,
            )
        except services.InvalidTransition as exc:
            raise Conflict(str(exc)) from exc
        return Response(ReferralOutputSerializer(referral).data)


class ReferralDeclineView(ProviderAPIView):
    @extend_schema(
        operation_id="provider_referral_decline",
        request=DeclineInputSerializer,
        responses={200: DeclineOutputSerializer, **_ERRORS},
        summary="Decline a referral; it is passed to the next service",
    )
    def post(self, request: Request, referral_id: int) -> Response:
        serializer = DeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = self.referral(referral_id)
        try:
            rerouted = services.referral_decline(
                referral=referral,
                reason=serializer.validated_data["reason"],
                acting_provider=self.provider,
            )
        except services.InvalidTransition as exc:
            raise Conflict(str(exc)) from exc
        referral.refresh_from_db()
        return Response(
            DeclineOutputSerializer({"referral": referral, "rerouted": rerouted is not None}).data
        )


class ReferralContactedView(ProviderAPIView):
    @extend_schema(
        operation_id="provider_referral_contacted",
        request=None,
        responses={200: ReferralOutputSerializer, **_ERRORS},
        summary="Record first contact with the victim",
    )
    def post(self, request: Request, referral_id: int) -> Response:
        try:
            referral = services.referral_record_contact(
                referral=self.referral(referral_id), acting_provider=self.provider
            )
        except services.InvalidTransition as exc:
            raise Conflict(str(exc)) from exc
        return Response(ReferralOutputSerializer(referral).data)
