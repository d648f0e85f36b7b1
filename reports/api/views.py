from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evidence.api.views import TOKEN_PARAMETER, UPLOAD_TOKEN_HEADER, request_owner
from evidence.services import EvidenceError
from privacy.clients import client_key
from privacy.throttling import ScopedThrottle
from reports import journey
from reports.api.serializers import (
    SECTION_SERIALIZERS,
    EvidenceAttachedSerializer,
    EvidenceAttachSerializer,
    ReportCreatedSerializer,
    ReportCreateSerializer,
    ReportStatusSerializer,
    as_form_data,
)
from reports.forms import STATEMENT
from reports.models import Channel
from reports.selectors import report_status_text
from reports.services import (
    FollowUpLocked,
    report_add_evidence,
    report_follow_up_authenticate,
    report_submit,
)

SECRET_HEADER = "X-Follow-Up-Secret"  # noqa: S105 (a header name)


def _form_errors(errors: dict[str, Any]) -> dict[str, dict[str, list[ErrorDetail]]]:
    """The journey's form errors as DRF error detail, keeping their codes."""
    return {
        slug: {
            ("non_field_errors" if field == "__all__" else field): [
                ErrorDetail(error["message"], code=error["code"]) for error in field_errors
            ]
            for field, field_errors in form_errors.get_json_data().items()
        }
        for slug, form_errors in errors.items()
    }


class ReportCreateView(APIView):
    throttle_classes = [ScopedThrottle]
    throttle_scope = "report_create"

    @extend_schema(
        operation_id="report_create",
        parameters=[TOKEN_PARAMETER],
        request=ReportCreateSerializer,
        responses={
            201: ReportCreatedSerializer,
            400: OpenApiResponse(description="Errors with field paths"),
        },
        summary="Report a hate crime or incident",
    )
    def post(self, request: Request) -> Response:
        serializer = ReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw = {
            step.slug: as_form_data(
                serializer.validated_data[step.slug] if step.slug in SECTION_SERIALIZERS else {},
                step,
            )
            for step in journey.STEPS
        }
        evidence_ids = serializer.validated_data.get("evidence") or []
        statement_id = serializer.validated_data.get("statement")
        if statement_id:
            raw["what"]["account_format"] = STATEMENT
        elif raw["what"].get("account_format") == STATEMENT:
            raise exceptions.ValidationError(
                {"statement": ["Send the id of your video or audio statement."]}
            )
        answers, errors = journey.validate(raw)
        if errors:
            raise exceptions.ValidationError(_form_errors(errors))
        owner = request_owner(request)
        if (evidence_ids or statement_id) and owner is None:
            raise exceptions.ValidationError(
                {
                    "evidence": [
                        f"Send the {UPLOAD_TOKEN_HEADER} header the files were uploaded with."
                    ]
                }
            )
        try:
            submission = report_submit(
                answers=answers,
                channel=Channel.API,
                language=get_language() or "en",
                evidence_owner=owner if (evidence_ids or statement_id) else None,
                evidence_ids=evidence_ids,
                statement_id=statement_id,
            )
        except EvidenceError as exc:
            raise exceptions.ValidationError(
                {"evidence": [ErrorDetail(exc.message, code=exc.code)]}
            ) from exc
        body = ReportCreatedSerializer(
            {
                "reference": submission.report.reference,
                "follow_up_secret": submission.follow_up_secret,
                "status": submission.report.status,
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class ReportStatusView(APIView):
    throttle_classes = [ScopedThrottle]
    throttle_scope = "report_lookup"

    @extend_schema(
        operation_id="report_status",
        parameters=[
            OpenApiParameter(
                SECRET_HEADER,
                location=OpenApiParameter.HEADER,
                required=True,
                description="The follow-up secret given when the report was made.",
            )
        ],
        responses={
            200: ReportStatusSerializer,
            404: OpenApiResponse(description="No report with that reference and secret"),
            429: OpenApiResponse(description="Too many attempts; try again later"),
        },
        summary="See a report's progress",
    )
    def get(self, request: Request, reference: str) -> Response:
        try:
            report = report_follow_up_authenticate(
                reference=reference,
                secret=request.headers.get(SECRET_HEADER, ""),
                client=client_key(request._request),
            )
        except FollowUpLocked as exc:
            raise exceptions.Throttled(
                detail="Too many attempts. Please wait 15 minutes and try again."
            ) from exc
        if report is None:
            raise exceptions.NotFound("No report matches that reference and secret.")
        data: dict[str, Any] = {
            "reference": report.reference,
            "status": report.status,
            "status_text": report_status_text(report),
            "submitted_at": report.submitted_at,
        }
        return Response(ReportStatusSerializer(data).data)


class ReportEvidenceView(APIView):
    throttle_classes = [ScopedThrottle]
    throttle_scope = "report_lookup"

    @extend_schema(
        operation_id="report_evidence_attach",
        parameters=[
            OpenApiParameter(
                SECRET_HEADER,
                location=OpenApiParameter.HEADER,
                required=True,
                description="The follow-up secret given when the report was made.",
            ),
            OpenApiParameter(
                UPLOAD_TOKEN_HEADER,
                location=OpenApiParameter.HEADER,
                required=True,
                description="The token the files were uploaded with.",
            ),
        ],
        request=EvidenceAttachSerializer,
        responses={
            200: EvidenceAttachedSerializer,
            400: OpenApiResponse(description="Errors with field paths"),
            404: OpenApiResponse(description="No report with that reference and secret"),
            429: OpenApiResponse(description="Too many attempts; try again later"),
        },
        summary="Add files to a report already made",
    )
    def post(self, request: Request, reference: str) -> Response:
        serializer = EvidenceAttachSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            report = report_follow_up_authenticate(
                reference=reference,
                secret=request.headers.get(SECRET_HEADER, ""),
                client=client_key(request._request),
            )
        except FollowUpLocked as exc:
            raise exceptions.Throttled(
                detail="Too many attempts. Please wait 15 minutes and try again."
            ) from exc
        if report is None:
            raise exceptions.NotFound("No report matches that reference and secret.")
        owner = request_owner(request)
        if owner is None:
            raise exceptions.ValidationError(
                {
                    "evidence": [
                        f"Send the {UPLOAD_TOKEN_HEADER} header the files were uploaded with."
                    ]
                }
            )
        try:
            count = report_add_evidence(
                report=report,
                evidence_owner=owner,
                evidence_ids=serializer.validated_data["evidence"],
            )
        except EvidenceError as exc:
            raise exceptions.ValidationError(
                {"evidence": [ErrorDetail(exc.message, code=exc.code)]}
            ) from exc
        return Response(EvidenceAttachedSerializer({"attached": count}).data)
