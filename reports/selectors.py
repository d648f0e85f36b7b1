from __future__ import annotations

from django.utils.translation import get_language_info, gettext_noop
from django.utils.translation import gettext as _

from reports.models import Report

_STATUS_TEXT = {
    Report.Status.RECEIVED: gettext_noop(
        "We have received your report. Nobody has looked at it yet."
    ),
    Report.Status.IN_REVIEW: gettext_noop("Someone is looking at your report."),
    Report.Status.REFERRED: gettext_noop("Your report has been passed on, as you asked."),
    Report.Status.CLOSED: gettext_noop("Your report is closed. You can still add information."),
}


def report_status_text(report: Report) -> str:
    """The report's status in plain words for the person who reported it."""
    return _(_STATUS_TEXT[Report.Status(report.status)])


def report_language_needs(report: Report) -> str:
    """For staff: the language the reporter used on the site and the help they
    asked for, so first contact happens in a language they understand."""
    try:
        used = str(get_language_info(report.language)["name"])
    except KeyError:
        used = report.language
    parts = [f"Reported in {used}"]
    if report.preferred_language:
        parts.append(f"asked to be contacted in: {report.preferred_language}")
    if report.needs_interpreter:
        parts.append("needs an interpreter")
    if report.needs_bsl:
        parts.append("needs a BSL interpreter")
    return "; ".join(parts)
