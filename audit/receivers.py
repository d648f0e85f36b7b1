"""Staff sign-ins, successful or not, go to the access log."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from audit.models import AccessLogEntry
from audit.services import audit_record

OTP_VERIFIED_AT = "otp_verified_at"


@receiver(user_logged_in)
def record_sign_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    device = getattr(user, "otp_device", None)
    if device is not None:
        request.session[OTP_VERIFIED_AT] = time.time()
    audit_record(
        actor=user,
        action=AccessLogEntry.Action.SIGN_IN,
        obj=user,
        request=request,
        detail={"second_factor": type(device).__name__ if device else None},
    )


@receiver(user_login_failed)
def record_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    audit_record(
        actor=None,
        action=AccessLogEntry.Action.SIGN_IN,
        outcome=AccessLogEntry.Outcome.DENIED,
        object_type="auth.user",
        request=request,
        detail={"username": str(credentials.get("username", ""))[:150]},
    )
