"""Staff pages of the privacy app: breach support."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render

from audit.admin import is_system_administrator
from audit.admin_utils import keyset_iterate
from audit.forms import BreachExportForm
from audit.models import AccessLogEntry
from audit.selectors import entries_touched_by
from audit.services import audit_record
from audit.views import require_recent_second_factor
from privacy.csv_export import csv_streaming_response


@staff_member_required(login_url=settings.STAFF_LOGIN_URL)
@require_recent_second_factor
def breach_export(request: HttpRequest) -> HttpResponseBase:
    """Every record one staff account touched in a period, as CSV: the first
    question of a breach investigation, within the 72 hours of Art. 33.

    ``?username=...&start=YYYY-MM-DD&end=YYYY-MM-DD`` (end inclusive).
    """
    if not is_system_administrator(request.user):
        raise PermissionDenied
    form = BreachExportForm(request.GET or None)
    if not form.is_valid():
        return render(
            request,
            "audit/breach_export.html",
            {"form": form, "title": "Records touched by an account"},
        )
    username = form.cleaned_data["username"]
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    entries = entries_touched_by(username=username, start=start, end=end)
    audit_record(
        actor=request.user,
        action=AccessLogEntry.Action.EXPORT,
        object_type="audit.accesslogentry",
        request=request,
        detail={"breach_export_of": username, "start": start.isoformat(), "end": end.isoformat()},
    )
    columns = ["at", "action", "outcome", "object_type", "object_id", "report_reference", "source"]
    return csv_streaming_response(
        filename=f"access-{username}-{start:%Y%m%d}-{end:%Y%m%d}.csv",
        columns=columns,
        rows=([getattr(entry, name) for name in columns] for entry in keyset_iterate(entries)),
    )
