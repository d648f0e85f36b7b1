"""Staff roles: Django groups, one per role. Organisation membership (which
provider or police force someone works for) lives with the organisations in
the referrals app."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Role(StrEnum):
    TRIAGE_OFFICER = "Triage officer"
    PROVIDER_MANAGER = "Provider manager"
    ADVOCATE = "Advocate"
    POLICE_LIAISON = "Police liaison"
    REPORTING_CENTRE_WORKER = "Reporting centre worker"
    COMMISSIONING_OFFICER = "Commissioning officer"
    SYSTEM_ADMINISTRATOR = "System administrator"


def roles_of(user: Any) -> set[Role]:
    """The roles a user holds (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached: set[Role] | None = getattr(user, "_roles_cache", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = {role for role in Role if role.value in names}
        if user.is_superuser:
            cached.add(Role.SYSTEM_ADMINISTRATOR)
        user._roles_cache = cached
    return cached


def has_role(user: Any, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))
