from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AccessLogEntry


def entries_touched_by(
    *, username: str, start: datetime.date, end: datetime.date
) -> QuerySet[AccessLogEntry]:
    """Access log entries of one staff account from ``start`` to ``end`` (whole days)."""
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return AccessLogEntry.objects.filter(actor_username=username, at__gte=since, at__lt=until)
