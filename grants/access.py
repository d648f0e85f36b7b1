"""Who may see the commissioning pages and submit monitoring returns.

Commissioning officers see grants and aggregates, never a victim's details
(DESIGN.md, trust boundaries): nothing under grants/ reads a report's
personal fields, and every aggregate they see is suppressed below 5.
Another engineer is adding a second factor at sign-in; this check is the
role, and sits behind whatever sign-in the staff site requires.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from grants.models import Grant, MonitoringReturn, ReturnSubmitter

COMMISSIONING_OFFICER_GROUP = "Commissioning officer"


def is_commissioning_officer(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.groups.filter(name=COMMISSIONING_OFFICER_GROUP).exists()
    )


def commissioning_officer_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Sign in first (staff login); then only commissioning officers get in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="admin:login")
        if not is_commissioning_officer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def submittable_returns(user: Any) -> Any:
    """Returns the user may submit: their provider's grants' returns."""
    if not (user.is_authenticated and user.is_active):
        return MonitoringReturn.objects.none()
    providers = ReturnSubmitter.objects.filter(user=user).values("provider")
    return MonitoringReturn.objects.filter(grant__provider__in=providers).select_related(
        "grant", "grant__provider"
    )


def get_submittable_return(request: HttpRequest, pk: int) -> MonitoringReturn:
    """404 for a return of another provider's grant, as for one that does not exist."""
    result: MonitoringReturn = get_object_or_404(submittable_returns(request.user), pk=pk)
    return result


def get_grant_for_officer(reference: str) -> Grant:
    result: Grant = get_object_or_404(Grant.objects.with_related(), reference=reference)
    return result
