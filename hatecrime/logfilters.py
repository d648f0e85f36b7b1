"""Filters on the log handlers (wired up in settings.LOGGING)."""

from __future__ import annotations

import logging


class RequestPathOnly(logging.Filter):
    """django.request and django.security attach the request to their
    records, and a JSON formatter writes every attribute of a record: the
    request's repr carries its query string, where a reporter may have typed
    anything. Keep the method and path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if isinstance(path, str):
            record.request = f"{getattr(request, 'method', '')} {path}"
        return True


class NoTemplateVariableMisses(logging.Filter):
    """django.template's DEBUG records ("Exception while resolving variable")
    carry a traceback whose message is the whole template context: on the
    reporting pages that is the reporter's answers. Dropped at the handler,
    so LOG_LEVEL=DEBUG is still safe to turn on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "django.template" and record.levelno <= logging.DEBUG)
