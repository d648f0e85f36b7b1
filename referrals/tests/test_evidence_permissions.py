"""Who sees which evidence: every role x every report's files x the serving
view and the evidence admin (issue 5's matrix, for evidence).

Triage and the system administrator: everything, originals included. A
provider's staff: the files of reports referred to their provider that
they may open, as location-stripped copies only. Police liaison: the files
of reports referred to their force with consent, originals with their
hashes. Commissioning officers, a reporting centre worker who entered none
of these reports, and Nina (no role): nothing. A guessed URL answers 404
and leaves a denied entry in the access log.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from audit.models import AccessLogEntry
from evidence.models import EvidenceItem
from evidence.selectors import evidence_visible_to
from evidence.tests.conftest import (  # noqa: F401 (fixtures)
    _evidence_settings,
    clamd,
    clamd_socket,
    jpeg_with_location,
)
from evidence.tests.helpers import claimed, processed, staff_client
from referrals.tests.casework import Casework, casework_build

pytestmark = [
    pytest.mark.usefixtures("reference_data", "_evidence_settings", "clamd"),
]

# Each report's photo, by the casework's report names (casework.py).
REPORTS = ["a1", "a2", "a3", "b1", "c1"]
ALL = set(REPORTS)
# person: (files they may see, whether they get the originals)
EVIDENCE: dict[str, tuple[set[str], bool]] = {
    "tara": (ALL, True),
    "sam": (ALL, True),
    "manny": ({"a1", "a2", "a3"}, False),
    "ada": ({"a1", "a3"}, False),
    "abe": ({"a2", "a3"}, False),
    "mo": ({"b1"}, False),
    "bea": ({"b1"}, False),
    "pete": ({"a1", "a2", "a3", "b1"}, True),
    "paula": ({"c1"}, True),
    "cora": (set(), False),
    "rita": (set(), False),
    "nina": (set(), False),
}


@pytest.fixture
def casework() -> Casework:
    return casework_build()


@pytest.fixture
def photos(casework: Casework) -> dict[str, EvidenceItem]:
    photos = {}
    for name in REPORTS:
        referral = casework.referrals[name if name != "c1" else "c1-police"]
        photos[name] = claimed(processed(jpeg_with_location()), referral.report)
    return photos


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


def _status(client: Client, item: EvidenceItem, version: str) -> int:
    return client.get(f"/staff/evidence/{item.pk}/{version}/").status_code


@pytest.mark.parametrize("person", list(EVIDENCE))
def test_each_person_gets_exactly_their_evidence_and_versions(
    person: str, casework: Casework, photos: dict[str, EvidenceItem]
) -> None:
    user = casework.user(person)
    seen, originals = EVIDENCE[person]
    assert set(evidence_visible_to(user).values_list("pk", flat=True)) == {
        photos[name].pk for name in seen
    }
    client = staff_client(user)
    for name, item in photos.items():
        expected_copy = 200 if name in seen else 404
        expected_original = 200 if name in seen and originals else 404
        assert _status(client, item, "thumbnail") == expected_copy, (name, "thumbnail")
        assert _status(client, item, "shareable") == expected_copy, (name, "shareable")
        assert _status(client, item, "original") == expected_original, (name, "original")
    denied = AccessLogEntry.objects.filter(actor_username=person, outcome="denied").count()
    refused = sum((name not in seen) * 3 + (name in seen and not originals) for name in photos)
    assert denied == refused


@pytest.mark.parametrize("person", list(EVIDENCE))
def test_the_evidence_admin_lists_only_their_evidence(
    person: str, casework: Casework, photos: dict[str, EvidenceItem]
) -> None:
    client = staff_client(casework.user(person))
    listing = client.get("/staff/evidence/evidenceitem/")
    seen, _originals = EVIDENCE[person]
    if person in ("cora", "nina"):
        assert listing.status_code == 403
        return
    assert listing.status_code == 200
    assert {item.pk for item in listing.context["cl"].result_list} == {
        photos[name].pk for name in seen
    }
    for name, item in photos.items():
        page = client.get(f"/staff/evidence/evidenceitem/{item.pk}/change/")
        assert page.status_code == (200 if name in seen else 404), name


def test_a_guessed_url_for_another_providers_evidence_is_404_and_logged(
    casework: Casework, photos: dict[str, EvidenceItem]
) -> None:
    galop_photo = photos["b1"]
    response = staff_client(casework.user("ada")).get(
        f"/staff/evidence/{galop_photo.pk}/shareable/"
    )
    assert response.status_code == 404
    denied = AccessLogEntry.objects.get(actor_username="ada", outcome="denied")
    assert (denied.action, denied.object_type, denied.object_id) == (
        "view",
        "evidence.evidenceitem",
        str(galop_photo.pk),
    )
    assert not galop_photo.custody.filter(acting_user=casework.user("ada")).exists()


def test_withdrawn_police_consent_takes_the_evidence_out_of_the_forces_view(
    casework: Casework, photos: dict[str, EvidenceItem]
) -> None:
    from reports.services import report_consent_withdraw

    report_consent_withdraw(
        report=casework.referrals["a1-police"].report, police=True, support=False
    )
    client = staff_client(casework.user("pete"))
    assert _status(client, photos["a1"], "original") == 404
    assert _status(client, photos["a2"], "original") == 200
