"""Each kind of work has its own queue, and every queue has a consumer.

The routes live in settings (CELERY_TASK_ROUTES); docker-compose.yml runs one
worker per queue, bin/run one worker for all of them. A task routed to a
queue nobody consumes would wait for ever, which these tests rule out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from hatecrime.celery import app

ROOT = Path(__file__).resolve().parent.parent


def queue_of(task_name: str) -> str:
    route = app.amqp.router.route({}, task_name)
    return str(route["queue"].name)


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("referrals.tasks.delivery_send_task", "delivery"),
        ("audit.tasks.audit_alert_burst", "delivery"),
        # Evidence processing is routed by module, before the app has tasks.
        ("evidence.tasks.evidence_process_task", "processing"),
        ("evidence.tasks.some_future_task", "processing"),
        ("evidence.tasks.evidence_purge_task", "periodic"),
        ("referrals.tasks.deliveries_sweep", "periodic"),
        ("referrals.tasks.overdue_digest", "periodic"),
        ("privacy.tasks.retention_apply_task", "periodic"),
        ("privacy.tasks.subject_request_export_task", "periodic"),
        ("somewhere.tasks.unrouted", "celery"),
    ],
)
def test_task_goes_to_its_queue(task_name: str, queue: str) -> None:
    assert queue_of(task_name) == queue


def test_every_registered_task_goes_to_a_known_queue() -> None:
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert "referrals.tasks.delivery_send_task" in ours
    for name in ours:
        assert queue_of(name) in settings.CELERY_QUEUE_NAMES, name


def test_every_beat_task_goes_to_a_consumed_queue() -> None:
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert queue_of(entry["task"]) in settings.CELERY_QUEUE_NAMES


def _queues_option(command: str) -> set[str]:
    match = re.search(r"(?:--queues[= ]|-Q ?)(\S+)", command)
    assert match, f"no --queues in {command!r}"
    return set(match.group(1).split(","))


def test_compose_runs_a_worker_for_every_queue() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    consumed: dict[str, set[str]] = {}
    for name, service in compose["services"].items():
        command = service.get("command")
        command = " ".join(command) if isinstance(command, list) else str(command or "")
        if "celery" in command and " worker" in command:
            consumed[name] = _queues_option(command)
    assert set().union(*consumed.values()) == set(settings.CELERY_QUEUE_NAMES)
    # I/O-bound delivery in threads, CPU-bound processing in processes.
    delivery = " ".join(compose["services"]["worker-delivery"]["command"])
    processing = " ".join(compose["services"]["worker-processing"]["command"])
    assert "--pool=threads" in delivery
    assert "--pool=prefork" in processing


def test_make_run_worker_consumes_every_queue() -> None:
    script = (ROOT / "bin" / "run").read_text()
    assert _queues_option(script) == set(settings.CELERY_QUEUE_NAMES)
