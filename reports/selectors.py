from __future__ import annotations

from django.utils.translation import gettext as _

from reports.models import Report

_STATUS_TEXT = {
    Report.Status.RECEIVED: "We have received your report. Nobody has looked at it yet.",
    Report.Status.IN_REVIEW: "Someone is looking at your report.",
    Report.Status.REFERRED: "Your report has been passed on, as you asked.",
    Report.Status.CLOSED: "Your report is closed. You can still add information.",
}


def report_status_text(report: Report) -> str:
    """The report's status in plain words for the person who reported it."""
    return _(_STATUS_TEXT[Report.Status(report.status)])
