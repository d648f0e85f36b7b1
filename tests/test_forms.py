"""Every page's validation, as the reporter meets it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from reports.forms import PeopleForm, SupportForm, WhatForm, WhereForm, WhoForm, WhyForm

pytestmark = pytest.mark.usefixtures("reference_data")


def errors(form: Any) -> dict[str, list[str]]:
    form.is_valid()
    return {field: [e["code"] for e in errs] for field, errs in form.errors.get_json_data().items()}


def test_who_requires_a_role_and_the_anonymity_choice() -> None:
    assert errors(WhoForm(data={})) == {"reporter_role": ["required"], "anonymous": ["required"]}


def test_who_organisation_needs_its_name() -> None:
    form = WhoForm(data={"reporter_role": "organisation", "anonymous": "no"})
    assert errors(form) == {"organisation_name": ["required"]}


def test_who_drops_organisation_name_for_other_roles() -> None:
    form = WhoForm(data={"reporter_role": "victim", "anonymous": "yes", "organisation_name": "X"})
    assert form.is_valid()
    assert form.cleaned_data == {
        "reporter_role": "victim",
        "anonymous": True,
        "organisation_name": "",
    }


def test_who_rejects_an_unknown_role() -> None:
    assert errors(WhoForm(data={"reporter_role": "admin", "anonymous": "no"})) == {
        "reporter_role": ["invalid_choice"]
    }


WHAT = {
    "incident_types": ["verbal-abuse"],
    "account": "Shouted at",
    "when_kind": "date",
    "occurred_on": "2026-01-02",
    "still_happening": "no",
}


def test_what_accepts_a_dated_incident() -> None:
    form = WhatForm(data=WHAT)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["occurred_on"] == datetime.date(2026, 1, 2)


def test_what_accepts_a_british_date() -> None:
    assert WhatForm(data={**WHAT, "occurred_on": "02/01/2026"}).is_valid()


def test_what_requires_type_account_when_and_whether_ongoing() -> None:
    assert errors(WhatForm(data={})) == {
        "incident_types": ["required"],
        "account": ["required"],
        "when_kind": ["required"],
        "still_happening": ["required"],
    }


def test_what_rejects_an_unknown_incident_type() -> None:
    assert errors(WhatForm(data={**WHAT, "incident_types": ["tea-party"]})) == {
        "incident_types": ["invalid_choice"]
    }


def test_what_other_type_needs_a_description() -> None:
    assert errors(WhatForm(data={**WHAT, "incident_types": ["other"]})) == {
        "other_incident_type": ["required"]
    }


def test_what_date_cannot_be_in_the_future() -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert errors(WhatForm(data={**WHAT, "occurred_on": tomorrow.isoformat()})) == {
        "occurred_on": ["future"]
    }


def test_what_date_must_be_real() -> None:
    assert errors(WhatForm(data={**WHAT, "occurred_on": "2026-02-30"})) == {
        "occurred_on": ["invalid"]
    }


def test_what_dated_incident_needs_the_date() -> None:
    assert errors(WhatForm(data={**WHAT, "occurred_on": ""})) == {"occurred_on": ["required"]}


def test_what_period_needs_a_start_and_an_end_after_it() -> None:
    period = {**WHAT, "when_kind": "period", "occurred_on": ""}
    assert errors(WhatForm(data=period)) == {"period_start": ["required"]}
    backwards = {**period, "period_start": "2026-03-01", "period_end": "2026-02-01"}
    assert errors(WhatForm(data=backwards)) == {"period_end": ["before_start"]}
    form = WhatForm(data={**period, "period_start": "2026-01-01", "occurred_on": "2026-01-05"})
    assert form.is_valid()
    assert form.cleaned_data["occurred_on"] is None


def test_what_account_is_bounded() -> None:
    assert errors(WhatForm(data={**WHAT, "account": "x" * 20001})) == {"account": ["max_length"]}


def test_what_refuses_null_characters() -> None:
    assert errors(WhatForm(data={**WHAT, "account": "a\x00b"})) == {
        "account": ["null_characters_not_allowed"]
    }


WHERE = {"location_kind": "street", "area": "E09000022", "location_description": "High Street"}


def test_where_street_needs_a_place_or_postcode() -> None:
    assert errors(WhereForm(data={**WHERE, "location_description": ""})) == {
        "location_description": ["required"]
    }
    assert WhereForm(data={**WHERE, "location_description": "", "postcode": "sw9 8eq"}).is_valid()


def test_where_normalises_and_checks_the_postcode() -> None:
    form = WhereForm(data={**WHERE, "postcode": " sw1a   2aa "})
    assert form.is_valid()
    assert form.cleaned_data["postcode"] == "SW1A 2AA"
    assert errors(WhereForm(data={**WHERE, "postcode": "NOT A CODE"})) == {"postcode": ["invalid"]}


def test_where_online_needs_the_platform_and_drops_street_details() -> None:
    online = {"location_kind": "online", "area": "force:kent", "location_description": "home"}
    assert errors(WhereForm(data=online)) == {"online_platform": ["required"]}
    form = WhereForm(
        data={**online, "online_platform": "A social network", "online_link": "example.com/p/1"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["location_description"] == ""
    assert form.cleaned_data["online_link"] == "https://example.com/p/1"


def test_where_requires_a_known_area() -> None:
    assert errors(WhereForm(data={**WHERE, "area": "atlantis"})) == {"area": ["invalid_choice"]}


def test_why_needs_a_strand_or_another_reason() -> None:
    assert errors(WhyForm(data={})) == {"strands": ["required"]}
    assert WhyForm(data={"other_motivation": "Because of my age"}).is_valid()
    assert WhyForm(data={"strands": ["disability", "transgender"]}).is_valid()


def test_why_rejects_an_unknown_strand() -> None:
    assert errors(WhyForm(data={"strands": ["astrology"]})) == {"strands": ["invalid_choice"]}


def test_people_requires_both_questions() -> None:
    assert errors(PeopleForm(data={})) == {
        "perpetrator_known": ["required"],
        "happened_before": ["required"],
    }


SUPPORT = {"wants_support": "yes", "wants_police_told": "no"}


def test_support_wanting_contact_needs_a_way_to_be_contacted() -> None:
    assert errors(SupportForm(data=SUPPORT)) == {"contact_methods": ["required"]}


def test_support_chosen_methods_need_their_details() -> None:
    form = SupportForm(data={**SUPPORT, "contact_methods": ["email", "text"]})
    assert errors(form) == {"contact_email": ["required"], "contact_phone": ["required"]}


def test_support_checks_email_and_phone_formats() -> None:
    form = SupportForm(
        data={
            **SUPPORT,
            "contact_methods": ["email", "phone"],
            "contact_email": "nope",
            "contact_phone": "call me",
        }
    )
    assert errors(form) == {"contact_email": ["invalid"], "contact_phone": ["invalid"]}


def test_support_for_an_anonymous_reporter_asks_and_keeps_no_contact_details() -> None:
    form = SupportForm(
        data={**SUPPORT, "contact_email": "a@example.org", "consent_share_with_police": "on"},
        answers={"who": {"anonymous": True}},
    )
    assert "contact_email" not in form.fields
    assert form.is_valid(), form.errors
    assert form.cleaned_data["contact_email"] == ""
    assert form.cleaned_data["consent_share_with_police"] is False
    assert form.cleaned_data["contact_methods"] == []
