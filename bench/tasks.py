"""The bench's baseline task: a Celery task that does nothing.

Only the bench's workers import this module (``celery worker --include
bench.tasks``); its rate through the same broker and the same pool is the
ceiling the referral delivery rate is measured against.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="bench.noop", ignore_result=True)
def noop(index: int) -> None:
    """Nothing: the broker's and the pool's own cost per task."""
