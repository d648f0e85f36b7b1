"""Celery tasks: thin, take ids, idempotent; the work is in services.

Retries are declared here (exponential backoff with full jitter); the claim
in delivery_send makes a duplicate message, a redelivery after a lost
worker or the sweeper's re-queue harmless.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_init
from django.conf import settings

from referrals import case_services, deadlines, services


@worker_init.connect
def _worker_warm(**_: Any) -> None:
    """What every delivery needs, loaded before the worker takes a message."""
    deadlines.bank_holidays_load()


@shared_task(
    autoretry_for=(services.DeliveryFailed,),
    retry_backoff=settings.REFERRAL_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=settings.REFERRAL_RETRY_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=settings.REFERRAL_MAX_ATTEMPTS,
    acks_late=True,
    soft_time_limit=settings.REFERRAL_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.REFERRAL_TASK_TIME_LIMIT,
)
def delivery_send_task(delivery_id: int) -> str:
    return services.delivery_send(delivery_id=delivery_id)


@shared_task(ignore_result=True, acks_late=True)
def deliveries_fan_out_task(delivery_ids: list[int]) -> None:
    """A new report's deliveries, queued with one message: one send task each."""
    services.deliveries_fan_out(delivery_ids=[int(pk) for pk in delivery_ids])


@shared_task(ignore_result=True)
def deliveries_sweep() -> int:
    return len(services.deliveries_requeue_stale())


@shared_task(ignore_result=True)
def overdue_digest() -> int:
    return services.overdue_digest_send()


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=settings.REFERRAL_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=settings.REFERRAL_RETRY_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=settings.REFERRAL_MAX_ATTEMPTS,
    acks_late=True,
    ignore_result=True,
)
def feedback_invitation_send_task(feedback_id: int) -> bool:
    """Email a victim the feedback invitation (after their case closed)."""
    return case_services.feedback_invitation_send(feedback_id=feedback_id)
