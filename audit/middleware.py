from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

STARTED_KEY = "staff_session_started"
ACTIVE_KEY = "staff_session_active"


class StaffSessionPolicyMiddleware:
    """Staff sessions end after 30 minutes idle and after 12 hours in all.

    A staff member who walks away from a desk must not leave victims' records
    open, and a stolen session cookie must not work for long.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(STARTED_KEY, now)
            last_active = request.session.get(ACTIVE_KEY, now)
            if (
                now - last_active > settings.STAFF_SESSION_IDLE_SECONDS
                or now - started > settings.STAFF_SESSION_MAX_SECONDS
            ):
                logout(request)
                return redirect(f"{settings.STAFF_LOGIN_URL}?expired=1")
            request.session[ACTIVE_KEY] = now
        return self.get_response(request)
