"""Files that pass the first look but must never become accepted evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from evidence.models import CustodyEvent, EvidenceItem
from evidence.tests.conftest import (
    jpeg_html_polyglot,
    jpeg_zip_polyglot,
    pdf_with_eicar,
    png_bomb,
)
from evidence.tests.helpers import ALICE, processed
from evidence.views import STATUS_TEXT, item_view

pytestmark = pytest.mark.django_db


@pytest.fixture
def police(db: None) -> User:
    user = User.objects.create_user("priya", password="x" * 16, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_evidenceitem", "download_original"])
    )
    return user


def _never_served(client: Client, user: User, item: EvidenceItem) -> None:
    client.force_login(user)
    for version in ("original", "thumbnail", "shareable", "poster"):
        response = client.get(f"/staff/evidence/{item.pk}/{version}/")
        assert response.status_code == 404, version


def test_eicar_is_quarantined_reporter_told_kindly_staff_see_why(
    clamd: str, client: Client, police: User
) -> None:
    item = processed(pdf_with_eicar(), filename="letter.pdf")
    assert item.status == EvidenceItem.Status.QUARANTINED
    assert item.status_reason == "Test.EICAR.UNOFFICIAL"
    assert item.custody.filter(action=CustodyEvent.Action.QUARANTINED).exists()
    assert "This is not your fault" in item_view(item)["status_text"]
    client.force_login(police)
    admin_page = client.get(f"/staff/evidence/evidenceitem/{item.pk}/change/")
    assert b"Test.EICAR" in admin_page.content
    _never_served(client, police, item)


@pytest.mark.parametrize("data", [jpeg_zip_polyglot(), jpeg_html_polyglot()], ids=["zip", "html"])
def test_jpeg_polyglots_are_rejected(clamd: str, client: Client, police: User, data: bytes) -> None:
    item = processed(data, filename="photo.jpg")
    assert item.kind == "image"
    assert item.status == EvidenceItem.Status.REJECTED
    assert "image" in item.status_reason
    _never_served(client, police, item)


def test_png_decompression_bomb_is_rejected(clamd: str, client: Client, police: User) -> None:
    data = png_bomb()
    assert len(data) < 100_000
    item = processed(data, filename="bomb.png")
    assert item.status == EvidenceItem.Status.REJECTED
    assert item.status_reason == "image has too many pixels"
    assert item_view(item)["status_text"] == STATUS_TEXT[EvidenceItem.Status.REJECTED]
    _never_served(client, police, item)


def test_image_just_over_the_pixel_limit_is_rejected(clamd: str, settings: Any) -> None:
    settings.EVIDENCE_MAX_IMAGE_PIXELS = 1000
    from evidence.tests.conftest import png_bytes

    item = processed(png_bytes((40, 30)))
    assert item.status == EvidenceItem.Status.REJECTED


def test_truncated_video_is_rejected(
    clamd: str, media_dir: Path, client: Client, police: User
) -> None:
    whole = (media_dir / "clip.mp4").read_bytes()
    item = processed(whole[: len(whole) // 2], filename="clip.mp4")
    assert item.kind == "video"
    assert item.status == EvidenceItem.Status.REJECTED
    _never_served(client, police, item)


def test_nothing_is_shown_to_staff_before_it_is_scanned(client: Client, police: User) -> None:
    from evidence.tests.conftest import png_bytes
    from evidence.tests.helpers import upload_bytes

    item = upload_bytes(png_bytes(), owner=ALICE)
    _never_served(client, police, item)
