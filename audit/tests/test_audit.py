from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.middleware import ACTIVE_KEY
from audit.models import AccessLogEntry
from audit.receivers import OTP_VERIFIED_AT
from audit.services import audit_record, audit_verify

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple 42"


def make_staff(username: str, *groups: str, superuser: bool = False) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=True)
    user.is_superuser = superuser
    user.save()
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def totp_token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def sign_in(client: Client, user: User, token: str) -> Any:
    return client.post(
        "/staff/login/",
        {"username": user.username, "password": PASSWORD, "otp_token": token, "next": "/staff/"},
    )


def signed_in_client(user: User) -> Client:
    client = Client()
    device = TOTPDevice.objects.create(user=user, name="phone")
    assert sign_in(client, user, totp_token(device)).status_code == 302
    return client


# --- the log itself ----------------------------------------------------------


def test_entries_are_chained_and_verify() -> None:
    alice = make_staff("alice")
    for number in range(3):
        audit_record(
            actor=alice, action="view", object_type="reports.report", object_id=str(number)
        )
    entries = list(AccessLogEntry.objects.order_by("id"))
    assert entries[0].previous_hash == "0" * 64
    assert [e.previous_hash for e in entries[1:]] == [e.entry_hash for e in entries[:-1]]
    assert audit_verify() == []
    call_command("audit_verify")


def test_the_database_refuses_to_change_or_delete_entries() -> None:
    entry = audit_record(actor=None, action="view", object_type="reports.report", object_id="1")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).update(action="delete")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_accesslogentry")
    assert AccessLogEntry.objects.count() == 1


def test_tampering_behind_the_trigger_is_found_by_the_chain() -> None:
    for number in range(3):
        audit_record(actor=None, action="view", object_type="reports.report", object_id=str(number))
    middle = AccessLogEntry.objects.order_by("id")[1]
    # A database superuser can switch the trigger off; the hash chain still tells.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_accesslogentry DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE audit_accesslogentry SET object_id = '99' WHERE id = %s", [middle.pk]
        )
        cursor.execute("ALTER TABLE audit_accesslogentry ENABLE TRIGGER USER")
    assert audit_verify() == [middle.pk]
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit_verify")


def test_a_burst_of_views_raises_one_alert(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.AUDIT_BURST_THRESHOLD = 5
    mallory = make_staff("mallory")
    with django_capture_on_commit_callbacks() as callbacks:
        for number in range(8):
            audit_record(
                actor=mallory, action="view", object_type="reports.report", object_id=str(number)
            )
    alerts = AccessLogEntry.objects.filter(action="alert")
    assert alerts.count() == 1
    assert alerts.get().detail == {"reason": "burst", "count": 5, "window_seconds": 300}
    assert len(callbacks) == 1


def test_the_burst_alert_emails_system_administrators(mailoutbox: list[Any]) -> None:
    from audit.tasks import audit_alert_burst

    make_staff("sam", "System administrator")
    mallory = make_staff("mallory")
    audit_alert_burst(mallory.pk, 200)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["sam@example.org"]
    assert "mallory viewed 200 records" in mailoutbox[0].body


# --- signing in ----------------------------------------------------------------


def test_a_password_alone_does_not_open_the_staff_site() -> None:
    alice = make_staff("alice", superuser=True)
    TOTPDevice.objects.create(user=alice, name="phone")
    client = Client()
    response = sign_in(client, alice, "")
    assert response.status_code == 200
    assert client.get("/staff/").status_code == 302


def test_password_and_totp_open_the_staff_site_and_are_logged() -> None:
    alice = make_staff("alice", superuser=True)
    client = signed_in_client(alice)
    assert client.get("/staff/").status_code == 200
    entry = AccessLogEntry.objects.get(action="sign_in", outcome="allowed")
    assert entry.actor_username == "alice" and entry.detail == {"second_factor": "TOTPDevice"}


def test_a_backup_code_works_once() -> None:
    alice = make_staff("alice", superuser=True)
    device = StaticDevice.objects.create(user=alice, name="backup")
    device.token_set.create(token="bk123456")
    assert sign_in(Client(), alice, "bk123456").status_code == 302
    assert sign_in(Client(), alice, "bk123456").status_code == 200


def test_failed_sign_ins_are_logged_and_lock_the_account_out() -> None:
    alice = make_staff("alice", superuser=True)
    device = TOTPDevice.objects.create(user=alice, name="phone")
    client = Client()
    for _ in range(5):
        client.post(
            "/staff/login/",
            {"username": "alice", "password": "wrong password!", "otp_token": "000000"},
        )
    assert AccessLogEntry.objects.filter(action="sign_in", outcome="denied").count() >= 5
    locked = sign_in(client, alice, totp_token(device))
    assert locked.status_code == 429
    assert b"Account locked" in locked.content


def test_an_idle_staff_session_expires() -> None:
    alice = make_staff("alice", superuser=True)
    client = signed_in_client(alice)
    session = client.session
    session[ACTIVE_KEY] = time.time() - 31 * 60
    session.save()
    response = client.get("/staff/")
    assert response.status_code == 302 and "expired=1" in response["Location"]
    assert client.get("/staff/").status_code == 302


def test_a_sensitive_action_asks_for_the_second_factor_again() -> None:
    alice = make_staff("alice", superuser=True)
    client = signed_in_client(alice)
    session = client.session
    session[OTP_VERIFIED_AT] = time.time() - 16 * 60
    session.save()
    device = TOTPDevice.objects.get(user=alice)
    page = client.get("/staff/reverify/?next=/staff/audit/")
    assert page.status_code == 200
    device.refresh_from_db()
    device.last_t = -1
    device.save()
    done = client.post(
        "/staff/reverify/", {"otp_token": totp_token(device), "next": "/staff/audit/"}
    )
    assert done.status_code == 302 and done["Location"] == "/staff/audit/"
    assert time.time() - client.session[OTP_VERIFIED_AT] < 5


# --- reading the log -------------------------------------------------------------


def test_only_system_administrators_read_the_log() -> None:
    sam = make_staff("sam", "System administrator")
    advocate = make_staff("ada", "Advocate")
    audit_record(
        actor=advocate,
        action="view",
        object_type="reports.report",
        object_id="7",
        report_reference="HC-AAAA-BBBB",
    )
    admin_client = signed_in_client(sam)
    listing = admin_client.get("/staff/audit/accesslogentry/?report_reference=HC-AAAA-BBBB")
    assert listing.status_code == 200 and b"ada" in listing.content
    assert (
        admin_client.get(f"/staff/audit/accesslogentry/?actor_id={advocate.pk}").status_code == 200
    )
    entry = AccessLogEntry.objects.get(object_id="7")
    assert (
        admin_client.post(
            f"/staff/audit/accesslogentry/{entry.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()
    advocate_client = signed_in_client(advocate)
    assert advocate_client.get("/staff/audit/accesslogentry/").status_code == 403
