"""Writes to referrals: routing, the outbox, delivery, and providers' replies.

Every function is keyword-only and typed; those that change something a
person cares about write a ReferralEvent in the same transaction. Slow I/O
(HTTP, SMTP) happens outside any transaction: a database transaction held
open across a partner's slow response would block the rows it touched.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language_info

from evidence.models import CustodyEvent, EvidenceItem
from evidence.selectors import ORIGINAL
from evidence.services import Served, evidence_link_read, evidence_serve
from referrals.case_services import case_open
from referrals.deadlines import working_days_after
from referrals.directory import ServiceEntry, directory
from referrals.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryMethod,
    Need,
    Provider,
    ProviderApiToken,
    Referral,
    ReferralEvent,
    RiskLevel,
    Service,
)
from referrals.payloads import REPORT_COLUMNS_READ, allowed_fields, referral_payload
from referrals.webhooks import webhook_headers
from reports.models import IncidentType, PoliceForce, Report, Strand
from reports.services import report_mark_referred

logger = logging.getLogger(__name__)

# Victims' Code, right 4: referred to support services within 2 working days.
DELIVER_WITHIN_WORKING_DAYS = 2
HIGH_RISK_INCIDENT_TYPES = {"physical-assault", "sexual-assault"}


# --- Routing -----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    kind: str
    reason: str
    service: Service | None = None
    police_force: PoliceForce | None = None


def _report_needs(report: Report) -> set[str]:
    needs = {Need.ANY.value}
    if report.wants_support:
        needs.add(Need.SUPPORT)
    if report.needs_interpreter:
        needs.add(Need.INTERPRETER)
    if report.needs_bsl:
        needs.add(Need.BSL)
    if report.accessibility_needs:
        needs.add(Need.ACCESSIBILITY)
    return needs


def _language_names(text: str) -> set[str]:
    """Languages named in free text ("Welsh, Polish / Arabic and BSL"), lower case."""
    return {name.strip().lower() for name in re.split(r"[,;/\n]|\band\b", text) if name.strip()}


def _reporter_languages(report: Report) -> set[str]:
    """Languages other than English the reporter used or asked to be contacted in."""
    names = _language_names(report.preferred_language)
    if report.language and report.language != "en":
        try:
            info = get_language_info(report.language)
            names |= {str(info["name"]).lower(), str(info["name_local"]).lower()}
        except KeyError:
            names.add(report.language.lower())
    return names - {"english"}


def _speaks(service: Service, languages: set[str]) -> str | None:
    """The first of the reporter's languages the service lists, if any."""
    spoken = _language_names(service.languages) & languages
    return min(spoken) if spoken else None


def _support_routes(
    report: Report,
    *,
    exclude_service_ids: set[int],
    strands: list[Strand] | None = None,
) -> list[Route]:
    """Every service that could take this report, best first, with the reason.

    ``strands`` are the report's strands when the caller has them already
    (report_submit does); otherwise they are read. The rules and services
    come from the cached directory (referrals.directory).
    """
    if strands is None:
        strands = list(report.strands.all())
    strand_ids = {strand.pk for strand in strands}
    needs = _report_needs(report)
    area_id = report.area_id
    area_name = report.area.name
    found = directory()
    asked = "victim asked for support"
    routes: list[Route] = []
    skipped: list[str] = []
    seen: set[int] = set(exclude_service_ids)

    def consider(entry: ServiceEntry, because: list[str]) -> None:
        service = entry.service
        if service.pk in seen:
            return
        seen.add(service.pk)
        if entry.unavailable:
            skipped.append(f"{service.provider.name} {entry.unavailable}")
            return
        reason = f"sent to {service.provider.name} because: " + ", ".join([*because, asked])
        if skipped:
            reason += " (" + "; ".join(skipped) + ")"
        # A copy: the directory's instances are shared by every request.
        routes.append(Route(kind=Referral.Kind.SUPPORT, reason=reason, service=copy.copy(service)))

    for rule in found.rules:
        if rule.need not in needs:
            continue
        if rule.strand_id is not None and rule.strand_id not in strand_ids:
            continue
        if rule.area_id is not None and rule.area_id != area_id:
            continue
        because = [rule.strand_name.lower() if rule.strand_id is not None else "any strand"]
        because.append(f"area {area_name}" if rule.area_id is not None else "any area")
        if rule.need and rule.need != Need.SUPPORT:
            because.append(str(Need(rule.need).label).lower())
        consider(found.services[rule.service_id], because)
    # The directory's own fallbacks: specialists for the strands and area,
    # then the universal services that cover the area (in the order of
    # ServiceQuerySet.for_strands_and_area).
    fallbacks = [
        entry
        for entry in found.services.values()
        if entry.accepts_referrals
        and (not strand_ids or entry.all_strands or entry.strand_ids & strand_ids)
        and (entry.national or area_id in entry.area_ids)
    ]
    # Within each tier of the directory (local specialists, national
    # specialists, universal services), services that speak the reporter's
    # language come first, so first contact can happen in it (a stable sort:
    # otherwise the directory's order). Staff's routing rules above still
    # come before any of these.
    languages = _reporter_languages(report)
    speaks = {entry.service.pk: _speaks(entry.service, languages) for entry in fallbacks}
    fallbacks.sort(
        key=lambda entry: (entry.all_strands, entry.national, speaks[entry.service.pk] is None)
    )
    for entry in fallbacks:
        if entry.all_strands:
            because = ["supports every kind of hate crime"]
        else:
            because = [name.lower() for pk, name in entry.strands if pk in strand_ids]
        because.append(f"area {area_name}")
        if speaks[entry.service.pk]:
            because.append(f"speaks {speaks[entry.service.pk]}")
        consider(entry, because)
    return routes


def report_route(
    *,
    report: Report,
    exclude_service_ids: set[int] | None = None,
    strands: list[Strand] | None = None,
) -> list[Route]:
    """Where a report goes, under its consent: its police force and the best
    support service. Nothing is routed that the reporter did not agree to.

    ``strands``: the report's strands, when the caller has them already.
    """
    routes: list[Route] = []
    if report.wants_police_told and report.consent_share_with_police:
        force = report.area.police_force
        where = "online, the victim's area" if report.location_kind == "online" else "area"
        routes.append(
            Route(
                kind=Referral.Kind.POLICE,
                police_force=force,
                reason=f"sent to {force.name} because: {where} {report.area.name}, "
                "victim asked for the police to be told",
            )
        )
    if report.wants_support and report.consent_share_with_support:
        support = _support_routes(
            report, exclude_service_ids=exclude_service_ids or set(), strands=strands
        )
        routes.extend(support[:1])
    return routes


def _risk_level(report: Report, incident_type_codes: set[str] | None = None) -> str:
    if incident_type_codes is None:
        incident_type_codes = {kind.code for kind in report.incident_types.all()}
    if report.still_happening == "yes" or incident_type_codes & HIGH_RISK_INCIDENT_TYPES:
        return RiskLevel.HIGH
    return RiskLevel.STANDARD


def _event(
    referral: Referral,
    kind: str,
    *,
    at: datetime.datetime,
    acting_user: User | None = None,
    acting_provider: Provider | None = None,
    **data: object,
) -> None:
    ReferralEvent.objects.create(
        referral=referral,
        kind=kind,
        at=at,
        acting_user=acting_user,
        acting_provider=acting_provider,
        data=data,
    )


def _delivery_create(
    *,
    referral: Referral,
    kind: str,
    now: datetime.datetime,
    evidence_item: EvidenceItem | None = None,
) -> Delivery:
    delivery = Delivery.objects.create(
        referral=referral,
        kind=kind,
        created_at=now,
        next_attempt_at=now,
        evidence_item=evidence_item,
    )
    # Queued only after commit: a rolled-back report leaves no task behind,
    # and a broker outage leaves the row for the sweeper (robust: a failed
    # publish is logged, never fails the reporter's request).
    _enqueue_on_commit(delivery.pk)
    return delivery


def _referral_create(
    *,
    report: Report,
    route: Route,
    now: datetime.datetime,
    acting_user: User | None = None,
    **event_data: object,
) -> Referral:
    referral = Referral.objects.create(
        report=report,
        kind=route.kind,
        service=route.service,
        police_force=route.police_force,
        reason=route.reason,
        risk_level=_risk_level(report),
        created_at=now,
        deliver_by=working_days_after(report.submitted_at, DELIVER_WITHIN_WORKING_DAYS),
    )
    ReferralEvent.objects.create(
        referral=referral,
        kind=ReferralEvent.Kind.CREATED,
        at=now,
        acting_user=acting_user,
        data=event_data,
    )
    _delivery_create(referral=referral, kind=Delivery.Kind.REFERRAL, now=now)
    return referral


def report_referrals_create(
    *,
    report: Report,
    strands: list[Strand] | None = None,
    incident_types: list[IncidentType] | None = None,
) -> list[Referral]:
    """Write the referrals a submitted report implies: the outbox.

    Runs inside report_submit's transaction (via the report_submitted
    signal), so a report is never saved without its referrals. ``strands``
    and ``incident_types`` are the report's, when the caller has them (they
    are read otherwise). Each referral gets its CREATED event and its
    delivery; after commit one message queues every delivery's send.
    """
    now = timezone.now()
    routes = report_route(report=report, strands=strands)
    if not routes:
        return []
    codes = None if incident_types is None else {kind.code for kind in incident_types}
    risk_level = _risk_level(report, codes)
    deliver_by = working_days_after(report.submitted_at, DELIVER_WITHIN_WORKING_DAYS)
    # No savepoint: inside report_submit a failure here fails the whole
    # submission anyway, and on its own this is the whole transaction.
    with transaction.atomic(savepoint=False):
        referrals = Referral.objects.bulk_create(
            [
                Referral(
                    report=report,
                    kind=route.kind,
                    service=route.service,
                    police_force=route.police_force,
                    reason=route.reason,
                    risk_level=risk_level,
                    created_at=now,
                    deliver_by=deliver_by,
                )
                for route in routes
            ]
        )
        ReferralEvent.objects.bulk_create(
            [
                ReferralEvent(referral=referral, kind=ReferralEvent.Kind.CREATED, at=now, data={})
                for referral in referrals
            ]
        )
        deliveries = Delivery.objects.bulk_create(
            [
                Delivery(
                    referral=referral,
                    kind=Delivery.Kind.REFERRAL,
                    message_id=Delivery.new_message_id(),
                    created_at=now,
                    next_attempt_at=now,
                )
                for referral in referrals
            ]
        )
        delivery_ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=delivery_ids), robust=True)
    return referrals


def referral_override(
    *, report: Report, service: Service, reason: str, acting_user: User
) -> Referral:
    """A triage officer sends a report to a service of their choosing."""
    if not (report.wants_support and report.consent_share_with_support):
        raise InvalidTransition("the reporter did not agree to be referred for support")
    route = Route(
        kind=Referral.Kind.SUPPORT,
        service=service,
        reason=f"sent to {service.provider.name} by triage: {reason}",
    )
    with transaction.atomic():
        return _referral_create(
            report=report,
            route=route,
            now=timezone.now(),
            acting_user=acting_user,
            override_reason=reason,
        )


# --- Evidence links in payloads ---------------------------------------------------


class EvidenceLinkRefused(Exception):
    """A signed evidence link whose grant no longer holds (consent withdrawn,
    referral cancelled, the file no longer clean). The detail names why."""


@dataclass(frozen=True)
class LinkedEvidence:
    item: EvidenceItem
    served: Served
    referral: Referral


def referral_evidence_serve(*, token: str) -> LinkedEvidence | None:
    """The file a signed link in a referral's payload names, verified
    (SHA-256 again) and recorded in its chain of custody, if the referral
    may still have it; None for a forged, altered or expired link.

    The victim's consent is checked now, not when the link was signed: a
    withdrawal stops the links already sent (Victims' Code; UK GDPR art. 7(3)).
    """
    data = evidence_link_read(token)
    if data is None or not data["g"].startswith("referral:"):
        return None
    referral = (
        Referral.objects.select_related("report", "service__provider", "police_force")
        .filter(pk=int(data["g"].removeprefix("referral:")))
        .first()
    )
    if referral is None:
        raise EvidenceLinkRefused("referral gone")
    report = referral.report
    if (
        referral.outcome == Referral.Outcome.WITHDRAWN
        or referral.delivery_status == Referral.DeliveryStatus.CANCELLED
        or "evidence" not in allowed_fields(referral=referral, report=report)
    ):
        raise EvidenceLinkRefused("consent")
    version = ORIGINAL if referral.kind == Referral.Kind.POLICE else "shareable"
    item = EvidenceItem.objects.servable().filter(report=report, pk=data["i"]).first()
    if item is None or data["v"] != version:
        raise EvidenceLinkRefused("file not available")
    served = evidence_serve(
        item=item,
        version=version,
        user=None,
        action=CustodyEvent.Action.DOWNLOADED,
        detail={
            "referral_id": referral.pk,
            "recipient": referral.recipient_name,
            "via": "signed link",
        },
    )
    return LinkedEvidence(item=item, served=served, referral=referral)


# --- Evidence checked clean after the police referral went ---------------------


def _evidence_may_follow(referral: Referral, report: Report) -> bool:
    """A delivered police referral whose recipient may still have the evidence."""
    return (
        referral.kind == Referral.Kind.POLICE
        and referral.delivery_status == Referral.DeliveryStatus.DELIVERED
        and referral.outcome != Referral.Outcome.WITHDRAWN
        and "evidence" in allowed_fields(referral=referral, report=report)
    )


def _evidence_added_create(
    *, referral: Referral, items: list[EvidenceItem], now: datetime.datetime
) -> list[Delivery]:
    """One follow-up message per file the referral's recipient has not had
    (the unique constraint on referral and file backs the check)."""
    had = set(
        Delivery.objects.filter(
            referral=referral, kind=Delivery.Kind.EVIDENCE_ADDED, evidence_item__in=items
        ).values_list("evidence_item_id", flat=True)
    )
    created = []
    for item in items:
        if item.pk in had:
            continue
        created.append(
            _delivery_create(
                referral=referral, kind=Delivery.Kind.EVIDENCE_ADDED, now=now, evidence_item=item
            )
        )
        _event(referral, ReferralEvent.Kind.EVIDENCE_ADDED, at=now, evidence_item=str(item.pk))
    return created


def referral_evidence_added(*, item: EvidenceItem) -> list[Delivery]:
    """A file of a report was just checked clean (the evidence app's
    evidence_cleared signal, inside its transaction): every police force
    that already has the referral, with consent still given, gets a
    follow-up message with the file's link and hash (the outbox: queued
    after commit, swept like any delivery). Support services get nothing:
    their payloads carry no evidence. An undelivered referral needs
    nothing: its payload is built when it is sent."""
    if item.report_id is None:
        return []
    now = timezone.now()
    report = Report.objects.get(pk=item.report_id)
    created: list[Delivery] = []
    with transaction.atomic():
        # Locked: a delivery of the referral recording itself now either
        # committed first (and is seen as delivered here) or waits and sees
        # this file as clean (_referral_delivered).
        referrals = Referral.objects.select_for_update(no_key=True).filter(
            report=report,
            kind=Referral.Kind.POLICE,
            delivery_status=Referral.DeliveryStatus.DELIVERED,
        )
        for referral in referrals:
            if _evidence_may_follow(referral, report):
                created += _evidence_added_create(referral=referral, items=[item], now=now)
    return created


# --- Delivery ------------------------------------------------------------------


class DeliveryFailed(Exception):
    """A delivery attempt failed and will be retried."""


def _enqueue_on_commit(delivery_id: int) -> None:
    transaction.on_commit(lambda: delivery_enqueue(delivery_id=delivery_id), robust=True)


def delivery_enqueue(*, delivery_id: int) -> None:
    from referrals.tasks import delivery_send_task  # the task module imports this one

    delivery_send_task.delay(delivery_id)
    Delivery.objects.filter(pk=delivery_id).update(last_queued_at=timezone.now())


def deliveries_enqueue(*, delivery_ids: list[int]) -> None:
    """Queue the sends of a new report's deliveries with one message.

    A report's request publishes one small task (its delivery ids) instead
    of a send task and an UPDATE per delivery; the worker fans it out
    (deliveries_fan_out). One delivery is queued directly, as before. If
    the message is lost, the sweeper re-queues the deliveries (their
    last_queued_at is still empty) after the grace period.
    """
    if len(delivery_ids) == 1:
        delivery_enqueue(delivery_id=delivery_ids[0])
        return
    from referrals.tasks import deliveries_fan_out_task  # the task module imports this one

    deliveries_fan_out_task.delay(delivery_ids)


def deliveries_fan_out(*, delivery_ids: list[int]) -> None:
    """In the worker: queue one send task per delivery, as delivery_enqueue does."""
    from referrals.tasks import delivery_send_task  # the task module imports this one

    queued: list[int] = []
    try:
        for delivery_id in delivery_ids:
            delivery_send_task.delay(delivery_id)
            queued.append(delivery_id)
    finally:
        if queued:
            Delivery.objects.filter(pk__in=queued).update(last_queued_at=timezone.now())


def _retry_after(attempt_count: int) -> datetime.timedelta:
    """The longest backoff Celery can choose before the next attempt (the
    task declares the same factor and cap, with jitter below it)."""
    seconds = min(
        settings.REFERRAL_RETRY_BACKOFF_MAX_SECONDS,
        settings.REFERRAL_RETRY_BACKOFF_SECONDS * 2 ** max(attempt_count - 1, 0),
    )
    return datetime.timedelta(seconds=seconds)


def _staff_link(referral: Referral) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "admin:referrals_referral_change", args=[referral.pk]
    )


@dataclass(frozen=True)
class AttemptResult:
    succeeded: bool
    status_code: int | None
    error: str
    latency_ms: int


_http_client_lock = threading.Lock()
_http_client_of: dict[int, httpx.Client] = {}


def _http_client() -> httpx.Client:
    """The process's HTTP client, shared by the delivery pool's threads.

    ``httpx.post`` builds a client per call, and building one loads the CA
    bundle: about 20 ms of CPU under the GIL, which capped a 16-thread pool
    at a fraction of what a 100 ms receiver allows (the bench measured 11
    referrals/s). One client per process (keyed by pid: never a client
    inherited across a fork) also keeps connections to recipients alive.
    """
    pid = os.getpid()
    client = _http_client_of.get(pid)
    if client is None:
        with _http_client_lock:
            client = _http_client_of.get(pid)
            if client is None:
                # No cap on connections: the pool's threads already bound them,
                # and a capped pool would queue sends behind a slow recipient.
                client = httpx.Client(
                    follow_redirects=False,
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
                )
                _http_client_of.clear()
                _http_client_of[pid] = client
    return client


def _send_webhook(
    channel: DeliveryChannel, delivery: Delivery, payload: dict[str, Any]
) -> AttemptResult:
    body = json.dumps(payload, separators=(",", ":")).encode()
    # A fresh timestamp per attempt, the same webhook-id on every attempt, so
    # the receiver can drop duplicates.
    headers = webhook_headers(
        secret=channel.webhook_secret,
        message_id=delivery.message_id,
        timestamp=int(time.time()),
        body=body,
    )
    started = time.monotonic()
    try:
        response = _http_client().post(
            channel.webhook_url,
            content=body,
            headers=headers,
            timeout=settings.REFERRAL_DELIVERY_TIMEOUT_SECONDS,
        )
    except Exception as exc:  # timeouts, refused connections, a soft time limit
        return AttemptResult(False, None, type(exc).__name__, _ms_since(started))
    ok = 200 <= response.status_code < 300
    error = "" if ok else f"HTTP {response.status_code}"
    return AttemptResult(ok, response.status_code, error, _ms_since(started))


def _send_email(channel: DeliveryChannel, delivery: Delivery) -> AttemptResult:
    # An email carries no victim details: that a referral is waiting, and a
    # link to the staff site, where access is checked and logged.
    referral = delivery.referral
    if delivery.kind == Delivery.Kind.EVIDENCE_ADDED:
        subject = f"New evidence for referral {referral.pk}"
        body = (
            f"New evidence is available for referral {referral.pk}. "
            "Sign in to the staff site to see it:\n\n"
            f"{_staff_link(referral)}\n"
        )
    elif delivery.kind == Delivery.Kind.WITHDRAWN:
        subject = f"Consent withdrawn for referral {referral.pk}"
        body = (
            f"The person who made referral {referral.pk} has withdrawn their consent.\n"
            "Stop using and delete the details you were sent for it.\n\n"
            f"{_staff_link(referral)}\n"
        )
    else:
        subject = f"A referral is waiting for you (referral {referral.pk})"
        body = (
            "A new referral has been sent to you. Sign in to the staff site to see it:\n\n"
            f"{_staff_link(referral)}\n"
        )
    started = time.monotonic()
    try:
        send_mail(subject, body, None, [channel.notification_email], fail_silently=False)
    except Exception as exc:  # SMTP errors, refused connections, timeouts
        return AttemptResult(False, None, type(exc).__name__, _ms_since(started))
    return AttemptResult(True, None, "", _ms_since(started))


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _consent_allows(referral: Referral) -> bool:
    report = referral.report
    if referral.kind == Referral.Kind.POLICE:
        return report.consent_share_with_police
    return report.consent_share_with_support


def _delivery_for_send(delivery_id: int) -> Delivery:
    """The delivery and what sending it reads, in one query of only those
    columns: building every column of six models cost the delivery worker
    more CPU than the rest of the send. (A police referral's channel is read
    by its force's id, so the force is not joined.)"""
    return (
        Delivery.objects.select_related(
            "referral__report__area__police_force", "referral__service__provider"
        )
        .only(
            "kind",
            "message_id",
            "evidence_item_id",
            "attempt_count",
            "referral__kind",
            "referral__service",
            "referral__police_force_id",
            "referral__deliver_by",
            "referral__risk_level",
            "referral__delivery_status",
            "referral__outcome",
            *(f"referral__report__{name}" for name in REPORT_COLUMNS_READ),
            "referral__report__area__code",
            "referral__report__area__name",
            "referral__report__area__police_force__code",
            "referral__report__area__police_force__name",
            "referral__service__contact_within_days_high",
            "referral__service__contact_within_days_standard",
            "referral__service__provider__delivery_method",
            "referral__service__provider__webhook_url",
            "referral__service__provider__webhook_secret",
            "referral__service__provider__notification_email",
        )
        .get(pk=delivery_id)
    )


def delivery_send(*, delivery_id: int) -> str:
    """Claim a delivery, send it, record the attempt; the task's one call.

    Returns what happened ("sent", "failed", "cancelled", "not-claimed");
    raises DeliveryFailed when an attempt failed and another will follow.
    """
    now = timezone.now()
    # The claim: exactly one worker moves a pending, unclaimed (or expired)
    # delivery into its hands; duplicates of the task find nothing to do.
    claimed = (
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(
            claimed_until=now + datetime.timedelta(seconds=settings.REFERRAL_CLAIM_SECONDS),
            attempt_count=F("attempt_count") + 1,
        )
    )
    if claimed != 1:
        return "not-claimed"
    delivery = _delivery_for_send(delivery_id)
    referral = delivery.referral
    if delivery.kind == Delivery.Kind.EVIDENCE_ADDED and not _evidence_added_still_due(delivery):
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.CANCELLED, claimed_until=None
        )
        return "cancelled"
    if delivery.kind == Delivery.Kind.REFERRAL and not _consent_allows(referral):
        with transaction.atomic():
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.CANCELLED, claimed_until=None
            )
            Referral.objects.filter(pk=referral.pk).update(
                delivery_status=Referral.DeliveryStatus.CANCELLED
            )
        return "cancelled"

    # The files a police referral's recipient is sure to have been told of:
    # any checked clean after these get a follow-up once it is delivered.
    police_referral = (
        delivery.kind == Delivery.Kind.REFERRAL and referral.kind == Referral.Kind.POLICE
    )
    evidence_sent: set[str] = set()
    channel = referral.channel
    if channel is None or not channel.has_channel:
        result = AttemptResult(False, None, "no delivery channel configured", 0)
    elif channel.delivery_method == DeliveryMethod.WEBHOOK:
        payload = referral_payload(delivery=delivery)
        if police_referral:
            # Exactly the files this payload lists (no second read).
            evidence_sent = {entry["id"] for entry in payload["data"].get("evidence", ())}
        result = _send_webhook(channel, delivery, payload)
    else:
        if police_referral:
            # Clean before the notice goes: the staff site shows them.
            evidence_sent = {
                str(pk)
                for pk in EvidenceItem.objects.servable()
                .filter(report_id=referral.report_id)
                .values_list("pk", flat=True)
            }
        result = _send_email(channel, delivery)
    return _attempt_record(delivery=delivery, result=result, evidence_sent=evidence_sent)


def _evidence_added_still_due(delivery: Delivery) -> bool:
    """Consent still given, and the file still clean (not erased since)."""
    referral = delivery.referral
    if delivery.evidence_item_id is None:  # the file was deleted since
        return False
    return (
        _evidence_may_follow(referral, referral.report)
        and EvidenceItem.objects.servable()
        .filter(pk=delivery.evidence_item_id, report_id=referral.report_id)
        .exists()
    )


def _attempt_record(
    *, delivery: Delivery, result: AttemptResult, evidence_sent: set[str] | None = None
) -> str:
    now = timezone.now()
    referral = delivery.referral
    final = not result.succeeded and delivery.attempt_count >= settings.REFERRAL_MAX_ATTEMPTS
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=now,
            succeeded=result.succeeded,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            error=result.error[:300],
        )
        if result.succeeded:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.SENT, sent_at=now, claimed_until=None, last_error=""
            )
            if delivery.kind == Delivery.Kind.REFERRAL:
                _referral_delivered(referral=referral, now=now, evidence_sent=evidence_sent)
            logger.info("delivery %s sent", delivery.message_id)
            return "sent"
        if final:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.FAILED, claimed_until=None, last_error=result.error[:300]
            )
            if delivery.kind == Delivery.Kind.REFERRAL:
                Referral.objects.filter(pk=referral.pk).update(
                    delivery_status=Referral.DeliveryStatus.FAILED
                )
            _event(
                referral,
                ReferralEvent.Kind.DELIVERY_FAILED,
                at=now,
                delivery=delivery.message_id,
                attempts=delivery.attempt_count,
                error=result.error[:300],
            )
            error = result.error
            transaction.on_commit(
                lambda: _staff_alert(referral_id=referral.pk, error=error), robust=True
            )
            logger.warning(
                "delivery %s failed after %s attempts", delivery.message_id, delivery.attempt_count
            )
            return "failed"
        Delivery.objects.filter(pk=delivery.pk).update(
            claimed_until=None,
            next_attempt_at=now + _retry_after(delivery.attempt_count),
            last_error=result.error[:300],
        )
    raise DeliveryFailed(f"delivery {delivery.message_id}: {result.error}")


def _referral_delivered(
    *, referral: Referral, now: datetime.datetime, evidence_sent: set[str] | None = None
) -> None:
    contact_by = None
    if referral.service is not None:
        days = (
            referral.service.contact_within_days_high
            if referral.risk_level == RiskLevel.HIGH
            else referral.service.contact_within_days_standard
        )
        contact_by = working_days_after(now, days)
    Referral.objects.filter(pk=referral.pk).update(
        delivery_status=Referral.DeliveryStatus.DELIVERED, delivered_at=now, contact_by=contact_by
    )
    _event(referral, ReferralEvent.Kind.DELIVERED, at=now)
    if referral.report.status == Report.Status.RECEIVED:  # as loaded for this send
        report_mark_referred(report=referral.report)
    # The referral as it is now (the update above holds its row, which
    # consent withdrawal and referral_evidence_added lock too).
    referral.delivery_status, referral.outcome = (
        Referral.objects.filter(pk=referral.pk).values_list("delivery_status", "outcome").get()
    )
    # Consent withdrawn while this send was in flight: the recipient now
    # holds the details, so it gets the withdrawal notice too.
    if (
        referral.outcome == Referral.Outcome.WITHDRAWN
        and not Delivery.objects.filter(referral=referral, kind=Delivery.Kind.WITHDRAWN).exists()
    ):
        _delivery_create(referral=referral, kind=Delivery.Kind.WITHDRAWN, now=now)
    if _evidence_may_follow(referral, referral.report):
        # Files checked clean while this send was in flight: their follow-ups.
        late = (
            EvidenceItem.objects.servable()
            .filter(report_id=referral.report_id)
            .exclude(pk__in=evidence_sent or set())
        )
        _evidence_added_create(referral=referral, items=list(late), now=now)


def _staff_alert(*, referral_id: int, error: str) -> None:
    """Tell a person: a referral that could not be delivered is a victim
    waiting for help nobody knows about."""
    recipients = settings.REFERRAL_ALERT_EMAILS
    if not recipients:
        logger.error("referral %s could not be delivered and no alert address is set", referral_id)
        return
    referral = Referral.objects.get(pk=referral_id)
    send_mail(
        f"Referral {referral_id} could not be delivered",
        f"Referral {referral_id} could not be delivered after every retry ({error}).\n"
        f"Check the recipient's delivery channel and re-queue it:\n\n{_staff_link(referral)}\n",
        None,
        recipients,
        fail_silently=False,
    )


def deliveries_requeue_stale(*, now: datetime.datetime | None = None) -> list[int]:
    """Re-queue deliveries still pending after the grace period: a lost
    message, a broker that lost its data or a killed worker only delays one."""
    from referrals.selectors import deliveries_stale

    stale = deliveries_stale(now=now or timezone.now())
    for delivery_id in stale:
        try:
            delivery_enqueue(delivery_id=delivery_id)
        except Exception:
            # The broker is down: the next sweep tries again.
            logger.exception("could not re-queue delivery %s", delivery_id)
            break
    return stale


def referral_requeue(*, referral: Referral, acting_user: User) -> None:
    """Staff give a failed delivery another round of attempts."""
    now = timezone.now()
    with transaction.atomic():
        for delivery in referral.deliveries.filter(status=Delivery.Status.FAILED):
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.PENDING, attempt_count=0, next_attempt_at=now
            )
            _enqueue_on_commit(delivery.pk)
        if referral.delivery_status == Referral.DeliveryStatus.FAILED:
            Referral.objects.filter(pk=referral.pk).update(
                delivery_status=Referral.DeliveryStatus.PENDING
            )
        _event(referral, ReferralEvent.Kind.REQUEUED, at=now, acting_user=acting_user)


# --- Provider API tokens ------------------------------------------------------------


def provider_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def provider_token_issue(*, provider: Provider, name: str) -> tuple[ProviderApiToken, str]:
    """A new API key for a provider: returned once, stored only as a hash."""
    key = "hcp_" + secrets.token_urlsafe(32)
    token = ProviderApiToken.objects.create(
        provider=provider, name=name, key_hash=provider_token_hash(key), created_at=timezone.now()
    )
    return token, key


# --- Replies from recipients -----------------------------------------------------


class InvalidTransition(Exception):
    """The referral is not in a state that allows this."""


def _reply(
    *,
    referral: Referral,
    outcome: str,
    allowed_from: tuple[str, ...],
    acting_user: User | None,
    acting_provider: Provider | None,
    **changes: object,
) -> Referral:
    now = timezone.now()
    with transaction.atomic():
        updated = Referral.objects.filter(
            pk=referral.pk,
            delivery_status=Referral.DeliveryStatus.DELIVERED,
            outcome__in=allowed_from,
        ).update(outcome=outcome, outcome_at=now, **changes)
        if updated != 1:
            raise InvalidTransition(f"cannot mark this referral {outcome}")
        _event(
            referral,
            outcome,
            at=now,
            acting_user=acting_user,
            acting_provider=acting_provider,
            **{k: str(v) for k, v in changes.items() if k == "decline_reason"},
        )
    referral.refresh_from_db()
    return referral


def referral_acknowledge(
    *,
    referral: Referral,
    acting_user: User | None = None,
    acting_provider: Provider | None = None,
) -> Referral:
    return _reply(
        referral=referral,
        outcome=Referral.Outcome.ACKNOWLEDGED,
        allowed_from=(Referral.Outcome.NONE,),
        acting_user=acting_user,
        acting_provider=acting_provider,
    )


def referral_accept(
    *,
    referral: Referral,
    advocate: User | None = None,
    advocate_name: str = "",
    acting_user: User | None = None,
    acting_provider: Provider | None = None,
) -> Referral:
    """The provider takes the referral on; it is on the advocate's caseload."""
    if referral.kind != Referral.Kind.SUPPORT:
        raise InvalidTransition("police referrals are acknowledged, not accepted")
    with transaction.atomic():
        referral = _reply(
            referral=referral,
            outcome=Referral.Outcome.ACCEPTED,
            allowed_from=(Referral.Outcome.NONE, Referral.Outcome.ACKNOWLEDGED),
            acting_user=acting_user,
            acting_provider=acting_provider,
            advocate=advocate,
            advocate_name=advocate_name,
        )
        # The accepted referral becomes a case on the advocate's caseload.
        case_open(referral=referral, acting_user=acting_user)
    return referral


def referral_decline(
    *,
    referral: Referral,
    reason: str,
    acting_user: User | None = None,
    acting_provider: Provider | None = None,
) -> Referral | None:
    """The provider cannot help; the report is re-routed to the next service.

    Returns the new referral, or None when no other service fits.
    """
    if referral.kind != Referral.Kind.SUPPORT:
        raise InvalidTransition("police referrals are acknowledged, not declined")
    with transaction.atomic():
        _reply(
            referral=referral,
            outcome=Referral.Outcome.DECLINED,
            allowed_from=(Referral.Outcome.NONE, Referral.Outcome.ACKNOWLEDGED),
            acting_user=acting_user,
            acting_provider=acting_provider,
            decline_reason=reason,
        )
        report = Report.objects.select_for_update().get(pk=referral.report_id)
        if not (report.wants_support and report.consent_share_with_support):
            return None
        already = set(
            report.referrals.filter(service__isnull=False).values_list("service_id", flat=True)
        )
        routes = _support_routes(report, exclude_service_ids=already)
        if not routes:
            return None
        return _referral_create(report=report, route=routes[0], now=timezone.now())


def referral_record_contact(
    *,
    referral: Referral,
    acting_user: User | None = None,
    acting_provider: Provider | None = None,
) -> Referral:
    """First contact with the victim was made (the service's deadline is met)."""
    now = timezone.now()
    updated = Referral.objects.filter(
        pk=referral.pk, outcome=Referral.Outcome.ACCEPTED, first_contact_at__isnull=True
    ).update(first_contact_at=now)
    if updated != 1:
        raise InvalidTransition("first contact is recorded once, on an accepted referral")
    referral.refresh_from_db()
    return referral


# --- Consent withdrawal ----------------------------------------------------------


def report_referrals_withdraw(*, report: Report) -> None:
    """Apply a reporter's withdrawn consent to the report's referrals: stop
    undelivered ones and tell the recipients of delivered ones (UK GDPR
    article 7(3): withdrawing consent must be as easy as giving it)."""
    now = timezone.now()
    with transaction.atomic():
        for referral in report.referrals.select_for_update().exclude(
            outcome=Referral.Outcome.WITHDRAWN
        ):
            if _consent_allows(referral):
                continue
            if referral.delivery_status == Referral.DeliveryStatus.DELIVERED:
                # Evidence follow-ups not yet sent never will be.
                referral.deliveries.filter(
                    kind=Delivery.Kind.EVIDENCE_ADDED, status=Delivery.Status.PENDING
                ).update(status=Delivery.Status.CANCELLED)
                _delivery_create(referral=referral, kind=Delivery.Kind.WITHDRAWN, now=now)
            else:
                referral.deliveries.filter(status=Delivery.Status.PENDING).update(
                    status=Delivery.Status.CANCELLED
                )
                referral.delivery_status = Referral.DeliveryStatus.CANCELLED
            referral.outcome = Referral.Outcome.WITHDRAWN
            referral.outcome_at = now
            referral.save(update_fields=["delivery_status", "outcome", "outcome_at"])
            _event(referral, ReferralEvent.Kind.WITHDRAWN, at=now)


# --- Deadlines ----------------------------------------------------------------------


def overdue_digest_send(*, now: datetime.datetime | None = None) -> int:
    """Email each provider manager how many of their referrals are overdue
    (counts and a link, no victim details). Returns the emails sent."""
    from referrals.selectors import referrals_overdue

    now = now or timezone.now()
    sent = 0
    for provider in Provider.objects.exclude(manager_email=""):
        count = referrals_overdue(now=now).filter(service__provider=provider).count()
        if not count:
            continue
        link = settings.SITE_URL.rstrip("/") + reverse("admin:referrals_referral_changelist")
        send_mail(
            f"{count} overdue referral(s) for {provider.name}",
            f"{count} referral(s) to {provider.name} are past their deadline.\n\n"
            f"{link}?overdue=yes\n",
            None,
            [provider.manager_email],
            fail_silently=False,
        )
        sent += 1
    return sent
