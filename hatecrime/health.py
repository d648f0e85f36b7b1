"""Liveness, readiness and metrics endpoints for the orchestrator and Prometheus.

Readiness checks each dependency the service needs to accept a report: the
database, the Celery broker, file storage and (when configured) clamd. The
answer names which failed, never any data.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView
from kombu import Connection

import hatecrime.metrics  # noqa: F401 (registers the service collector)


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def broker() -> None:
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        connect_timeout=2,
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def storage() -> None:
    location = getattr(default_storage, "location", None)
    if location is not None:
        # Local disk: the private folder must exist and be writable.
        os.makedirs(location, exist_ok=True)
        if not os.access(location, os.W_OK):
            raise PermissionError("private file storage is not writable")
    else:
        # Object store: listing needs read access to the private bucket.
        default_storage.listdir("")


def _checks() -> dict[str, Callable[[], None]]:
    # settings.HEALTH_CHECKS names them (name -> dotted path), so apps add
    # their own dependencies (the evidence scanner's clamd) without
    # importing this module.
    return {name: import_string(path) for name, path in settings.HEALTH_CHECKS.items()}


@never_cache
def live(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def ready(request: HttpRequest) -> HttpResponse:
    results = {}
    for name, check in _checks().items():
        started = time.monotonic()
        try:
            check()
            ok = True
        except Exception:
            ok = False
        results[name] = {"ok": ok, "ms": round((time.monotonic() - started) * 1000, 1)}
    healthy = all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics: from loopback, or with the METRICS_TOKEN bearer token."""
    token = settings.METRICS_TOKEN
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    from_loopback = request.META.get("REMOTE_ADDR", "") in {"127.0.0.1", "::1"}
    allowed = hmac.compare_digest(supplied, token) if token else from_loopback
    if not allowed:
        return HttpResponse(status=404)
    return ExportToDjangoView(request)
