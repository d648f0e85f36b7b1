from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from privacy.models import RetentionPolicy


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
