"""Periodic work for the commissioning pages."""

from __future__ import annotations

from celery import shared_task

from grants.selectors import insights_refresh


@shared_task
def insights_refresh_task() -> int:
    """Count the aggregate picture ahead of visitors (selectors.insights_refresh)."""
    return insights_refresh()
