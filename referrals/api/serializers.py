from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from referrals.models import Referral
from referrals.payloads import referral_data


class ReferralOutputSerializer(serializers.ModelSerializer[Referral]):
    reference = serializers.CharField(source="report.reference")
    service = serializers.CharField(source="service.name", allow_null=True)
    report_data = serializers.SerializerMethodField(
        help_text="The report as the victim agreed to share it with you."
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "reference",
            "service",
            "reason",
            "risk_level",
            "deliver_by",
            "delivery_status",
            "delivered_at",
            "contact_by",
            "first_contact_at",
            "outcome",
            "outcome_at",
            "decline_reason",
            "advocate_name",
            "report_data",
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_report_data(self, referral: Referral) -> dict[str, Any]:
        if referral.outcome == Referral.Outcome.WITHDRAWN:
            return {}
        return referral_data(referral=referral)


class AcceptInputSerializer(serializers.Serializer[dict[str, Any]]):
    advocate_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Who will contact the victim."
    )


class DeclineInputSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(max_length=2000, help_text="Why you cannot take it.")


class DeclineOutputSerializer(serializers.Serializer[dict[str, Any]]):
    referral = ReferralOutputSerializer()
    rerouted = serializers.BooleanField(help_text="Whether another service was found.")
