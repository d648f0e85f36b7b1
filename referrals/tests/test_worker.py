"""Delivery through a real Celery worker process and a real Redis broker.

Each test starts its own redis-server (so it can stop and restart it
without touching anyone else's) and `celery -A hatecrime worker --beat` on
the test database, with short retry, time-limit and sweeper settings.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Iterator, Sequence
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from hatecrime.celery import app
from referrals.models import Delivery, DeliveryMethod, PoliceForceChannel, Referral
from referrals.services import delivery_enqueue
from referrals.tests.conftest import report_post
from referrals.tests.servers import Receiver, Redis, Worker, free_port, smtp_server, wait_for
from referrals.webhooks import webhook_secret_new
from reports.models import Report
from tests.conftest import VALID_REPORT

pytestmark = pytest.mark.django_db(transaction=True)

CANARY = "Canary-7f3a91 Zephyrine Quillfeather"


def _reset_publisher() -> None:
    app._pool = None  # type: ignore[attr-defined]
    if "amqp" in app.__dict__:
        app.__dict__["amqp"]._producer_pool = None


@pytest.fixture
def broker() -> Iterator[Redis]:
    """A private Redis, used by this process to publish and by the worker."""
    redis = Redis()
    keys = ("broker_url", "broker_write_url", "broker_read_url")
    old = {key: app.conf[key] for key in keys}
    try:
        redis.start()
        app.conf.update(dict.fromkeys(keys, redis.url))
        _reset_publisher()
        yield redis
    finally:
        redis.stop()
        app.conf.update(old)
        _reset_publisher()


@pytest.fixture
def start_worker(
    broker: Redis, tmp_path: Path, reference_data: None
) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []
    db = connection.settings_dict

    def start(
        pool: Sequence[str] = ("--pool=prefork", "--concurrency=2"), **overrides: str
    ) -> Worker:
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": broker.url,
            "CELERY_BROKER_URL": broker.url,
            "REFERRAL_DELIVERY_TIMEOUT_SECONDS": "1",
            "REFERRAL_TASK_SOFT_TIME_LIMIT": "2",
            "REFERRAL_TASK_TIME_LIMIT": "4",
            "REFERRAL_CLAIM_SECONDS": "6",
            "REFERRAL_RETRY_BACKOFF_SECONDS": "1",
            "REFERRAL_RETRY_BACKOFF_MAX_SECONDS": "2",
            "REFERRAL_MAX_ATTEMPTS": "6",
            "REFERRAL_SWEEP_INTERVAL_SECONDS": "1",
            "REFERRAL_SWEEP_GRACE_SECONDS": "1",
            "CELERY_VISIBILITY_TIMEOUT": "60",
            **overrides,
        }
        worker = Worker(env=env, log=tmp_path / f"worker{len(workers)}.log", pool=pool)
        worker.start()
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()
    for worker in workers:
        print(worker.output()[-4000:])  # shown when a test fails


def _police_webhook(url: str) -> str:
    secret = webhook_secret_new()
    PoliceForceChannel.objects.filter(police_force__code="metropolitan").update(
        delivery_method=DeliveryMethod.WEBHOOK, webhook_url=url, webhook_secret=secret
    )
    return secret


def _police_only_report(client: Client, **what: Any) -> Report:
    data = copy.deepcopy(VALID_REPORT)
    data["support"]["consent_share_with_support"] = False
    data["what"].update(what)
    return report_post(client, data)


def _delivered(referral: Referral) -> bool:
    referral.refresh_from_db()
    return referral.delivery_status == Referral.DeliveryStatus.DELIVERED


def test_failing_refusing_and_hanging_receiver_is_retried_until_it_recovers(
    client: Client, start_worker: Callable[..., Worker]
) -> None:
    port = free_port()
    receiver = Receiver(behaviour=lambda n: {1: 500, 2: 10.0}.get(n, 200))
    _police_webhook(f"http://127.0.0.1:{port}/hooks/referrals")
    report = _police_only_report(client)
    referral = report.referrals.get()
    delivery = referral.deliveries.get()
    start_worker()
    try:
        # Nobody listening: connection refused, recorded, retried.
        wait_for(
            lambda: delivery.attempts.filter(error="ConnectError").exists(),
            timeout=30,
            what="a refused attempt",
        )
        receiver.start(port)
        wait_for(lambda: _delivered(referral), timeout=30, what="delivery")
    finally:
        receiver.stop()
    errors = [a.error for a in delivery.attempts.all()]
    assert errors[-1] == ""
    assert "HTTP 500" in errors
    # The hung receiver was cut off by the delivery's time limit (the HTTP
    # timeout; Celery's soft limit is the back-stop), then retried.
    assert {"ReadTimeout", "SoftTimeLimitExceeded"} & set(errors)
    assert {r.headers["webhook-id"] for r in receiver.received} == {
        Delivery.objects.get(pk=delivery.pk).message_id
    }
    assert [a.status_code for a in delivery.attempts.filter(succeeded=True)] == [200]


def test_last_retry_fails_and_staff_are_told_while_email_channels_get_notices(
    client: Client, start_worker: Callable[..., Worker]
) -> None:
    receiver = Receiver(behaviour=lambda n: 500).start()
    messages: list[Message]
    with smtp_server() as (smtp_port, messages):
        _police_webhook(receiver.url)
        report = report_post(client)
        police = report.referrals.get(kind="police")
        support = report.referrals.get(kind="support")
        start_worker(
            REFERRAL_MAX_ATTEMPTS="2",
            REFERRAL_ALERT_EMAILS="triage@hub.example",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
        )
        wait_for(lambda: _delivered(support), timeout=30, what="the support email")
        wait_for(
            lambda: any("could not be delivered" in m["Subject"] for m in messages),
            timeout=30,
            what="the staff alert",
        )
        receiver.stop()
    police.refresh_from_db()
    assert police.delivery_status == Referral.DeliveryStatus.FAILED
    assert len(receiver.received) == 2
    notice = next(m for m in messages if "waiting" in m["Subject"])
    assert "Amara" not in notice.as_string()


def test_worker_killed_mid_delivery_is_delivered_by_the_next_with_the_same_id(
    client: Client, start_worker: Callable[..., Worker]
) -> None:
    receiver = Receiver(behaviour=lambda n: 30.0 if n == 1 else 200).start()
    try:
        _police_webhook(receiver.url)
        referral = _police_only_report(client).referrals.get()
        first = start_worker()
        wait_for(lambda: receiver.received, timeout=30, what="the first request")
        # Its message stays unacknowledged in Redis (visibility timeout 60 s,
        # longer than this test waits): the sweeper re-queues the delivery
        # once its claim expires.
        first.kill()
        receiver.release.set()
        start_worker()
        wait_for(lambda: _delivered(referral), timeout=30, what="delivery after the kill")
    finally:
        receiver.stop()
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_redis_restarted_with_its_data_lost_the_sweeper_requeues(
    client: Client, broker: Redis, start_worker: Callable[..., Worker]
) -> None:
    receiver = Receiver().start()
    try:
        _police_webhook(receiver.url)
        referral = _police_only_report(client).referrals.get()
        assert broker.dump()  # the task was queued
        broker.stop()
        broker.start()  # same port, nothing in it
        assert broker.dump() == b""
        start_worker()
        wait_for(lambda: _delivered(referral), timeout=30, what="delivery after data loss")
    finally:
        receiver.stop()
    assert len(receiver.answered) == 1


def test_with_redis_stopped_a_report_is_accepted_and_delivered_when_it_returns(
    client: Client, broker: Redis, start_worker: Callable[..., Worker]
) -> None:
    receiver = Receiver().start()
    try:
        _police_webhook(receiver.url)
        start_worker()
        broker.stop()
        started = time.monotonic()
        referral = _police_only_report(client).referrals.get()  # 201 with a reference
        assert time.monotonic() - started < 10
        assert Delivery.objects.get(referral=referral).last_queued_at is None
        broker.start()
        wait_for(lambda: _delivered(referral), timeout=30, what="delivery after the outage")
    finally:
        receiver.stop()


def test_queued_five_times_sends_once_and_no_victim_data_reaches_redis(
    client: Client, broker: Redis, start_worker: Callable[..., Worker]
) -> None:
    receiver = Receiver(behaviour=lambda n: 0.5).start()  # a little slow
    try:
        _police_webhook(receiver.url)
        report = _police_only_report(client, account=f"They said {CANARY} to me.")
        referral = report.referrals.get()
        delivery = referral.deliveries.get()
        for _ in range(4):
            delivery_enqueue(delivery_id=delivery.pk)
        queued = broker.dump()
        # Five messages, each carrying only the delivery's id.
        assert queued.count(f"[[{delivery.pk}], {{}}".encode()) == 5, queued
        for detail in (CANARY, "Amara", "amara.okafor", report.reference):
            assert detail.encode() not in queued
        start_worker()
        wait_for(lambda: _delivered(referral), timeout=30, what="delivery")
        time.sleep(2)  # let the duplicates run
        for detail in (CANARY, "Amara", report.reference):
            assert detail.encode() not in broker.dump()
    finally:
        receiver.stop()
    assert len(receiver.received) == 1
    assert CANARY in receiver.received[0].body.decode()


def test_a_thread_pool_worker_takes_the_next_message_once_one_is_acknowledged(
    client: Client, start_worker: Callable[..., Worker]
) -> None:
    # The delivery worker's pool (threads), one thread, one message at a
    # time: each next message waits for the acknowledgement of the last,
    # which the pool thread hands to the event loop. Unwoken, the loop sent
    # it at its next event, up to a second later (celery/celery#6941), so
    # a burst drained at a message or so a second per prefetch window.
    receiver = Receiver().start()
    try:
        _police_webhook(receiver.url)
        referrals = [_police_only_report(client).referrals.get() for _ in range(20)]
        start_worker(pool=["--pool=threads", "--concurrency=1", "--prefetch-multiplier=1"])
        wait_for(lambda: receiver.received, timeout=60, what="the first delivery")
        first = time.monotonic()
        wait_for(lambda: all(map(_delivered, referrals)), timeout=60, what="every delivery")
        # 19 sends to a receiver on loopback: unwoken, some 19 seconds.
        assert time.monotonic() - first < 8
    finally:
        receiver.stop()
