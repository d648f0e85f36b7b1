"""Celery tasks: thin, take ids, idempotent, retries declared here."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from evidence import services
from evidence.clamav import ScannerError


@shared_task(
    autoretry_for=(ScannerError, OSError),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    time_limit=settings.EVIDENCE_PROCESS_TIMEOUT_SECONDS + 60,
    soft_time_limit=settings.EVIDENCE_PROCESS_TIMEOUT_SECONDS,
)
def evidence_process_task(item_id: str) -> None:
    services.evidence_process(item_id=item_id)


@shared_task
def evidence_purge_task() -> int:
    return services.evidence_purge_unclaimed()


@shared_task
def evidence_requeue_stale_task() -> int:
    return services.evidence_requeue_stale()
