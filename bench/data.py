"""Realistic data for the bench: reports over five UK financial years, with
their referrals, cases, police outcomes and repeat victims, loaded fast.

Two halves:

- ``Dataset`` (the bench's side, no Django): grows the bench database to a
  number of reports, signs staff in and counts a page's queries, each by
  running this module with the bench's environment (``python -m bench.data
  grow|staff|queries``), so the data is encrypted with the bench server's
  own keys;
- the commands themselves, which run with Django set up.

``grow`` writes with PostgreSQL ``COPY`` on a connection of its own, one
batch while the next is generated (PostgreSQL and Python each get a core).
Encrypted fields are real Fernet tokens made with the project's own field
encryption (privacy.crypto), so the app reads every row: free text comes
from small pools of distinct sentences encrypted once and reused, while
each victim's email and phone are their own (encrypted once per person,
with their blind index), so repeat victims match exactly as they would in
life: a pool of people report again, everyone else once. Rows are made
consistent by construction (each case's referral, provider and advocate;
each referral's service fits the report's strand and area), so the copy
runs with ``session_replication_role = replica`` (no foreign-key trigger
per row, as pg_restore does); ``VACUUM ANALYZE`` follows, as autovacuum
would do in production.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import functools
import io
import itertools
import json
import math
import os
import queue
import random
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.harness import Stack

# Staff the bench signs in as (its own users: the demo users, whose passwords
# are published, exist only with DEBUG on). Advocates per provider share the
# provider's cases, as a team does.
ADVOCATES_PER_PROVIDER = 8
MEASURED_ADVOCATE = "bench-advocate-galop-1"
MEASURED_MANAGER = "bench-manager-galop"
COMMISSIONER = "bench-commissioner"

TABLES = [
    "reports_report",
    "reports_report_strands",
    "reports_report_incident_types",
    "referrals_referral",
    "referrals_case",
    "referrals_policeresponse",
    "referrals_outcomemeasure",
    "referrals_repeatvictimlink",
]


# --- The bench's side ---------------------------------------------------------------


@dataclass
class Dataset:
    """The bench database's generated reports, grown on demand."""

    stack: Stack
    generated: list[dict[str, Any]] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)

    def reports(self) -> int:
        (count,) = self.stack.sql("SELECT count(*) FROM reports_report")[0]
        return int(count)

    def ensure(self, total: int) -> None:
        """Grow to at least ``total`` reports (and their casework)."""
        from bench.harness import log

        have = self.reports()
        if have >= total:
            return
        log(f"  data: {have:,} reports, generating {total - have:,} more")
        output = self._run("grow", str(total))
        result = json.loads(output.strip().splitlines()[-1])
        self.generated.append(result)
        log(
            f"  data: {result['reports']:,} reports and {result['rows']:,} rows in "
            f"{result['seconds']:.0f} s ({result['reports_per_second']:,.0f} reports/s; "
            f"copy {result['copy_seconds']:.0f} s, vacuum and analyze "
            f"{result['analyze_seconds']:.0f} s)"
        )

    def sign_in(self) -> dict[str, str]:
        """Session cookies (a ``Cookie`` header value) for the bench's staff,
        each signed in through the staff login form with a password and a TOTP
        code, like a person. Once per run: a TOTP code is accepted only once."""
        if not self.cookies:
            self.cookies = dict(json.loads(self._run("staff").strip().splitlines()[-1]))
        return self.cookies

    def queries(self, cookie: str, path: str) -> dict[str, Any]:
        """One request to ``path`` with this session: status, queries, bytes."""
        return dict(json.loads(self._run("queries", cookie, path).strip().splitlines()[-1]))

    def insights_refresh(self) -> dict[str, Any]:
        """Run the commissioning pages' periodic refresh once, as beat would."""
        return dict(json.loads(self._run("insights").strip().splitlines()[-1]))

    def _run(self, *args: str) -> str:
        from bench.harness import ROOT

        result = subprocess.run(  # noqa: S603 (our own module and arguments)
            [sys.executable, "-m", "bench.data", *args],
            cwd=ROOT,
            env=self.stack.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"bench.data {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout


# --- Shapes of the data -----------------------------------------------------------------

STRAND_WEIGHTS = {
    "race": 0.55,
    "religion": 0.18,
    "sexual-orientation": 0.15,
    "disability": 0.08,
    "transgender": 0.04,
}
INCIDENT_WEIGHTS = {
    "verbal-abuse": 0.4,
    "harassment": 0.18,
    "threats": 0.14,
    "physical-assault": 0.1,
    "online-abuse": 0.1,
    "damage": 0.05,
    "sexual-assault": 0.01,
    "other": 0.02,
}
POLICE_OUTCOMES = [
    ("", 0.35),
    ("charge_summons", 0.09),
    ("caution", 0.03),
    ("community_resolution", 0.05),
    ("no_further_action", 0.16),
    ("evidential_difficulties", 0.18),
    ("victim_withdrew", 0.09),
    ("recorded_as_incident", 0.05),
]
CLOSURE_REASONS = [
    ("support_completed", 0.6),
    ("unable_to_contact", 0.15),
    ("declined_support", 0.12),
    ("referred_on", 0.06),
    ("moved_away", 0.03),
    ("consent_withdrawn", 0.02),
    ("other", 0.02),
]
ACCOUNTS = [
    "Two men shouted abuse at me at the bus stop and said they would hurt me.",
    "My neighbour keeps leaving notes through my door calling me names because of my religion.",
    "Someone spat at me on the train and told me to go back where I came from.",
    "A group of teenagers followed me home shouting homophobic slurs.",
    "I get messages online every day from an account that mocks my disability.",
    "Our mosque's windows were broken and graffiti was sprayed on the door.",
    "A taxi driver refused to take me and my guide dog and swore at me.",
    "A man pushed me off my bike and called me a racist name.",
    "People at work have been making jokes about me being trans for months.",
    "Someone wrote antisemitic words on the wall of our synagogue.",
    "The man in the shop said he does not serve people like me.",
    "My car was scratched with a swastika outside my house.",
]
LOCATIONS = [
    "Bus stop on Brixton Road",
    "Outside the station",
    "High street, near the bank",
    "On the estate where I live",
    "In the park by the playground",
    "At work, in the staff room",
    "On the number 38 bus",
    "Outside the mosque",
]
MOTIVATIONS = [
    "They used racist words.",
    "They mentioned my religion.",
    "They called me a homophobic name.",
    "They mocked my wheelchair.",
    "They used my old name and laughed.",
]
PERPETRATORS = [
    "Two men in their twenties",
    "A woman in her fifties with a dog",
    "A group of four teenagers",
    "My neighbour",
    "An account I do not know",
]
NAMES = [
    "Amara Okafor",
    "Daniel Cohen",
    "Priya Sharma",
    "Tomasz Nowak",
    "Fatima Hussain",
    "Jamie Taylor",
    "Chen Wei",
    "Aisha Begum",
    "Sam Jones",
    "Yusuf Ali",
]
POSTCODES = ["SW9 8EQ", "E1 6AN", "N17 9LR", "SE15 4QL", "W2 1JB", "DE1 2FS", "NW6 7UH"]
SAFE_TIMES = ["Weekdays after 6pm", "Mornings", "Any time", "Weekends only"]


def weighted(pairs: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    values = [value for value, _w in pairs]
    total = sum(w for _v, w in pairs)
    cumulative = list(itertools.accumulate(w / total for _v, w in pairs))
    return values, cumulative


def pick(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    values, cumulative = table
    return values[min(bisect.bisect(cumulative, rng.random()), len(values) - 1)]


def financial_year_start(today: dt.date) -> dt.date:
    year = today.year if today >= dt.date(today.year, 4, 1) else today.year - 1
    return dt.date(year, 4, 1)


def submission_times(count: int, start: dt.datetime, end: dt.datetime, seed: int) -> list[float]:
    """``count`` sorted timestamps from ``start`` to ``end``: rising about 20% a
    year (as London's did) with a fortnight's spike, like the one after the EU
    referendum, a year and a quarter in."""
    rng = random.Random(seed)  # noqa: S311 (made-up data, not secrets)
    span = (end - start).total_seconds()
    spike_at = 0.25 + 0.05 * rng.random()
    times = []
    for _ in range(count):
        if rng.random() < 0.02:
            fraction = spike_at + rng.random() * (14 * 86400 / span)
        else:
            # Density proportional to 1.2**(years): inverse of the CDF.
            years = span / (365.25 * 86400)
            k = math.log(1.2) * years
            fraction = math.log1p(rng.random() * math.expm1(k)) / k
        times.append(start.timestamp() + fraction * span)
    times.sort()
    return times


# --- The commands (Django set up) -------------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hatecrime.settings")
    import django

    django.setup()


def _connect() -> Any:
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    return psycopg2.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )


def staff_ensure() -> dict[str, list[int]]:
    """The bench's staff: per demo provider a manager and advocates, and a
    commissioning officer. Returns advocate user ids by provider id."""
    from django.contrib.auth.models import Group, User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from audit.roles import Role
    from referrals.case_services import membership_add
    from referrals.models import Provider

    def person(username: str, role: Role) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.invalid", "is_staff": True}
        )
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get_or_create(name=role.value)[0])
            TOTPDevice.objects.create(user=user, name="bench authenticator", confirmed=True)
        return user

    advocates: dict[str, list[int]] = {}
    for provider in Provider.objects.order_by("pk"):
        ids = []
        for number in range(1, ADVOCATES_PER_PROVIDER + 1):
            user = person(f"bench-advocate-{provider.slug}-{number}", Role.ADVOCATE)
            membership_add(user=user, provider=provider, acting_user=None)
            ids.append(user.pk)
        manager = person(f"bench-manager-{provider.slug}", Role.PROVIDER_MANAGER)
        membership_add(user=manager, provider=provider, acting_user=None)
        advocates[str(provider.pk)] = ids
    person(COMMISSIONER, Role.COMMISSIONING_OFFICER)
    return advocates


def command_staff() -> dict[str, str]:
    """Sign in the measured staff the real way: password, then a TOTP code."""
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    staff_ensure()
    cookies = {}
    for username in (MEASURED_ADVOCATE, MEASURED_MANAGER, COMMISSIONER):
        user = User.objects.get(username=username)
        password = secrets.token_urlsafe(24)
        user.set_password(password)
        user.save()
        device = TOTPDevice.objects.get(user=user)
        client = Client(HTTP_HOST="127.0.0.1")
        response = client.post(
            "/staff/login/",
            {
                "username": username,
                "password": password,
                "otp_token": f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}",
                "next": "/staff/",
            },
        )
        if response.status_code != 302:
            raise SystemExit(f"{username} could not sign in: {response.status_code}")
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies[username] = f"{settings.SESSION_COOKIE_NAME}={session}"
    return cookies


def command_queries(cookie: str, path: str) -> dict[str, Any]:
    """One GET through the whole stack of middleware, counting every query."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    name, _eq, value = cookie.partition("=")
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[name] = value
    # The first request may fill caches (timed: with nothing cached, what
    # the first visitor waits for); the second is the usual one.
    started = time.monotonic()
    with CaptureQueriesContext(connection) as first:
        client.get(path)
    first_ms = (time.monotonic() - started) * 1000
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return {
        "status": response.status_code,
        "first_ms": round(first_ms, 1),
        "queries_first": len(first.captured_queries),
        "queries": len(captured.captured_queries),
        "bytes": len(response.content),
    }


class Pools:
    """Encrypted values made once per run and reused across rows."""

    def __init__(self, size: int, seed: int) -> None:
        from privacy.crypto import encrypt

        rng = random.Random(seed)  # noqa: S311 (made-up data, not secrets)
        self.encrypt = encrypt

        def pool(texts: list[str], copies: int = 3) -> list[str]:
            return [encrypt(text) for text in texts for _ in range(copies)]

        self.accounts = pool(ACCOUNTS)
        self.locations = pool(LOCATIONS)
        self.motivations = pool(MOTIVATIONS)
        self.perpetrators = pool(PERPETRATORS)
        self.names = pool(NAMES)
        self.postcodes = pool(POSTCODES)
        self.safe_times = pool(SAFE_TIMES)
        # Repeat victims: people who report again and again (about one
        # victim's report in eight comes from someone who reported before).
        self.repeaters = [self.person(rng) for _ in range(max(50, size // 150))]

    def person(self, rng: random.Random) -> tuple[str, str, str, str]:
        """(email token, email index, phone token, phone index): a new person."""
        from privacy.crypto import blind_index

        number = rng.getrandbits(48)
        email = f"victim.{number:012x}@example.invalid"
        phone = f"07700 {number % 1_000_000:06d}"
        return (
            self.encrypt(email),
            blind_index("email", email),
            self.encrypt(phone),
            blind_index("phone", phone),
        )


def _reference(number: int) -> str:
    """A valid-looking, unique reference (a bijection of the row number)."""
    from reports.secrets import ALPHABET

    value = (number * 0x9E3779B97F) % (1 << 40)
    chars = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in range(8))
    return f"HC-{chars[:4]}-{chars[4:]}"


@functools.lru_cache(maxsize=4096)
def _day(day_number: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day_number)).isoformat()


def _ts(epoch: float) -> str:
    """A UTC timestamp as COPY reads it (strftime per value costs a lot at a million rows)."""
    day_number, second = divmod(int(epoch), 86400)
    hour, rest = divmod(second, 3600)
    return f"{_day(day_number)} {hour:02d}:{rest // 60:02d}:{rest % 60:02d}+00"


class World:
    """What rows refer to: reference data, services and staff, by id."""

    def __init__(self) -> None:
        from referrals.models import Service
        from reports.models import Area, IncidentType, Strand

        self.strands = dict(Strand.objects.values_list("code", "id"))
        self.incidents = dict(IncidentType.objects.values_list("code", "id"))
        self.strand_table = weighted([(code, w) for code, w in STRAND_WEIGHTS.items()])
        self.incident_table = weighted([(code, w) for code, w in INCIDENT_WEIGHTS.items()])
        areas = list(Area.objects.values_list("id", "code", "kind", "police_force_id"))
        self.force_of = {area_id: force for area_id, _c, _k, force in areas}
        london = [a for a, _c, kind, _f in areas if kind == "london_borough"]
        derbyshire = [a for a, code, _k, _f in areas if code == "force:derbyshire"]
        elsewhere = [a for a, code, kind, _f in areas if kind != "london_borough"]
        # A regional service (London's) with some reports from elsewhere.
        self.area_table = weighted(
            [(a, 0.85 / len(london)) for a in london]
            + [(a, 0.05 / len(derbyshire)) for a in derbyshire]
            + [(a, 0.10 / len(elsewhere)) for a in elsewhere]
        )
        self.services: dict[tuple[str, int], list[tuple[int, int, int, int]]] = {}
        catalogue = []
        for service in Service.objects.prefetch_related("strands", "areas"):
            catalogue.append(
                (
                    service.pk,
                    service.provider_id,
                    service.all_strands,
                    service.national,
                    {s.code for s in service.strands.all()},
                    {a.pk for a in service.areas.all()},
                    service.contact_within_days_standard,
                    service.contact_within_days_high,
                )
            )
        self.catalogue = catalogue
        self.advocates = {int(k): v for k, v in staff_ensure().items()}

    def services_for(self, strand: str, area: int) -> list[tuple[int, int, int, int]]:
        """Services that fit the strand and area, specialists weighted first
        (universal services catch the rest, as routing's fallbacks do)."""
        key = (strand, area)
        found = self.services.get(key)
        if found is None:
            matching = [
                entry
                for entry in self.catalogue
                if (entry[2] or strand in entry[4]) and (entry[3] or area in entry[5])
            ]
            weighted_entries = [e for e in matching if not e[2]] * 3 + matching
            found = [(e[0], e[1], e[6], e[7]) for e in weighted_entries]
            self.services[key] = found
        return found


def _next_ids(cursor: Any) -> dict[str, int]:
    ids = {}
    for table in TABLES:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 (our names)
        (highest,) = cursor.fetchone()
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (sequence,) = cursor.fetchone()
        cursor.execute(f"SELECT last_value FROM {sequence}")  # noqa: S608
        (last,) = cursor.fetchone()
        ids[table] = max(highest, last) + 1
    return ids


COLUMNS = {
    "reports_report": (
        "id, reference, follow_up_secret_hash, status, channel, submitted_at, language, "
        "reporter_role, anonymous, organisation_name, other_incident_type, account, when_kind, "
        "occurred_on, time_of_day, still_happening, location_kind, location_description, "
        "postcode, online_platform, online_link, online_username, other_motivation, "
        "motivation_evidence, perpetrator_description, perpetrator_known, happened_before, "
        "wants_support, wants_police_told, consent_share_with_police, "
        "consent_share_with_support, contact_name, contact_email, contact_phone, "
        "contact_methods, safe_contact_times, safe_to_leave_message, preferred_language, "
        "needs_interpreter, needs_bsl, accessibility_needs, contact_email_index, "
        "contact_phone_index, area_id"
    ),
    "reports_report_strands": "id, report_id, strand_id",
    "reports_report_incident_types": "id, report_id, incidenttype_id",
    "referrals_referral": (
        "id, report_id, kind, service_id, police_force_id, reason, risk_level, created_at, "
        "deliver_by, delivery_status, delivered_at, contact_by, first_contact_at, outcome, "
        "outcome_at, decline_reason, advocate_id, advocate_name"
    ),
    "referrals_case": (
        "id, referral_id, provider_id, reference, advocate_id, status, risk_level, opened_at, "
        "closed_at, closure_reason, contact_by, next_due_at"
    ),
    "referrals_policeresponse": "id, referral_id, crime_reference, outcome, updated_at",
    "referrals_outcomemeasure": (
        "id, case_id, recorded_at, stage, feeling_safer, health_wellbeing, coping_everyday, "
        "informed, confidence_justice"
    ),
    "referrals_repeatvictimlink": "id, earlier_id, later_id, matched_on, found_at",
}

DAY = 86400.0


def generate(
    world: World, pools: Pools, ids: dict[str, int], times: list[float], seed: int, now: float
) -> Iterator[dict[str, io.StringIO]]:
    """Batches of COPY text per table, for reports at ``times``."""
    from reports.secrets import hash_follow_up_secret

    rng = random.Random(seed)  # noqa: S311 (made-up data, not secrets)
    secret_hash = hash_follow_up_secret("BENCHBENCHBENCH0")
    police_outcomes = weighted(POLICE_OUTCOMES)
    closures = weighted(CLOSURE_REASONS)
    roles = weighted(
        [("victim", 0.78), ("witness", 0.1), ("on_behalf_known", 0.08), ("organisation", 0.04)]
    )
    channels = weighted([("web", 0.6), ("api", 0.3), ("assisted", 0.1)])
    last_seen: dict[int, int] = {}
    next_id = dict(ids)
    batch_size = 20_000
    for start in range(0, len(times), batch_size):
        out = {table: io.StringIO() for table in TABLES}
        w = {table: out[table].write for table in TABLES}
        for submitted in times[start : start + batch_size]:
            report_id = next_id["reports_report"]
            next_id["reports_report"] += 1
            reference = _reference(report_id)
            age_days = (now - submitted) / DAY
            role = pick(rng, roles)
            victim = role == "victim"
            area = pick(rng, world.area_table)
            strand = pick(rng, world.strand_table)
            strands = {strand}
            while rng.random() < 0.2:
                strands.add(pick(rng, world.strand_table))
            incidents = {pick(rng, world.incident_table)}
            while rng.random() < 0.35:
                incidents.add(pick(rng, world.incident_table))
            online = "online-abuse" in incidents
            anonymous = rng.random() < 0.15
            wants_support = not anonymous and rng.random() < 0.62
            wants_police = not anonymous and rng.random() < 0.45
            consent_support = wants_support and rng.random() < 0.95
            consent_police = wants_police and rng.random() < 0.9
            contactable = not anonymous and (wants_support or wants_police or rng.random() < 0.3)
            email = email_index = phone = phone_index = name = ""
            repeat_person = -1
            methods = "[]"
            if contactable:
                if victim and rng.random() < 0.12:
                    repeat_person = rng.randrange(len(pools.repeaters))
                    email, email_index, phone, phone_index = pools.repeaters[repeat_person]
                else:
                    email, email_index, phone, phone_index = pools.person(rng)
                if rng.random() < 0.3:
                    email, email_index = "", ""
                    methods = '["phone"]'
                else:
                    methods = '["email", "phone"]'
                name = rng.choice(pools.names)
            happened_before = "yes" if repeat_person >= 0 or rng.random() < 0.2 else "no"
            occurred = dt.datetime.fromtimestamp(
                submitted - rng.random() * 10 * DAY, tz=dt.UTC
            ).date()
            status = "received" if age_days < 3 else ("referred" if wants_support else "closed")
            w["reports_report"](
                "\t".join(
                    (
                        str(report_id),
                        reference,
                        secret_hash,
                        status,
                        pick(rng, channels),
                        _ts(submitted),
                        "en",
                        role,
                        "t" if anonymous else "f",
                        "",
                        "",
                        rng.choice(pools.accounts),
                        "date",
                        occurred.isoformat(),
                        rng.choice(("morning", "afternoon", "evening", "night", "")),
                        rng.choice(("no", "no", "yes", "unsure")),
                        "online" if online else "street",
                        "" if online else rng.choice(pools.locations),
                        "" if online or rng.random() < 0.5 else rng.choice(pools.postcodes),
                        "Social media" if online else "",
                        "",
                        "",
                        "",
                        rng.choice(pools.motivations),
                        rng.choice(pools.perpetrators),
                        rng.choice(("no", "yes", "unsure")),
                        happened_before,
                        "t" if wants_support else "f",
                        "t" if wants_police else "f",
                        "t" if consent_police else "f",
                        "t" if consent_support else "f",
                        name,
                        email,
                        phone,
                        methods,
                        rng.choice(pools.safe_times) if contactable else "",
                        "t" if rng.random() < 0.4 else "f",
                        "English",
                        "t" if rng.random() < 0.04 else "f",
                        "t" if rng.random() < 0.01 else "f",
                        "",
                        email_index,
                        phone_index,
                        str(area),
                    )
                )
                + "\n"
            )
            for code in strands:
                w["reports_report_strands"](
                    f"{next_id['reports_report_strands']}\t{report_id}\t{world.strands[code]}\n"
                )
                next_id["reports_report_strands"] += 1
            for code in incidents:
                w["reports_report_incident_types"](
                    f"{next_id['reports_report_incident_types']}\t{report_id}\t"
                    f"{world.incidents[code]}\n"
                )
                next_id["reports_report_incident_types"] += 1
            if repeat_person >= 0:
                earlier = last_seen.get(repeat_person)
                if earlier is not None:
                    w["referrals_repeatvictimlink"](
                        f"{next_id['referrals_repeatvictimlink']}\t{earlier}\t{report_id}\t"
                        f'["email", "phone"]\t{_ts(submitted + 5)}\n'
                    )
                    next_id["referrals_repeatvictimlink"] += 1
                last_seen[repeat_person] = report_id
            created = submitted + 2
            high = rng.random() < 0.1
            if consent_support:
                service, provider, standard_days, high_days = rng.choice(
                    world.services_for(strand, area)
                )
                referral_id = next_id["referrals_referral"]
                next_id["referrals_referral"] += 1
                delivered = created + 30 + rng.random() * 600
                contact_by = delivered + (high_days if high else standard_days) * 1.4 * DAY
                outcome = outcome_at = first_contact = advocate = ""
                if age_days > 2:
                    roll = rng.random()
                    outcome = (
                        "accepted"
                        if roll < 0.72
                        else "declined"
                        if roll < 0.8
                        else "acknowledged"
                        if roll < 0.97
                        else ""
                    )
                if outcome:
                    outcome_at_epoch = delivered + rng.random() * 1.5 * DAY
                    outcome_at = _ts(outcome_at_epoch)
                team = world.advocates.get(provider, [])
                case_advocate = ""
                if outcome == "accepted":
                    case_advocate = str(rng.choice(team)) if team and rng.random() < 0.93 else ""
                    advocate = case_advocate
                    if age_days > 7 or rng.random() < 0.5:
                        late = rng.random() < 0.15
                        first_epoch = (
                            contact_by + rng.random() * 4 * DAY
                            if late
                            else delivered + rng.random() * (contact_by - delivered)
                        )
                        if first_epoch < now:
                            first_contact = _ts(first_epoch)
                w["referrals_referral"](
                    f"{referral_id}\t{report_id}\tsupport\t{service}\t\\N\t"
                    f"Specialist service for the strand and area\t"
                    f"{'high' if high else 'standard'}\t{_ts(created)}\t{_ts(created + 2 * DAY)}\t"
                    f"delivered\t{_ts(delivered)}\t{_ts(contact_by)}\t{first_contact or chr(92) + 'N'}\t"
                    f"{outcome}\t{outcome_at or chr(92) + 'N'}\t"
                    f"{'Outside our area' if outcome == 'declined' else ''}\t"
                    f"{advocate or chr(92) + 'N'}\t\n"
                )
                if outcome == "accepted":
                    case_id = next_id["referrals_case"]
                    next_id["referrals_case"] += 1
                    risk = 3 if high else (2 if rng.random() < 0.2 else 1)
                    opened = outcome_at_epoch
                    closed_at = ""
                    reason = ""
                    if age_days > 200 or (age_days > 20 and rng.random() < 0.6):
                        closed_epoch = opened + (15 + rng.random() * 120) * DAY
                        if closed_epoch < now:
                            closed_at = _ts(closed_epoch)
                            reason = pick(rng, closures)
                    if closed_at:
                        case_status, next_due = "closed", ""
                    elif first_contact:
                        case_status = "active"
                        # The next attempt or action: about a quarter overdue.
                        next_due = _ts(now + (rng.random() * 40 - 10) * DAY)
                    else:
                        case_status, next_due = "awaiting_contact", _ts(contact_by)
                    w["referrals_case"](
                        f"{case_id}\t{referral_id}\t{provider}\t{reference}\t"
                        f"{case_advocate or chr(92) + 'N'}\t{case_status}\t{risk}\t{_ts(opened)}\t"
                        f"{closed_at or chr(92) + 'N'}\t{reason}\t{_ts(contact_by)}\t"
                        f"{next_due or chr(92) + 'N'}\n"
                    )
                    if reason == "support_completed" and rng.random() < 0.8:
                        base = [rng.randint(1, 3) for _ in range(5)]
                        after = [min(5, b + rng.choice((0, 1, 1, 2))) for b in base]
                        for stage, scores, at in (
                            ("intake", base, opened + DAY),
                            ("closure", after, closed_epoch),
                        ):
                            w["referrals_outcomemeasure"](
                                f"{next_id['referrals_outcomemeasure']}\t{case_id}\t{_ts(at)}\t"
                                f"{stage}\t" + "\t".join(map(str, scores)) + "\n"
                            )
                            next_id["referrals_outcomemeasure"] += 1
            if consent_police:
                force = world.force_of[area]
                referral_id = next_id["referrals_referral"]
                next_id["referrals_referral"] += 1
                delivered = created + 30 + rng.random() * 600
                acknowledged = age_days > 2 and rng.random() < 0.9
                w["referrals_referral"](
                    f"{referral_id}\t{report_id}\tpolice\t\\N\t{force}\t"
                    f"The victim asked for the police to be told\t"
                    f"{'high' if high else 'standard'}\t{_ts(created)}\t{_ts(created + 2 * DAY)}\t"
                    f"delivered\t{_ts(delivered)}\t\\N\t\\N\t"
                    f"{'acknowledged' if acknowledged else ''}\t"
                    f"{_ts(delivered + DAY) if acknowledged else chr(92) + 'N'}\t\t\\N\t\n"
                )
                if acknowledged and rng.random() < 0.7:
                    result = pick(rng, police_outcomes) if age_days > 30 else ""
                    w["referrals_policeresponse"](
                        f"{next_id['referrals_policeresponse']}\t{referral_id}\t"
                        f"CR/{report_id % 1_000_000:06d}/{occurred.year % 100:02d}\t{result}\t"
                        f"{_ts(min(now, delivered + (2 + rng.random() * 60) * DAY))}\n"
                    )
                    next_id["referrals_policeresponse"] += 1
        yield out


def command_grow(total: int) -> dict[str, Any]:
    from django.utils import timezone

    started = time.monotonic()
    connection = _connect()
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reports_report")
        (have,) = cursor.fetchone()
        ids = _next_ids(cursor)
    wanted = total - have
    if wanted <= 0:
        return {"reports": 0, "rows": 0, "seconds": 0.0}
    seed = ids["reports_report"]
    world = World()
    pools = Pools(wanted, seed)
    now = timezone.now()
    # Five UK financial years: from 1 April four years before this one's to now.
    first = financial_year_start(now.date())
    first = first.replace(year=first.year - 4)
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    times = submission_times(wanted, start, now, seed)

    batches: queue.Queue[dict[str, io.StringIO] | None] = queue.Queue(maxsize=2)
    rows = 0
    failure: list[BaseException] = []

    def copy_batches() -> None:
        nonlocal rows
        try:
            with connection.cursor() as cursor:
                # Rows are consistent by construction; skip the per-row FK triggers.
                cursor.execute("SET session_replication_role = replica")
                cursor.execute("SET synchronous_commit = off")
                while (batch := batches.get()) is not None:
                    for table, buffer in batch.items():
                        buffer.seek(0)
                        cursor.copy_expert(
                            f"COPY {table} ({COLUMNS[table]}) FROM STDIN", buffer, size=1 << 20
                        )
                        rows += cursor.rowcount
        except BaseException as exc:
            failure.append(exc)
            while batches.get() is not None:
                pass

    copier = threading.Thread(target=copy_batches)
    copier.start()
    try:
        for batch in generate(world, pools, ids, times, seed, now.timestamp()):
            if failure:
                break
            batches.put(batch)
    finally:
        batches.put(None)
        copier.join()
    if failure:
        raise failure[0]
    copied = time.monotonic()
    with connection.cursor() as cursor:
        for table in TABLES:
            highest = f"(SELECT greatest(max(id), 1) FROM {table})"  # noqa: S608 (our names)
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), {highest})", [table])
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}")
    connection.close()
    finished = time.monotonic()
    return {
        "reports": wanted,
        "rows": rows,
        "seconds": round(finished - started, 1),
        "copy_seconds": round(copied - started, 1),
        "analyze_seconds": round(finished - copied, 1),
        "reports_per_second": round(wanted / (finished - started)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.data")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("grow").add_argument("total", type=int)
    commands.add_parser("staff")
    commands.add_parser("insights")
    queries = commands.add_parser("queries")
    queries.add_argument("cookie")
    queries.add_argument("path")
    options = parser.parse_args(argv)
    _django()
    if options.command == "grow":
        result: Any = command_grow(options.total)
    elif options.command == "staff":
        result = command_staff()
    elif options.command == "insights":
        from grants.tasks import insights_refresh_task

        started = time.monotonic()
        pictures = insights_refresh_task()
        result = {"pictures": pictures, "seconds": round(time.monotonic() - started, 2)}
    else:
        result = command_queries(options.cookie, options.path)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
