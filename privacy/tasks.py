from __future__ import annotations

from celery import shared_task

from privacy.services import retention_apply, subject_request_export


@shared_task(acks_late=True)
def retention_apply_task() -> None:
    retention_apply()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def subject_request_export_task(request_id: int) -> None:
    subject_request_export(request_id=request_id)
