"""Serving evidence to staff: headers, hash verification, custody."""

from __future__ import annotations

import base64
import hashlib

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.storage import storages
from django.test import Client

from evidence.models import CustodyEvent, EvidenceItem
from evidence.tests.conftest import jpeg_with_location, pdf_plain
from evidence.tests.helpers import processed

pytestmark = pytest.mark.django_db


def _staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="x" * 16, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def police(db: None) -> User:
    return _staff("priya", "view_evidenceitem", "download_original")


@pytest.fixture
def advocate(db: None) -> User:
    return _staff("alice", "view_evidenceitem")


@pytest.fixture
def charlie(db: None) -> User:
    # Staff, but should have no access to anyone's evidence.
    return _staff("charlie")


def _body(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def _assert_safe_headers(response: object) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert response["Content-Security-Policy"] == "sandbox"  # type: ignore[index]
    assert "no-store" in response["Cache-Control"]  # type: ignore[index]


def test_police_download_the_original_with_its_hash(
    clamd: str, client: Client, police: User
) -> None:
    data = jpeg_with_location()
    item = processed(data, filename="bus stop.jpg")
    client.force_login(police)
    response = client.get(f"/staff/evidence/{item.pk}/original/")
    assert response.status_code == 200
    assert _body(response) == data
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Evidence-SHA256"] == hashlib.sha256(data).hexdigest()
    _assert_safe_headers(response)
    event = item.custody.get(action=CustodyEvent.Action.DOWNLOADED)
    assert (event.acting_user, event.version, event.sha256) == (police, "original", item.sha256)
    assert base64  # (hash is hex, as shown to staff)


def test_pdf_original_is_always_an_attachment(clamd: str, client: Client, police: User) -> None:
    item = processed(pdf_plain(), filename="letter.pdf")
    client.force_login(police)
    response = client.get(f"/staff/evidence/{item.pk}/original/")
    assert response["Content-Disposition"].startswith("attachment")
    _assert_safe_headers(response)


def test_support_sees_the_shareable_copy_but_not_the_original(
    clamd: str, client: Client, advocate: User
) -> None:
    item = processed(jpeg_with_location())
    client.force_login(advocate)
    assert client.get(f"/staff/evidence/{item.pk}/original/").status_code == 403
    response = client.get(f"/staff/evidence/{item.pk}/shareable/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    _assert_safe_headers(response)
    assert b"Acme" not in _body(response)  # EXIF (and GPS) gone
    viewed = item.custody.get(action=CustodyEvent.Action.VIEWED)
    assert (viewed.acting_user, viewed.version) == (advocate, "shareable")


def test_staff_without_permission_see_nothing(clamd: str, client: Client, charlie: User) -> None:
    item = processed(jpeg_with_location())
    client.force_login(charlie)
    for version in ("original", "thumbnail"):
        assert client.get(f"/staff/evidence/{item.pk}/{version}/").status_code == 404
    assert not item.custody.filter(action=CustodyEvent.Action.VIEWED).exists()


def test_public_cannot_reach_evidence(clamd: str, client: Client) -> None:
    item = processed(jpeg_with_location())
    response = client.get(f"/staff/evidence/{item.pk}/thumbnail/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_altered_file_is_not_served_and_the_failure_is_recorded(
    clamd: str, client: Client, police: User
) -> None:
    item = processed(jpeg_with_location())
    path = storages["default"].path(item.storage_name)
    with open(path, "r+b") as handle:
        handle.seek(100)
        handle.write(b"tampered")
    client.force_login(police)
    response = client.get(f"/staff/evidence/{item.pk}/original/")
    assert response.status_code == 409
    assert item.custody.filter(action=CustodyEvent.Action.INTEGRITY_FAILED).exists()
    assert not item.custody.filter(action=CustodyEvent.Action.DOWNLOADED).exists()


def test_custody_log_is_visible_to_staff(clamd: str, client: Client, police: User) -> None:
    item = processed(jpeg_with_location())
    client.force_login(police)
    client.get(f"/staff/evidence/{item.pk}/thumbnail/")
    page = client.get(f"/staff/evidence/evidenceitem/{item.pk}/change/")
    assert page.status_code == 200
    assert item.sha256.encode() in page.content
    assert b"Viewed" in page.content
    assert EvidenceItem.objects.count() == 1
