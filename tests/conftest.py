from __future__ import annotations

import copy
from typing import Any

import pytest

from referrals.demo import demo_providers_load
from reports.reference_data import reference_data_load

# A complete, valid report as the API takes it: one object per journey page.
VALID_REPORT: dict[str, Any] = {
    "who": {"reporter_role": "victim", "anonymous": False},
    "what": {
        "incident_types": ["verbal-abuse", "threats"],
        "account": "Two men shouted abuse at me at the bus stop and said they would hurt me.",
        "when_kind": "date",
        "occurred_on": "2026-11-01",
        "time_of_day": "evening",
        "still_happening": "no",
    },
    "where": {
        "location_kind": "street",
        "area": "E09000022",
        "location_description": "Bus stop on Brixton Road",
        "postcode": "SW9 8EQ",
    },
    "why": {"strands": ["race", "religion"], "motivation_evidence": "They used racist words."},
    "people": {
        "perpetrator_description": "Two men in their twenties",
        "perpetrator_known": "no",
        "happened_before": "yes",
    },
    "support": {
        "wants_support": True,
        "wants_police_told": True,
        "consent_share_with_police": True,
        "consent_share_with_support": True,
        "contact_name": "Amara Okafor",
        "contact_methods": ["email", "phone"],
        "contact_email": "amara.okafor@example.org",
        "contact_phone": "07700 900123",
        "safe_contact_times": "Weekdays after 6pm",
        "safe_to_leave_message": False,
        "preferred_language": "English",
    },
}


@pytest.fixture
def valid_report() -> dict[str, Any]:
    return copy.deepcopy(VALID_REPORT)


@pytest.fixture
def reference_data(db: None) -> None:
    reference_data_load()
    demo_providers_load()
