"""A keyed, non-reversible identifier for the client behind a request.

Rate limits and lockouts need to count requests per client, but the
reporter's IP address must never be stored with a report or kept in
plaintext: the cache holds only this digest, and only briefly.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
        ]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return address


def client_key(request: HttpRequest) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), client_address(request).encode(), hashlib.sha256
    ).hexdigest()
    return digest[:32]
