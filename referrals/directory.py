"""The referral directory as routing reads it, cached per process.

Routing a report reads the active routing rules, every service with its
strands and areas, and whether each service can take a referral now. These
change only through the staff site and the seed commands, so one loaded copy
per process serves every submission (reports.caching: a save or delete of
any of these models, or of a service's strands or areas, makes every process
reload before it next routes; the copy also expires after a minute).

The order of the database is kept (rules by priority, services as
``ServiceQuerySet.for_strands_and_area`` orders them), so routing from the
copy picks exactly what the queries did.
"""

from __future__ import annotations

from dataclasses import dataclass

from referrals.models import Capacity, Provider, RoutingRule, Service
from reports.caching import VersionedCache
from reports.models import Area, Strand


@dataclass(frozen=True)
class RuleEntry:
    strand_id: int | None
    strand_name: str
    area_id: int | None
    need: str
    service_id: int


@dataclass(frozen=True)
class ServiceEntry:
    service: Service  # with its provider; shared, so routing hands out copies
    accepts_referrals: bool
    all_strands: bool
    national: bool
    strand_ids: frozenset[int]
    # The service's strands (id, name) in the strands' own order.
    strands: tuple[tuple[int, str], ...]
    area_ids: frozenset[int]
    # Why it cannot take a referral now (referrals.services._unavailable).
    unavailable: str | None


@dataclass(frozen=True)
class Directory:
    rules: tuple[RuleEntry, ...]  # active rules, by priority then id
    services: dict[int, ServiceEntry]  # every service, in directory order


def _unavailable(
    *, accepts_referrals: bool, capacity: str, provider_has_channel: bool
) -> str | None:
    if not accepts_referrals:
        return "does not take referrals"
    if capacity != Capacity.OPEN:
        return "is full" if capacity == Capacity.FULL else "is paused"
    if not provider_has_channel:
        return "has no delivery channel"
    return None


def _directory_read() -> Directory:
    strands = {strand.pk: (rank, strand.name) for rank, strand in enumerate(Strand.objects.all())}
    # Whether each provider has a channel, without keeping its webhook secret.
    has_channel = {provider.pk: provider.has_channel for provider in Provider.objects.all()}
    service_strands: dict[int, set[int]] = {}
    for service_id, strand_id in Service.strands.through.objects.values_list(
        "service_id", "strand_id"
    ):
        service_strands.setdefault(service_id, set()).add(strand_id)
    service_areas: dict[int, set[int]] = {}
    for service_id, area_id in Service.areas.through.objects.values_list("service_id", "area_id"):
        service_areas.setdefault(service_id, set()).add(area_id)
    services: dict[int, ServiceEntry] = {}
    ordered = (
        Service.objects.select_related("provider")
        .defer("provider__webhook_secret")
        .order_by("all_strands", "national", "provider__name", "name")
    )
    for service in ordered:
        ids = service_strands.get(service.pk, set())
        services[service.pk] = ServiceEntry(
            service=service,
            accepts_referrals=service.accepts_referrals,
            all_strands=service.all_strands,
            national=service.national,
            strand_ids=frozenset(ids),
            strands=tuple(
                (strand_id, strands[strand_id][1])
                for strand_id in sorted(ids, key=lambda pk: strands[pk][0])
            ),
            area_ids=frozenset(service_areas.get(service.pk, set())),
            unavailable=_unavailable(
                accepts_referrals=service.accepts_referrals,
                capacity=service.capacity,
                provider_has_channel=has_channel.get(service.provider_id, False),
            ),
        )
    rules = tuple(
        RuleEntry(
            strand_id=rule.strand_id,
            strand_name=strands[rule.strand_id][1] if rule.strand_id else "",
            area_id=rule.area_id,
            need=rule.need,
            service_id=rule.service_id,
        )
        for rule in RoutingRule.objects.filter(active=True).order_by("priority", "id")
    )
    return Directory(rules=rules, services=services)


DIRECTORY = VersionedCache("referral-directory", _directory_read)


def directory() -> Directory:
    return DIRECTORY.get()


def directory_watch() -> None:
    """Reload on any change to what routing reads (wired in ReferralsConfig.ready)."""
    DIRECTORY.watch(
        RoutingRule,
        Service,
        Provider,
        Strand,
        Area,
        Service.strands.through,
        Service.areas.through,
    )
