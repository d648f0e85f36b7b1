"""Files that pass the first look but must never become accepted evidence."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from audit.roles import Role
from evidence.models import CustodyEvent, EvidenceItem
from evidence.tests.conftest import (
    jpeg_html_polyglot,
    jpeg_zip_polyglot,
    pdf_with_eicar,
    png_bomb,
)
from evidence.tests.helpers import ALICE, processed, staff_client
from evidence.views import STATUS_TEXT, item_view
from reports.models import Report
from tests.conftest import VALID_REPORT
from tests.helpers import submit
from tests.staff import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def _report() -> Report:
    return submit(copy.deepcopy(VALID_REPORT)).report


@pytest.fixture
def police(db: None) -> User:
    # Triage: may have every version of every report's files, when clean.
    return make_staff("tara", Role.TRIAGE_OFFICER)


def _never_served(client: Client, user: User, item: EvidenceItem) -> None:
    if item.report_id is None:
        # Attached directly (a rejected file is never claimed by a report):
        # even on a report, nothing but a clean file is ever served.
        EvidenceItem.objects.filter(pk=item.pk).update(report=_report())
    client = staff_client(user)
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
    _never_served(client, police, item)
    admin_page = staff_client(police).get(f"/staff/evidence/evidenceitem/{item.pk}/change/")
    assert b"Test.EICAR" in admin_page.content


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
