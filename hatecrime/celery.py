import os
from typing import Any

from celery import Celery
from celery.concurrency.thread import TaskPool as ThreadTaskPool
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hatecrime.settings")

app = Celery("hatecrime")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# How often a thread-pool worker's event loop wakes, at least.
THREAD_POOL_WAKE_SECONDS = 0.02


@worker_ready.connect
def _thread_pool_wake(sender: Any = None, **_: Any) -> None:
    """Wake a thread-pool worker's event loop often (the delivery worker).

    A pool thread that finishes a task hands its acknowledgement to the
    event loop (hub.call_soon), which does not wake the loop: it runs at the
    next timer or socket event, up to a second later. With acks_late, the
    prefetch window stays full of finished tasks until then and the worker
    idles (celery/celery#6941): the bench's burst drained in steps of one
    window a second. A no-op timer bounds the wait (some 50 wake-ups a
    second, a few microseconds each)."""
    if sender is not None and isinstance(getattr(sender, "pool", None), ThreadTaskPool):
        sender.timer.call_repeatedly(THREAD_POOL_WAKE_SECONDS, _wake)


def _wake() -> None:
    """Nothing: the timer firing is what runs the loop's pending callbacks."""
