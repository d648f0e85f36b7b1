"""The upload API: create, chunks, finish, attach; and its bad input."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from typing import Any

import pytest
from django.test import Client

from evidence import services
from evidence.models import EvidenceItem, Upload
from evidence.tests.conftest import (
    EICAR,
    jpeg_with_location,
    png_bytes,
)

pytestmark = pytest.mark.django_db


def create(client: Client, token: str | None = None, **body: Any) -> Any:
    headers = {"X-Upload-Token": token} if token else {}
    return client.post("/api/v1/uploads/", body, content_type="application/json", headers=headers)


def chunk(
    client: Client, upload_id: str, token: str, offset: int, data: bytes, **extra: Any
) -> Any:
    return client.patch(
        f"/api/v1/uploads/{upload_id}/",
        data,
        content_type="application/offset+octet-stream",
        HTTP_X_UPLOAD_TOKEN=token,
        HTTP_UPLOAD_OFFSET=str(offset),
        **extra,
    )


def finish(client: Client, upload_id: str, token: str) -> Any:
    return client.post(f"/api/v1/uploads/{upload_id}/finish/", HTTP_X_UPLOAD_TOKEN=token)


def start(client: Client, data: bytes, **body: Any) -> tuple[str, str]:
    response = create(client, filename="photo.jpg", size=len(data), **body)
    assert response.status_code == 201, response.content
    return response.json()["id"], response.json()["upload_token"]


def test_upload_in_chunks_then_finish(client: Client) -> None:
    data = jpeg_with_location((300, 200))
    upload_id, token = start(client, data)
    middle = len(data) // 2
    assert chunk(client, upload_id, token, 0, data[:middle]).headers["Upload-Offset"] == str(middle)
    assert chunk(client, upload_id, token, middle, data[middle:]).status_code == 200
    response = finish(client, upload_id, token)
    assert response.status_code == 201
    assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert response.json()["status"] == "staged"


def test_repeated_chunk_is_refused_with_current_offset(client: Client) -> None:
    data = png_bytes()
    upload_id, token = start(client, data)
    chunk(client, upload_id, token, 0, data[:100])
    response = chunk(client, upload_id, token, 0, data[:100])
    assert response.status_code == 409
    assert response.headers["Upload-Offset"] == "100"
    assert Upload.objects.get().offset == 100


def test_chunk_out_of_order_is_refused(client: Client) -> None:
    data = png_bytes()
    upload_id, token = start(client, data)
    response = chunk(client, upload_id, token, 100, data[100:])
    assert response.status_code == 409
    assert response.headers["Upload-Offset"] == "0"
    assert finish(client, upload_id, token).status_code == 400  # nothing arrived
    assert not EvidenceItem.objects.exists()


def test_upload_resumes_after_a_dropped_connection(client: Client) -> None:
    data = jpeg_with_location((300, 200))
    upload_id, token = start(client, data)
    first = len(data) // 3
    chunk(client, upload_id, token, 0, data[:first])
    # The connection drops part-way through the second chunk: fewer bytes
    # arrive than the request said it would carry.
    # (The test client cannot drop a connection; the view hands the service
    # the request stream and its Content-Length, as here.)
    upload = Upload.objects.get(pk=upload_id)
    with pytest.raises(services.EvidenceError) as dropped:
        services.upload_append_chunk(
            upload=upload, offset=first, stream=io.BytesIO(data[first : first + 50]),
            expected_length=500,
        )  # fmt: skip
    assert dropped.value.code == "incomplete_chunk"
    status = client.get(f"/api/v1/uploads/{upload_id}/", HTTP_X_UPLOAD_TOKEN=token)
    assert status.headers["Upload-Offset"] == str(first)
    chunk(client, upload_id, token, first, data[first:])
    response = finish(client, upload_id, token)
    assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()


def test_chunk_for_someone_elses_upload_is_not_found(client: Client) -> None:
    data = png_bytes()
    upload_id, _token = start(client, data)
    _other_id, other_token = start(client, data)
    assert chunk(client, upload_id, other_token, 0, data).status_code == 404
    assert finish(client, upload_id, other_token).status_code == 404
    assert client.get(f"/api/v1/uploads/{upload_id}/").status_code == 404
    assert Upload.objects.get(pk=upload_id).offset == 0


def test_file_that_is_not_an_accepted_kind_is_refused_by_content(client: Client) -> None:
    upload_id, token = start(client, EICAR)
    response = chunk(client, upload_id, token, 0, EICAR)
    assert response.status_code == 415
    assert "You can add photos and screenshots" in response.json()["errors"][0]["message"]
    assert not EvidenceItem.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><script>alert(1)</script></body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ],
    ids=["html", "svg"],
)
def test_image_name_with_html_or_svg_content_is_refused(client: Client, body: bytes) -> None:
    response = create(client, filename="cat.jpg", size=len(body))
    upload_id, token = response.json()["id"], response.json()["upload_token"]
    assert chunk(client, upload_id, token, 0, body).status_code == 415
    assert Upload.objects.get().status == Upload.Status.FAILED
    assert not EvidenceItem.objects.exists()


def test_file_over_the_size_limit_is_refused_while_streaming(client: Client, settings: Any) -> None:
    settings.EVIDENCE_MAX_BYTES = {**settings.EVIDENCE_MAX_BYTES, "image": 256 * 1024}
    settings.EVIDENCE_CHUNK_MAX_BYTES = 64 * 1024 * 1024
    response = create(client, filename="big.png")  # size not declared
    upload_id, token = response.json()["id"], response.json()["upload_token"]
    body = png_bytes() + b"\0" * (8 * 1024 * 1024)
    tracemalloc.start()
    try:
        refused = chunk(client, upload_id, token, 0, body)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.status_code == 413
    # The test client holds the 8 MB body itself; the service adds little.
    assert peak < len(body) + 4 * 1024 * 1024
    assert Upload.objects.get().status == Upload.Status.FAILED
    assert not Upload.objects.get().parts.exists()
    assert not EvidenceItem.objects.exists()


def test_declared_size_over_the_limit_is_refused_at_once(client: Client) -> None:
    response = create(client, filename="huge.mp4", size=50 * 1024**3)
    assert response.status_code == 413


def test_too_many_files(client: Client, settings: Any) -> None:
    settings.EVIDENCE_MAX_FILES = 2
    data = png_bytes()
    upload_id, token = start(client, data)
    create(client, token, filename="two.png")
    response = create(client, token, filename="three.png")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "too_many_files"
    assert chunk(client, upload_id, token, 0, data).status_code == 200


def test_filename_with_path_traversal_and_control_characters_is_made_safe(
    client: Client,
) -> None:
    data = png_bytes()
    response = create(client, filename="../../etc/pass\twd\r\n\u202egnp.png", size=len(data))
    upload_id, token = response.json()["id"], response.json()["upload_token"]
    chunk(client, upload_id, token, 0, data)
    item = EvidenceItem.objects.get(pk=finish(client, upload_id, token).json()["id"])
    assert item.filename == "passwdgnp.png"
    assert item.storage_name == f"evidence/originals/{item.pk}"


def test_malformed_input_never_500(client: Client) -> None:
    assert client.post("/api/v1/uploads/", "{", content_type="application/json").status_code == 400
    assert create(client, size="lots").status_code == 400
    data = png_bytes()
    upload_id, token = start(client, data)
    bad_offset = client.patch(
        f"/api/v1/uploads/{upload_id}/", data, content_type="application/offset+octet-stream",
        HTTP_X_UPLOAD_TOKEN=token, HTTP_UPLOAD_OFFSET="x",
    )  # fmt: skip
    assert bad_offset.status_code == 400
    assert client.get("/api/v1/uploads/not-a-uuid/").status_code == 404


def test_report_created_with_evidence_and_a_statement(
    client: Client, reference_data: None, valid_report: dict[str, Any], media_dir: Any
) -> None:
    photo = png_bytes()
    photo_id, token = start(client, photo)
    chunk(client, photo_id, token, 0, photo)
    photo_item = finish(client, photo_id, token).json()["id"]
    video = (media_dir / "clip.mp4").read_bytes()
    response = create(client, token, filename="bsl.mp4", size=len(video), statement=True)
    video_id = response.json()["id"]
    chunk(client, video_id, token, 0, video)
    video_item = finish(client, video_id, token).json()["id"]
    valid_report["what"]["account"] = ""
    valid_report["evidence"] = [photo_item]
    valid_report["statement"] = video_item
    response = client.post(
        "/api/v1/reports/", valid_report, content_type="application/json",
        HTTP_X_UPLOAD_TOKEN=token,
    )  # fmt: skip
    assert response.status_code == 201, response.content
    items = list(EvidenceItem.objects.filter(report__reference=response.json()["reference"]))
    assert [(str(i.pk), i.is_statement) for i in items] == [(video_item, True), (photo_item, False)]


def test_report_without_account_or_statement_is_refused(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    valid_report["what"]["account"] = ""
    response = client.post("/api/v1/reports/", valid_report, content_type="application/json")
    assert response.status_code == 400
    assert {"field": "what.account", "code": "required"} in [
        {k: e[k] for k in ("field", "code")} for e in response.json()["errors"]
    ]


def test_report_cannot_claim_someone_elses_evidence(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    data = png_bytes()
    upload_id, token = start(client, data)
    chunk(client, upload_id, token, 0, data)
    item_id = finish(client, upload_id, token).json()["id"]
    _other, other_token = start(client, data)
    valid_report["evidence"] = [item_id]
    response = client.post(
        "/api/v1/reports/", valid_report, content_type="application/json",
        HTTP_X_UPLOAD_TOKEN=other_token,
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "evidence"
    assert EvidenceItem.objects.get(pk=item_id).report is None


def test_evidence_added_to_an_existing_report(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    created = client.post("/api/v1/reports/", valid_report, content_type="application/json").json()
    data = png_bytes()
    upload_id, token = start(client, data)
    chunk(client, upload_id, token, 0, data)
    item_id = finish(client, upload_id, token).json()["id"]
    url = f"/api/v1/reports/{created['reference']}/evidence/"
    wrong = client.post(
        url, {"evidence": [item_id]}, content_type="application/json",
        HTTP_X_FOLLOW_UP_SECRET="wrong", HTTP_X_UPLOAD_TOKEN=token,
    )  # fmt: skip
    assert wrong.status_code == 404
    response = client.post(
        url, {"evidence": [item_id]}, content_type="application/json",
        HTTP_X_FOLLOW_UP_SECRET=created["follow_up_secret"], HTTP_X_UPLOAD_TOKEN=token,
    )  # fmt: skip
    assert response.json() == {"attached": 1}
    assert EvidenceItem.objects.get(pk=item_id).report.reference == created["reference"]  # type: ignore[union-attr]


def test_upload_api_is_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/schema/").content.decode()
    for operation in ("upload_create", "upload_chunk", "upload_finish", "report_evidence_attach"):
        assert operation in schema


def test_safe_filename_drops_nul_and_windows_paths() -> None:
    assert services.kinds.safe_filename("C:\\Users\\me\\..\\x\x00y.jpg") == "xy.jpg"
    assert services.kinds.safe_filename("...") == "file"


def test_evidence_list_query_count_is_pinned(
    client: Client, django_assert_num_queries: Any
) -> None:
    client.post(
        "/report/evidence/uploads/", {"filename": "first.png"}
    )  # gives the session an owner
    from evidence.tests.helpers import upload_bytes
    from evidence.views import session_owner

    session = client.session
    owner = session_owner(session, create=False)
    assert owner
    for name in ("a.png", "b.png", "c.png"):
        upload_bytes(png_bytes(), owner=owner, filename=name)
    # Session read, one query for the list, session save (in a savepoint).
    with django_assert_num_queries(5):
        response = client.get("/report/evidence/files/")
    assert [item["filename"] for item in response.json()["items"]] == ["a.png", "b.png", "c.png"]


def test_more_bytes_than_declared_ends_the_upload(client: Client) -> None:
    data = png_bytes()
    upload_id, token = start(client, data)
    response = chunk(client, upload_id, token, 0, data + b"extra")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "size_mismatch"
    assert Upload.objects.get().status == Upload.Status.FAILED


def test_file_can_be_removed_before_it_is_attached_and_only_by_its_owner(client: Client) -> None:
    data = png_bytes()
    upload_id, token = start(client, data)
    chunk(client, upload_id, token, 0, data)
    item_id = finish(client, upload_id, token).json()["id"]
    _other, other_token = start(client, data)
    url = f"/api/v1/evidence/{item_id}/"
    assert client.delete(url, headers={"X-Upload-Token": other_token}).status_code == 404
    assert client.get(url, headers={"X-Upload-Token": token}).json()["status"] == "staged"
    assert client.delete(url, headers={"X-Upload-Token": token}).status_code == 204
    assert not EvidenceItem.objects.exists()
