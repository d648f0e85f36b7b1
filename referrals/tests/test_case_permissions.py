"""Who sees which referral and case: every role x every casework model x
every admin view (list, change, history, delete, autocomplete).

Each role sees exactly its rows; Nina (staff, no role) sees nothing; an id
guessed across providers or forces answers 404 and the attempt is logged.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from audit.models import AccessLogEntry
from referrals.case_models import Case, CaseAction
from referrals.models import Referral
from referrals.tests.casework import Casework, casework_build
from tests.staff import signed_in

pytestmark = pytest.mark.usefixtures("reference_data")

EVERYONE = [
    "tara",
    "sam",
    "manny",
    "ada",
    "abe",
    "mo",
    "bea",
    "pete",
    "paula",
    "cora",
    "rita",
    "nina",
]

# Which cases each person may open (None: the page is not theirs at all, 403).
CASES: dict[str, set[str] | None] = {
    "tara": {"a1", "a2", "b1"},
    "sam": {"a1", "a2", "b1"},
    "manny": {"a1", "a2"},
    "ada": {"a1"},
    "abe": {"a2"},
    "mo": {"b1"},
    "bea": {"b1"},
    "pete": None,
    "paula": None,
    "cora": None,
    "rita": None,
    "nina": None,
}
ALL_REFERRALS = {
    "c1",
    "a1",
    "a2",
    "a3",
    "b1",
    "a1-police",
    "a2-police",
    "a3-police",
    "b1-police",
    "c1-police",
}
REFERRALS: dict[str, set[str] | None] = {
    "tara": ALL_REFERRALS,
    "sam": ALL_REFERRALS,
    "manny": {"a1", "a2", "a3"},
    "ada": {"a1", "a3"},
    "abe": {"a2", "a3"},
    "mo": {"b1"},
    "bea": {"b1"},
    "pete": {"a1-police", "a2-police", "a3-police", "b1-police"},
    "paula": {"c1-police"},
    "cora": None,
    "rita": None,
    "nina": None,
}


@pytest.fixture
def casework() -> Casework:
    return casework_build()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Dozens of sign-ins: the production hasher (Argon2) is not under test here.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


class Clients(dict[str, Client]):
    """Each person signed in (with a real TOTP code) the first time they are needed."""

    def __init__(self, casework: Casework) -> None:
        super().__init__()
        self.casework = casework

    def __missing__(self, name: str) -> Client:
        client = signed_in(self.casework.user(name))
        self[name] = client
        return client


@pytest.fixture
def clients(casework: Casework) -> Clients:
    return Clients(casework)


def _listed(client: Client, url: str) -> set[int] | None:
    response = client.get(url)
    if response.status_code == 403:
        return None
    assert response.status_code == 200, (url, response.status_code)
    return {obj.pk for obj in response.context["cl"].result_list}


def _ids(objects: dict[str, Any], names: set[str] | None) -> set[int] | None:
    return None if names is None else {objects[name].pk for name in names}


@pytest.mark.parametrize("person", EVERYONE)
def test_each_person_sees_exactly_their_cases_and_referrals(
    person: str, casework: Casework, clients: dict[str, Client]
) -> None:
    client = clients[person]
    assert Case.objects.visible_to(casework.user(person)).count() == len(CASES[person] or ())
    assert _listed(client, "/staff/referrals/case/") == _ids(casework.cases, CASES[person])
    assert _listed(client, "/staff/referrals/referral/") == _ids(
        casework.referrals, REFERRALS[person]
    )
    assert _listed(client, "/staff/referrals/caseaction/") == _ids(casework.actions, CASES[person])


@pytest.mark.parametrize("person", EVERYONE)
def test_object_pages_open_only_inside_scope_and_404_outside(
    person: str, casework: Casework, clients: dict[str, Client]
) -> None:
    client = clients[person]
    for model, objects, scope in (
        ("case", casework.cases, CASES),
        ("referral", casework.referrals, REFERRALS),
        ("caseaction", casework.actions, CASES),
    ):
        rows: dict[str, Any] = objects
        allowed = scope[person] or set()
        for name, obj in rows.items():
            base = f"/staff/referrals/{model}/{obj.pk}"
            change = client.get(f"{base}/change/")
            history = client.get(f"{base}/history/")
            delete = client.get(f"{base}/delete/")
            if name in allowed:
                assert (change.status_code, history.status_code) == (200, 200), (name, base)
                assert "no-store" in change["Cache-Control"]
                # Nobody deletes casework records from the staff site.
                assert delete.status_code == 403
            else:
                assert (change.status_code, history.status_code, delete.status_code) == (
                    404,
                    404,
                    404,
                ), (name, base)


@pytest.mark.parametrize("person", EVERYONE)
def test_case_autocomplete_offers_only_visible_cases(
    person: str, casework: Casework, clients: dict[str, Client]
) -> None:
    response = clients[person].get(
        "/staff/autocomplete/",
        {"app_label": "referrals", "model_name": "caseaction", "field_name": "case", "term": ""},
    )
    if CASES[person] is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    ids = {int(item["id"]) for item in response.json()["results"]}
    assert ids == _ids(casework.cases, CASES[person])


def test_a_guessed_case_id_from_another_provider_is_404_and_logged(
    casework: Casework, clients: dict[str, Client]
) -> None:
    galop_case = casework.cases["b1"]
    response = clients["ada"].get(f"/staff/referrals/case/{galop_case.pk}/change/")
    assert response.status_code == 404
    assert b"b1@example.org" not in response.content
    denied = AccessLogEntry.objects.get(actor_username="ada", outcome="denied")
    assert (denied.object_type, denied.object_id) == ("referrals.case", str(galop_case.pk))


def test_opening_a_case_is_logged_with_its_reference(
    casework: Casework, clients: dict[str, Client]
) -> None:
    case = casework.cases["a1"]
    page = clients["ada"].get(f"/staff/referrals/case/{case.pk}/change/")
    assert b"a1@example.org" in page.content  # decrypted for this viewer
    entry = AccessLogEntry.objects.filter(actor_username="ada", outcome="allowed").latest("id")
    assert (entry.object_type, entry.report_reference) == ("referrals.case", case.reference)
    assert "a1@example.org" not in str(entry.detail)


def test_police_see_only_what_the_victim_shared_with_them(
    casework: Casework, clients: dict[str, Client]
) -> None:
    referral = casework.referrals["a1-police"]
    page = clients["pete"].get(f"/staff/referrals/referral/{referral.pk}/change/")
    assert page.status_code == 200
    assert b"Two men shouted abuse" in page.content  # the account: consented for police
    support = casework.referrals["a1"]
    assert clients["pete"].get(f"/staff/referrals/referral/{support.pk}/change/").status_code == 404


def test_support_services_never_see_the_account(
    casework: Casework, clients: dict[str, Client]
) -> None:
    page = clients["ada"].get(f"/staff/referrals/referral/{casework.referrals['a3'].pk}/change/")
    assert page.status_code == 200
    assert b"a3@example.org" in page.content
    assert b"Two men shouted abuse" not in page.content


def test_a_withdrawn_police_consent_takes_the_referral_out_of_the_forces_view(
    casework: Casework,
) -> None:
    from reports.services import report_consent_withdraw

    referral = casework.referrals["a1-police"]
    report_consent_withdraw(report=referral.report, police=True, support=False)
    assert not Referral.objects.visible_to(casework.user("pete")).filter(pk=referral.pk).exists()


def test_membership_pages_are_for_system_administrators_only(
    casework: Casework, clients: dict[str, Client]
) -> None:
    for person in EVERYONE:
        status = clients[person].get("/staff/referrals/staffmembership/").status_code
        assert status == (200 if person == "sam" else 403), person


def test_an_advocate_cannot_see_actions_on_another_advocates_case(casework: Casework) -> None:
    assert set(CaseAction.objects.visible_to(casework.user("abe"))) == {casework.actions["a2"]}


CONFIGURATION = ["provider", "service", "routingrule", "policeforcechannel", "providerapitoken"]


@pytest.mark.parametrize("person", EVERYONE)
def test_only_system_administrators_configure_the_directory(
    person: str, casework: Casework, clients: dict[str, Client]
) -> None:
    for model in CONFIGURATION:
        listing = clients[person].get(f"/staff/referrals/{model}/")
        if person == "sam":
            assert listing.status_code == 200, model
        elif person == "tara" and model in ("provider", "service", "routingrule"):
            assert listing.status_code == 200, model  # triage reviews routing
        else:
            assert listing.status_code == 403, (person, model)
    add = clients[person].get("/staff/referrals/routingrule/add/")
    assert add.status_code == (200 if person == "sam" else 403)
