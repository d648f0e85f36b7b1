"""The evidence page of the web journey, without and with JavaScript's
chunked endpoints, and the video/audio statement on "what happened"."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from evidence.models import EvidenceItem, Upload
from evidence.tests.conftest import png_bytes
from reports import journey
from reports.api.serializers import as_form_data
from reports.models import Report

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("clip") / "bsl.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "1",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def answer(client: Client, report: dict[str, Any], *slugs: str) -> None:
    for slug in slugs:
        step = journey.step_for(slug)
        assert step is not None
        response = client.post(f"/report/{slug}/", as_form_data(report[slug], step))
        assert response.status_code == 302, (slug, response.content[:2000])


def up_to_evidence(client: Client, report: dict[str, Any]) -> None:
    answer(client, report, "who", "what", "where", "why", "people")


def test_files_added_without_javascript_are_claimed_on_submit(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    up_to_evidence(client, valid_report)
    page = client.get("/report/evidence/")
    assert page.status_code == 200
    assert b'type="file"' in page.content and b'enctype="multipart/form-data"' in page.content
    response = client.post(
        "/report/evidence/",
        {
            "action": "upload",
            "files": [
                SimpleUploadedFile("shouting.png", png_bytes(), "image/png"),
                SimpleUploadedFile("notes.png", b"just some text, not a picture", "image/png"),
            ],
        },
    )
    assert response.status_code == 400
    assert b"notes.png: This type of file cannot be added" in response.content
    assert b"shouting.png" in response.content
    assert client.post("/report/evidence/", {"action": "continue"}).status_code == 302
    answer(client, valid_report, "support")
    check = client.get("/report/check-your-answers/")
    assert b"shouting.png" in check.content
    assert client.post("/report/check-your-answers/").status_code == 302
    report = Report.objects.get()
    assert [item.filename for item in report.evidence.all()] == ["shouting.png"]


def test_reporter_can_remove_a_file_before_sending(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    up_to_evidence(client, valid_report)
    client.post(
        "/report/evidence/",
        {"action": "upload", "files": SimpleUploadedFile("a.png", png_bytes())},
    )
    item = EvidenceItem.objects.get()
    client.post("/report/evidence/", {"action": "remove", "item": str(item.pk)})
    assert not EvidenceItem.objects.exists()


def test_other_sessions_cannot_remove_my_file(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    up_to_evidence(client, valid_report)
    client.post(
        "/report/evidence/",
        {"action": "upload", "files": SimpleUploadedFile("a.png", png_bytes())},
    )
    item = EvidenceItem.objects.get()
    other = Client()
    up_to_evidence(other, valid_report)
    other.post("/report/evidence/", {"action": "remove", "item": str(item.pk)})
    assert EvidenceItem.objects.filter(pk=item.pk).exists()


def test_oversized_file_without_javascript_is_stopped_while_reading(
    client: Client, reference_data: None, valid_report: dict[str, Any], settings: Any
) -> None:
    settings.EVIDENCE_MAX_BYTES = dict.fromkeys(settings.EVIDENCE_MAX_BYTES, 100 * 1024)
    up_to_evidence(client, valid_report)
    big = SimpleUploadedFile("big.png", png_bytes() + b"\0" * (400 * 1024))
    response = client.post("/report/evidence/", {"action": "upload", "files": big})
    assert response.status_code == 400
    assert b"The file is too big" in response.content
    assert not EvidenceItem.objects.exists()


@pytest.fixture
def on_disk(settings: Any, tmp_path: Path) -> Path:
    """Form uploads go to temporary files (as large ones do), in tmp_path."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    return tmp_path


def test_large_form_upload_is_hashed_on_arrival_and_moved_into_place(
    client: Client, reference_data: None, valid_report: dict[str, Any], clip: bytes, on_disk: Path
) -> None:
    up_to_evidence(client, valid_report)
    video = clip + b"\0\0\0\x10free" + bytes(range(8)) * 1024  # a free box: still a video
    response = client.post(
        "/report/evidence/",
        {"action": "upload", "files": SimpleUploadedFile("bsl.mp4", video)},
    )
    assert response.status_code == 302, response.content[:2000]
    item = EvidenceItem.objects.get()
    assert (item.kind, item.size) == ("video", len(video))
    assert item.sha256 == hashlib.sha256(video).hexdigest()
    assert (on_disk / "private" / item.storage_name).read_bytes() == video
    # Moved, not copied: no parts were made and no temporary file is left.
    upload = Upload.objects.get()
    assert (upload.status, upload.offset, upload.parts.count()) == ("complete", len(video), 0)
    assert not list((on_disk / "tmp").iterdir())
    assert not (on_disk / "private" / "evidence" / "staging").exists()


def test_large_form_upload_of_a_refused_kind_is_not_kept(
    client: Client,
    reference_data: None,
    valid_report: dict[str, Any],
    on_disk: Path,
    settings: Any,
) -> None:
    settings.EVIDENCE_MAX_BYTES = {**settings.EVIDENCE_MAX_BYTES, "image": 4096}
    up_to_evidence(client, valid_report)
    page = b"<html><script>alert(1)</script>" + b" " * 4096
    photo = png_bytes() + b"\0" * 8192  # an image, but over the image limit
    response = client.post(
        "/report/evidence/",
        {
            "action": "upload",
            "files": [
                SimpleUploadedFile("cat.png", page, "image/png"),
                SimpleUploadedFile("big.png", photo, "image/png"),
            ],
        },
    )
    assert response.status_code == 400
    assert b"cat.png: This type of file cannot be added" in response.content
    assert b"big.png: The file is too big" in response.content
    assert not EvidenceItem.objects.exists()
    assert set(Upload.objects.values_list("error", flat=True)) == {"not_accepted", "too_large"}
    assert not list((on_disk / "private").rglob("*.*"))
    assert not list((on_disk / "tmp").iterdir())


def test_video_statement_instead_of_a_written_account(
    client: Client, reference_data: None, valid_report: dict[str, Any], clip: bytes
) -> None:
    valid_report["what"].update(account="", account_format="statement")
    up_to_evidence(client, valid_report)
    missing = client.post("/report/evidence/", {"action": "continue"})
    assert missing.status_code == 400
    assert b"Add your video or audio statement" in missing.content
    video = SimpleUploadedFile("bsl.mp4", clip)
    client.post("/report/evidence/", {"action": "upload", "statement": video})
    assert client.post("/report/evidence/", {"action": "continue"}).status_code == 302
    answer(client, valid_report, "support")
    # Removing the statement afterwards sends the reporter back for it.
    first = EvidenceItem.objects.get()
    client.post("/report/evidence/", {"action": "remove", "item": str(first.pk)})
    assert client.get("/report/check-your-answers/")["Location"].startswith("/report/evidence/")
    video = SimpleUploadedFile("bsl.mp4", clip)
    client.post("/report/evidence/", {"action": "upload", "statement": video})
    assert client.post("/report/check-your-answers/")["Location"] == "/report/confirmation/"
    report = Report.objects.get()
    assert report.account == ""
    statement = report.evidence.get()
    assert (statement.is_statement, statement.kind) == (True, "video")


def test_written_account_is_still_required_without_a_statement(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    answer(client, valid_report, "who")
    step = journey.step_for("what")
    assert step is not None
    data = as_form_data({**valid_report["what"], "account": ""}, step)
    response = client.post("/report/what/", data)
    assert response.status_code == 200
    assert b"Tell us what happened." in response.content


def test_chunked_upload_from_the_page_with_csrf(
    reference_data: None, valid_report: dict[str, Any]
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/report/who/")
    token = client.cookies["csrftoken"].value
    headers = {"X-CSRFToken": token}
    assert client.post("/report/evidence/uploads/", {"filename": "a.png"}).status_code == 403
    data = png_bytes()
    created = client.post(
        "/report/evidence/uploads/", {"filename": "a.png", "size": len(data)}, headers=headers
    ).json()
    half = len(data) // 2
    for offset, part in ((0, data[:half]), (half, data[half:])):
        response = client.generic(
            "PATCH", created["chunk_url"], part,
            content_type="application/offset+octet-stream",
            headers={**headers, "Upload-Offset": str(offset)},
        )  # fmt: skip
        assert response.status_code == 200
    assert client.head(created["chunk_url"])["Upload-Offset"] == str(len(data))
    finished = client.post(created["finish_url"], headers=headers)
    assert finished.status_code == 201
    listed = client.get("/report/evidence/files/").json()["items"]
    assert [item["filename"] for item in listed] == ["a.png"]
    # Another browser cannot send chunks to it.
    other = Client()
    assert other.head(created["chunk_url"]).status_code == 404
    assert Upload.objects.get().status == Upload.Status.COMPLETE
    assert io  # keep import for readers running parts of this file


def test_files_added_to_an_earlier_report_from_follow_up(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    created = client.post("/api/v1/reports/", valid_report, content_type="application/json").json()
    # A draft in the same browser keeps its own files apart.
    up_to_evidence(client, valid_report)
    client.post(
        "/report/evidence/",
        {"action": "upload", "files": SimpleUploadedFile("draft.png", png_bytes())},
    )
    signed_in = client.post(
        "/follow-up/", {"reference": created["reference"], "secret": created["follow_up_secret"]}
    )
    assert signed_in.status_code == 302
    assert b"/follow-up/your-report/files/" in client.get("/follow-up/your-report/").content
    page = client.get("/follow-up/your-report/files/")
    assert b"?for=follow-up" in page.content
    client.post(
        "/follow-up/your-report/files/",
        {"action": "upload", "files": SimpleUploadedFile("later.png", png_bytes())},
    )
    response = client.post("/follow-up/your-report/files/", {"action": "continue"})
    assert response["Location"] == "/follow-up/your-report/"
    report = Report.objects.get(reference=created["reference"])
    assert [item.filename for item in report.evidence.all()] == ["later.png"]
    assert EvidenceItem.objects.get(filename="draft.png").report is None
    assert report.events.filter(kind="information_added").exists()
