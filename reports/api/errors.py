"""Errors from the API are JSON with field paths, never HTML, never a 500
for anything a client sent."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def json_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"errors": [{"field": None, "code": code, "message": message}]}, status=status
    )


def flatten(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """DRF's nested error detail as a flat list of {field, code, message}."""
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            errors.extend(flatten(value, f"{path}.{name}" if path and name else (name or path)))
        return errors
    if isinstance(detail, list):
        errors = []
        for index, item in enumerate(detail):
            if isinstance(item, dict | list) and not isinstance(item, exceptions.ErrorDetail):
                errors.extend(flatten(item, f"{path}.{index}" if path else str(index)))
            else:
                errors.extend(flatten(item, path))
        return errors
    code = getattr(detail, "code", "invalid")
    return [{"field": path or None, "code": code, "message": str(detail)}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        response.data = {"errors": flatten(exc.detail)}
    return response
