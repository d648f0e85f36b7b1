"""Reads of referrals that are more than a line."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.roles import Role, roles_of
from referrals.models import Delivery, Referral, ReferralQuerySet, Service, ServiceQuerySet
from reports.models import Report


def referrals_overdue(*, now: datetime.datetime | None = None) -> ReferralQuerySet:
    """Referrals past a deadline: not delivered within 2 working days, or
    accepted-or-waiting with no first contact by the service's deadline."""
    now = now or timezone.now()
    late_delivery = Q(
        delivery_status__in=[Referral.DeliveryStatus.PENDING, Referral.DeliveryStatus.FAILED],
        deliver_by__lt=now,
    )
    late_contact = Q(
        delivery_status=Referral.DeliveryStatus.DELIVERED,
        outcome__in=[
            Referral.Outcome.NONE,
            Referral.Outcome.ACKNOWLEDGED,
            Referral.Outcome.ACCEPTED,
        ],
        first_contact_at__isnull=True,
        contact_by__lt=now,
    )
    return Referral.objects.filter(late_delivery | late_contact)


def deliveries_stale(*, now: datetime.datetime, limit: int = 500) -> list[int]:
    """Pending deliveries nobody is working on: unclaimed (or the claim has
    expired), due longer ago than the grace period (a retry's backoff is over),
    and not queued within it."""
    grace = now - datetime.timedelta(seconds=settings.REFERRAL_SWEEP_GRACE_SECONDS)
    return list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lt=grace)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(last_queued_at__isnull=True) | Q(last_queued_at__lt=grace))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def _day(moment: datetime.datetime | None) -> str:
    return date_format(timezone.localtime(moment), "j F") if moment else ""


def report_referrals_for_reporter(*, report: Report) -> list[str]:
    """Where the report went, in plain words, for the person who made it.

    Organisation names only: never a member of staff's name.
    """
    lines: list[str] = []
    referrals = report.referrals.select_related("service__provider", "police_force").order_by(
        "created_at", "id"
    )
    for referral in referrals:
        who = referral.recipient_name
        if referral.outcome == Referral.Outcome.WITHDRAWN:
            line = _("You withdrew your consent, so we told %(who)s to stop using your details.")
            if referral.delivery_status != Referral.DeliveryStatus.DELIVERED:
                line = _("You withdrew your consent before we sent your report to %(who)s.")
        elif referral.outcome == Referral.Outcome.ACCEPTED:
            line = _("%(who)s accepted your referral on %(day)s.")
        elif referral.outcome == Referral.Outcome.DECLINED:
            line = _("%(who)s could not help this time, so we passed your report on again.")
        elif referral.outcome == Referral.Outcome.ACKNOWLEDGED:
            line = _("%(who)s has received your report (%(day)s).")
        elif referral.delivery_status == Referral.DeliveryStatus.DELIVERED:
            line = _("We sent your report to %(who)s on %(day)s.")
        else:
            line = _("We are sending your report to %(who)s.")
        lines.append(line % {"who": who, "day": _day(referral.outcome_at or referral.delivered_at)})
    return lines


def services_to_call() -> ServiceQuerySet:
    """Listed services a reporter can phone or reach by text relay: the ways
    to report and get support for people who would rather not use the form."""
    return (
        Service.objects.listed().exclude(phone="", text_relay="").order_by("provider__name", "name")
    )


def evidence_report_scopes(user: Any) -> list[tuple[QuerySet[Any], bool]]:
    """Whose evidence a provider's or a force's staff may see (registered
    with evidence.selectors in ReferralsConfig.ready).

    The reports are those of the referrals the user may open
    (``Referral.objects.visible_to``): a provider's staff get the
    location-stripped derivatives only (Victims' Code support, not
    investigation; UK GDPR article 5(1)(c)); a police liaison gets the
    originals, with their hashes, of the reports the victim agreed to share
    with their force.
    """
    roles = roles_of(user)
    visible = Referral.objects.visible_to(user)
    scopes: list[tuple[QuerySet[Any], bool]] = []
    if roles & {Role.PROVIDER_MANAGER, Role.ADVOCATE}:
        scopes.append((visible.filter(kind=Referral.Kind.SUPPORT).values("report_id"), False))
    if Role.POLICE_LIAISON in roles:
        scopes.append((visible.filter(kind=Referral.Kind.POLICE).values("report_id"), True))
    return scopes
