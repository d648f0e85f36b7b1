"""Telling people from scripts on the public form, without a CAPTCHA.

A CAPTCHA shuts out many disabled people, the very people this service
exists for. Instead: a honeypot field that people never see or fill, a
minimum time between starting a report and sending it, and rate limits per
client and per browser session (django-ratelimit, counted in the cache).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from privacy.clients import client_key

# A field hidden from people (off-screen, aria-hidden, out of the tab order)
# that form-filling scripts fill in. Named plainly so a script takes the bait,
# and marked autocomplete="off" so a browser's autofill does not.
HONEYPOT_FIELD = "website"
STARTED_KEY = "report_started_at"
CHALLENGED_KEY = "report_timing_challenged_at"


def client_ratelimit_key(group: str, request: HttpRequest) -> str:
    """django-ratelimit key: the client as privacy.clients sees it (a keyed
    digest; X-Forwarded-For only from trusted proxies)."""
    return client_key(request)


def session_ratelimit_key(group: str, request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return str(request.session.session_key)


def note_start(session: Any) -> None:
    session.setdefault(STARTED_KEY, time.time())


def honeypot_filled(request: HttpRequest) -> bool:
    return bool(request.POST.get(HONEYPOT_FIELD, "").strip())


def too_fast(session: Any) -> bool:
    """Sent sooner after starting than a person can read and answer the pages.

    Not refused: the reporter is shown their answers again and asked to send
    once more (a person does; a script that fires once does not), so nobody
    who really typed a report loses it.
    """
    now = time.time()
    challenged = session.get(CHALLENGED_KEY)
    if challenged is not None:
        return now - challenged < settings.REPORT_RESEND_MIN_SECONDS
    if now - session.get(STARTED_KEY, 0) < settings.REPORT_MIN_SECONDS:
        session[CHALLENGED_KEY] = now
        return True
    return False


def forget(session: Any) -> None:
    session.pop(STARTED_KEY, None)
    session.pop(CHALLENGED_KEY, None)
