"""The service's own Prometheus metrics, read at scrape time.

django-prometheus counts requests and database calls per process. What
operators need beside that lives in shared state every process sees: the
broker's queues, the referral outbox and the evidence waiting on a scan. One
collector reads them when /metrics is scraped, each with a cheap query (an
index on status, or the newest rows by primary key), so a scrape costs the
same at a million reports. Counts and durations only: never a report's data.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from statistics import quantiles

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# Recent deliveries and attempts: the newest this many rows by primary key.
RECENT = 1000
EVIDENCE_WAITING = ("staged", "scanning", "quarantined", "rejected", "unscanned")


def _queue_depths() -> dict[str, int]:
    """Messages waiting in each Celery queue (Redis broker only)."""
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return {}
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
    try:
        return {name: int(client.llen(name)) for name in settings.CELERY_QUEUE_NAMES}  # type: ignore[arg-type]
    finally:
        client.close()


def _seconds(delta: datetime.timedelta) -> float:
    return max(delta.total_seconds(), 0.0)


class ServiceCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Names only: registering must not query the database.
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = self._families()
        try:
            self._fill(*families)
        except Exception:  # a scrape must answer even when a dependency is down
            logger.exception("metrics: reading the service state failed")
        yield from families

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(
                "hatecrime_queue_depth", "Messages waiting in a Celery queue", labels=["queue"]
            ),
            GaugeMetricFamily(
                "hatecrime_deliveries_waiting",
                "Referral deliveries not yet sent, by status (failed: staff must act)",
                labels=["status"],
            ),
            GaugeMetricFamily(
                "hatecrime_delivery_oldest_pending_seconds",
                "Age of the oldest referral delivery still pending",
            ),
            GaugeMetricFamily(
                "hatecrime_delivery_recent_attempts",
                f"Outcome of the newest {RECENT} delivery attempts",
                labels=["outcome"],
            ),
            GaugeMetricFamily(
                "hatecrime_delivery_latency_seconds",
                f"Commit to delivery of the newest {RECENT} referral messages sent",
                labels=["quantile"],
            ),
            GaugeMetricFamily(
                "hatecrime_evidence_items",
                "Evidence files not (or not yet) cleared by the scan, by status",
                labels=["status"],
            ),
        ]

    @staticmethod
    def _fill(
        queues: GaugeMetricFamily,
        waiting: GaugeMetricFamily,
        oldest: GaugeMetricFamily,
        attempts: GaugeMetricFamily,
        latency: GaugeMetricFamily,
        evidence: GaugeMetricFamily,
    ) -> None:
        from evidence.models import EvidenceItem
        from referrals.models import Delivery, DeliveryAttempt

        for queue, depth in _queue_depths().items():
            queues.add_metric([queue], depth)

        counts = dict(
            Delivery.objects.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED])
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for status in (Delivery.Status.PENDING, Delivery.Status.FAILED):
            waiting.add_metric([status.value], counts.get(status, 0))
        first = Delivery.objects.filter(status=Delivery.Status.PENDING).aggregate(
            at=Min("created_at")
        )["at"]
        oldest.add_metric([], _seconds(timezone.now() - first) if first else 0.0)

        recent = list(
            DeliveryAttempt.objects.order_by("-id").values_list("succeeded", flat=True)[:RECENT]
        )
        attempts.add_metric(["succeeded"], sum(recent))
        attempts.add_metric(["failed"], len(recent) - sum(recent))

        sent = [
            _seconds(sent_at - created_at)
            for created_at, sent_at in Delivery.objects.filter(status=Delivery.Status.SENT)
            .order_by("-id")
            .values_list("created_at", "sent_at")[:RECENT]
            if sent_at is not None
        ]
        if len(sent) >= 2:
            cuts = quantiles(sent, n=100, method="inclusive")
            latency.add_metric(["0.5"], cuts[49])
            latency.add_metric(["0.95"], cuts[94])

        by_status = dict(
            EvidenceItem.objects.filter(status__in=EVIDENCE_WAITING)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for name in EVIDENCE_WAITING:
            evidence.add_metric([name], by_status.get(name, 0))


REGISTRY.register(ServiceCollector())
