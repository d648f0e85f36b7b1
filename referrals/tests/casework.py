"""A fixed cast and their casework, for the caseload and permission tests.

Two providers (CST: manager Manny, advocates Ada and Abe; Galop: manager Mo,
advocate Bea), two police forces (Pete at the Met, Paula at City of London),
triage (Tara), a system administrator (Sam), a commissioning officer (Cora),
a reporting centre worker (Rita), and Nina, who has a staff account and no
role: she must see nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User

from audit.roles import Role
from referrals.case_models import Case, CaseAction
from referrals.case_services import case_action_add, membership_add
from referrals.models import Delivery, Provider, Referral
from referrals.services import delivery_send, referral_accept
from reports.models import PoliceForce, Report
from tests.conftest import VALID_REPORT
from tests.helpers import submit
from tests.staff import make_staff


def report_data(*, strands: list[str], area: str = "E09000022", **support: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID_REPORT)
    data["why"]["strands"] = strands
    data["where"]["area"] = area
    data["support"].update(support)
    return data


def delivered_report(data: dict[str, Any]) -> Report:
    """Submit a report and deliver every referral it implies (email notices)."""
    report = submit(data).report
    for delivery in Delivery.objects.filter(referral__report=report):
        delivery_send(delivery_id=delivery.pk)
    return report


def support_referral(report: Report) -> Referral:
    return report.referrals.get(kind="support")


def police_referral(report: Report) -> Referral:
    return report.referrals.get(kind="police")


@dataclass
class Casework:
    users: dict[str, User] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    referrals: dict[str, Referral] = field(default_factory=dict)
    actions: dict[str, CaseAction] = field(default_factory=dict)

    def user(self, name: str) -> User:
        return self.users[name]


def casework_build() -> Casework:
    cast = Casework()
    cst = Provider.objects.get(slug="cst")
    galop = Provider.objects.get(slug="galop")
    met = PoliceForce.objects.get(code="metropolitan")
    city = PoliceForce.objects.get(code="city-of-london")
    roles = {
        "tara": (Role.TRIAGE_OFFICER, None),
        "sam": (Role.SYSTEM_ADMINISTRATOR, None),
        "manny": (Role.PROVIDER_MANAGER, cst),
        "ada": (Role.ADVOCATE, cst),
        "abe": (Role.ADVOCATE, cst),
        "mo": (Role.PROVIDER_MANAGER, galop),
        "bea": (Role.ADVOCATE, galop),
        "pete": (Role.POLICE_LIAISON, met),
        "paula": (Role.POLICE_LIAISON, city),
        "cora": (Role.COMMISSIONING_OFFICER, None),
        "rita": (Role.REPORTING_CENTRE_WORKER, None),
    }
    for name, (role, organisation) in roles.items():
        user = make_staff(name, role)
        cast.users[name] = user
        if isinstance(organisation, Provider):
            membership_add(user=user, provider=organisation, acting_user=None)
        elif isinstance(organisation, PoliceForce):
            membership_add(user=user, police_force=organisation, acting_user=None)
    cast.users["nina"] = make_staff("nina")

    # CST: two cases (Ada's, Abe's) and one referral nobody has taken yet.
    for name, advocate in (("a1", "ada"), ("a2", "abe"), ("a3", None)):
        report = delivered_report(
            report_data(strands=["race", "religion"], contact_email=f"{name}@example.org")
        )
        referral = support_referral(report)
        cast.referrals[name] = referral
        cast.referrals[f"{name}-police"] = police_referral(report)
        if advocate is not None:
            referral_accept(
                referral=referral, advocate=cast.users[advocate], acting_user=cast.users[advocate]
            )
            cast.cases[name] = Case.objects.get(referral=referral)
    # Galop: Bea's case.
    report = delivered_report(report_data(strands=["disability"], contact_email="b1@example.org"))
    cast.referrals["b1"] = support_referral(report)
    cast.referrals["b1-police"] = police_referral(report)
    referral_accept(
        referral=cast.referrals["b1"], advocate=cast.users["bea"], acting_user=cast.users["bea"]
    )
    cast.cases["b1"] = Case.objects.get(referral=cast.referrals["b1"])
    # City of London: a police referral for Paula's force.
    report = delivered_report(
        report_data(
            strands=["sexual-orientation"], area="E09000001", contact_email="c1@example.org"
        )
    )
    cast.referrals["c1-police"] = police_referral(report)
    cast.referrals["c1"] = support_referral(report)  # Survivors UK: nobody in the cast works there
    for name, case in cast.cases.items():
        cast.actions[name] = case_action_add(
            case=case,
            acting_user=cast.users["manny"] if name.startswith("a") else cast.users["mo"],
            description=f"Call back about {name}",
            due_on=case.opened_at.date(),
        )
    return cast
