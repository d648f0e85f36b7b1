"""Building blocks for staff-site pages that show victims' records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.functional import cached_property

from audit.models import AccessLogEntry
from audit.services import audit_record

# Above this many rows an unfiltered list shows PostgreSQL's estimate instead
# of counting every row on every page load.
ESTIMATE_ABOVE = 10_000

M = TypeVar("M", bound=Model)


class EstimatedCountPaginator(Paginator):
    """For staff list pages over big tables (reports, referrals, the access
    log): an unfiltered list takes the planner's row estimate, because
    ``COUNT(*)`` reads the whole table on PostgreSQL. Filtered lists, which
    are small or use an index, are still counted exactly."""

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if (
            isinstance(object_list, QuerySet)
            and connection.vendor == "postgresql"
            and not object_list.query.where
        ):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [object_list.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > ESTIMATE_ABOVE:
                return int(row[0])
        return super().count


def keyset_iterate(queryset: QuerySet[M], *, batch_size: int = 2000) -> Iterator[M]:
    """Every row of ``queryset`` in primary-key order, fetched a batch at a
    time with ``WHERE pk > last`` (keyset pagination) for exports of big
    tables.

    Not ``OFFSET``, whose cost grows with every page (the last page of a
    million rows reads them all), and not a server-side cursor
    (``.iterator()``), which holds one connection and snapshot open for as
    long as a streamed download takes and does not survive a transaction-
    pooling connection pooler. Each batch is a short, independent query on
    the primary key index; rows added during the export after the current
    position are included, rows before it are not revisited.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ordered = queryset.order_by("pk")
    last: Any = None
    while True:
        page = ordered if last is None else ordered.filter(pk__gt=last)
        batch = list(page[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        last = batch[-1].pk


class ScopedAuditedAdmin(admin.ModelAdmin):
    """A model admin whose rows come only from ``visible_queryset`` (the
    model's ``visible_to(user)`` selector) and whose every object page is
    written to the access log.

    An object outside the viewer's scope answers 404, whether it exists or
    not, and the denied attempt is logged.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def visible_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        raise NotImplementedError

    def audit_reference(self, obj: Model) -> str:
        """The report reference an object belongs to, for filtering the log."""
        return ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.visible_queryset(request)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        obj = super().get_object(request, object_id, from_field)
        label = self.model._meta.label_lower
        if obj is None:
            audit_record(
                actor=request.user,
                action=AccessLogEntry.Action.VIEW,
                outcome=AccessLogEntry.Outcome.DENIED,
                object_type=label,
                object_id=str(object_id)[:64],
                request=request,
                detail={"page": request.resolver_match.url_name if request.resolver_match else ""},
            )
            raise Http404
        audit_record(
            actor=request.user,
            action=AccessLogEntry.Action.VIEW,
            obj=obj,
            report_reference=self.audit_reference(obj),
            request=request,
            detail={"page": request.resolver_match.url_name if request.resolver_match else ""},
        )
        return obj
