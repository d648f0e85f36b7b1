"""Building blocks for staff-site pages that show victims' records."""

from __future__ import annotations

from typing import Any

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


class EstimatedCountPaginator(Paginator):
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
