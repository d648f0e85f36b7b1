"""Asking a signed-in staff member for their second factor again."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login

from audit.receivers import OTP_VERIFIED_AT
from audit.staff_site import StaffTokenForm


def second_factor_is_recent(request: HttpRequest) -> bool:
    verified_at = request.session.get(OTP_VERIFIED_AT, 0)
    return time.time() - verified_at <= settings.STAFF_REVERIFY_SECONDS


def require_recent_second_factor(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """For sensitive actions: exports, evidence downloads, deletions, role changes."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not second_factor_is_recent(request):
            return redirect(f"/staff/reverify/?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return wrapped


@staff_member_required(login_url=settings.STAFF_LOGIN_URL)
def reverify(request: HttpRequest) -> HttpResponse:
    form = StaffTokenForm(request.user, request, data=request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or "/staff/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/staff/"
    if request.method == "POST" and form.is_valid():
        otp_login(request, request.user.otp_device)  # type: ignore[union-attr]
        request.session[OTP_VERIFIED_AT] = time.time()
        return redirect(next_url)
    return render(
        request,
        "audit/reverify.html",
        {"form": form, "next": next_url, "title": "Confirm it is you"},
    )
