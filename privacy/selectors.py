from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from privacy.models import LegalHold, RetentionPolicy


def retention_in_plain_words(record_kind: str) -> str:
    """How long a kind of record is kept, as a reporter should be told it."""
    policy = RetentionPolicy.objects.filter(record_kind=record_kind).first()
    if policy is None:
        return ""
    days = policy.keep_for_days
    if days % 365 == 0:
        period = ngettext("%(n)d year", "%(n)d years", days // 365) % {"n": days // 365}
    elif days % 30 == 0:
        period = ngettext("%(n)d month", "%(n)d months", days // 30) % {"n": days // 30}
    else:
        period = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    return _(
        "We keep your report for %(period)s. After that we remove everything that could "
        "identify you or anyone else, and keep only the numbers (what kind of hate, where "
        "and when) that help services plan."
    ) % {"period": period}


def held_object_ids(record_kind: str) -> set[str]:
    """Ids of the records of one kind under an active legal hold.

    A hold on a report also keeps everything attached to it (its evidence,
    referrals and case): each app's retention handler asks for the report
    holds as well as its own.
    """
    return set(
        LegalHold.objects.active()
        .filter(record_kind=record_kind)
        .values_list("object_id", flat=True)
    )
