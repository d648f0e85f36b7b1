"""Who sees which referrals in the staff site. The cast: Alice works for
Galop, Bob is the Metropolitan Police's liaison, Tess is a triage officer,
and Charlie is staff with no organisation, who should see nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from audit.roles import Role
from referrals.models import Delivery, Referral, RoutingRule, Service, StaffMembership
from referrals.services import delivery_send
from referrals.tests.conftest import report_post
from reports.models import PoliceForce, Strand
from tests.staff import verified_client

pytestmark = pytest.mark.django_db


def _staff(username: str, *perms: str, role: Role | None = None) -> User:
    user = User.objects.create_user(username, password="x" * 16, is_staff=True)
    if role is not None:  # what they do (issue 5's roles); the membership says for whom
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="referrals", codename__in=["view_referral", *perms]
        )
    )
    return user


@pytest.fixture
def cast(client: Client, galop_lgbt: Service) -> dict[str, object]:
    RoutingRule.objects.create(
        strand=Strand.objects.get(code="race"), service=galop_lgbt, priority=1
    )
    report = report_post(client)
    for referral in report.referrals.all():
        delivery_send(delivery_id=Delivery.objects.get(referral=referral).pk)
    alice = _staff("alice", role=Role.PROVIDER_MANAGER)
    bob = _staff("bob", role=Role.POLICE_LIAISON)
    charlie = _staff("charlie")
    tess = _staff("tess", "view_all_referrals", role=Role.TRIAGE_OFFICER)
    StaffMembership.objects.create(user=alice, provider=galop_lgbt.provider)
    StaffMembership.objects.create(
        user=bob, police_force=PoliceForce.objects.get(code="metropolitan")
    )
    return {
        "alice": alice,
        "bob": bob,
        "charlie": charlie,
        "tess": tess,
        "support": report.referrals.get(kind="support"),
        "police": report.referrals.get(kind="police"),
    }


def _listed(user: object) -> set[int]:
    assert isinstance(user, User)
    client = verified_client(user)
    response = client.get("/staff/referrals/referral/")
    if response.status_code == 403:  # no role that reads referrals: the page is not theirs
        return set()
    assert response.status_code == 200
    return {r.pk for r in response.context["cl"].queryset}


def test_provider_staff_see_only_their_providers_referrals(cast: dict[str, object]) -> None:
    support = cast["support"]
    assert isinstance(support, Referral)
    assert _listed(cast["alice"]) == {support.pk}


def test_police_liaison_sees_only_their_forces_referrals(cast: dict[str, object]) -> None:
    police = cast["police"]
    assert isinstance(police, Referral)
    assert _listed(cast["bob"]) == {police.pk}


def test_staff_with_no_organisation_see_nothing(cast: dict[str, object]) -> None:
    assert _listed(cast["charlie"]) == set()
    client = verified_client(cast["charlie"])  # type: ignore[arg-type]
    police = cast["police"]
    assert isinstance(police, Referral)
    response = client.get(f"/staff/referrals/referral/{police.pk}/change/")
    assert response.status_code == 404  # a guessed id answers 404 (issue 5)


def test_triage_sees_every_referral(cast: dict[str, object]) -> None:
    assert len(_listed(cast["tess"])) == 2


def test_provider_staff_see_what_the_victim_shared_with_them(cast: dict[str, object]) -> None:
    client = verified_client(cast["alice"])  # type: ignore[arg-type]
    support = cast["support"]
    assert isinstance(support, Referral)
    page = client.get(f"/staff/referrals/referral/{support.pk}/change/").content.decode()
    assert "amara.okafor@example.org" in page
    assert "Two men shouted abuse" not in page  # the account is for the police only


def test_police_liaison_acknowledges_in_the_staff_site(cast: dict[str, object]) -> None:
    bob, police = cast["bob"], cast["police"]
    assert isinstance(bob, User) and isinstance(police, Referral)
    bob.user_permissions.add(Permission.objects.get(codename="change_referral"))
    client = verified_client(bob)
    response = client.post(
        "/staff/referrals/referral/",
        {"action": "acknowledge", "_selected_action": [police.pk]},
    )
    assert response.status_code == 302
    police.refresh_from_db()
    assert police.outcome == "acknowledged"
    assert police.events.get(kind="acknowledged").acting_user == bob


def test_staff_cannot_act_on_another_organisations_referral(cast: dict[str, object]) -> None:
    alice, police = cast["alice"], cast["police"]
    assert isinstance(alice, User) and isinstance(police, Referral)
    alice.user_permissions.add(Permission.objects.get(codename="change_referral"))
    client = verified_client(alice)
    client.post(
        "/staff/referrals/referral/", {"action": "acknowledge", "_selected_action": [police.pk]}
    )
    police.refresh_from_db()
    assert police.outcome == ""
