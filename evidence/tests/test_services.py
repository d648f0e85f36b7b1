from __future__ import annotations

import hashlib
import io
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.utils import timezone

from evidence import services
from evidence.models import CustodyEvent, EvidenceItem, Upload
from evidence.multipart import HashedTemporaryUploadedFile
from evidence.tests.conftest import jpeg_with_location, pdf_plain, png_bytes
from evidence.tests.helpers import ALICE, processed, upload_bytes, upload_stream

pytestmark = pytest.mark.django_db


def test_finished_upload_records_hash_size_and_kind_from_content() -> None:
    data = png_bytes()
    item = upload_bytes(data, filename="holiday.pdf")
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.size == len(data)
    assert (item.kind, item.content_type) == ("image", "image/png")
    assert item.status == EvidenceItem.Status.STAGED
    assert item.custody.get().action == CustodyEvent.Action.RECEIVED
    with storages["default"].open(item.storage_name) as stored:
        assert stored.read() == data


def test_a_whole_file_hashed_on_arrival_is_moved_into_place(settings: Any, tmp_path: Path) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    data = png_bytes() + b"\0" * 10_000
    arrived = HashedTemporaryUploadedFile("photo.png", "image/png", 0, None)
    arrived.write(data)
    arrived.flush()
    arrived.size, arrived.sha256 = len(data), hashlib.sha256(data).hexdigest()
    temporary = Path(arrived.temporary_file_path())
    upload = services.upload_create(owner=ALICE, filename="photo.png", declared_size=len(data))
    item = services.upload_complete_file(upload=upload, file=arrived, sha256=arrived.sha256)
    # Moved (renamed), not copied: the temporary file is gone while still open.
    assert not temporary.exists()
    arrived.close()
    assert (item.size, item.sha256, item.kind) == (
        len(data),
        hashlib.sha256(data).hexdigest(),
        "image",
    )
    with storages["default"].open(item.storage_name) as stored:
        assert stored.read() == data
    assert Upload.objects.get().status == Upload.Status.COMPLETE
    # The service user's alone, as the chunked path's originals are.
    assert Path(storages["default"].path(item.storage_name)).stat().st_mode & 0o777 == 0o600


def test_upload_in_several_chunks_is_one_original(settings: pytest.FixtureRequest) -> None:
    settings.EVIDENCE_CHUNK_MAX_BYTES = 1024  # type: ignore[attr-defined]
    data = jpeg_with_location((400, 300))
    assert len(data) > 2 * 1024
    item = upload_bytes(data)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert not Upload.objects.get().parts.exists()


def test_image_gets_thumbnail_and_shareable_copy_without_location(clamd: str) -> None:
    item = processed(jpeg_with_location())
    assert item.status == EvidenceItem.Status.CLEAN
    assert item.metadata["device"] == "Acme Phone 7"
    assert item.metadata["captured_at"] == "2026:11:01 18:30:00"
    assert item.metadata["had_location"] is True
    versions = {d.version: d for d in item.derivatives.all()}
    assert set(versions) == {"thumbnail", "shareable"}
    from PIL import Image

    with storages["default"].open(versions["shareable"].storage_name) as handle:
        shareable = Image.open(io.BytesIO(handle.read()))
        assert not shareable.getexif()
        assert shareable.format == "JPEG"


def test_video_gets_duration_codecs_and_poster_frame(clamd: str, media_dir: Path) -> None:
    item = processed((media_dir / "clip.mp4").read_bytes(), filename="clip.mp4")
    assert item.status == EvidenceItem.Status.CLEAN, item.status_reason
    assert item.kind == "video"
    assert item.metadata["video_codec"] == "h264"
    assert item.metadata["audio_codec"] == "aac"
    assert 0.5 < item.metadata["duration_seconds"] < 1.5
    assert item.metadata["captured_at"].startswith("2026-11-01")
    assert item.derivatives.get().version == "poster"


def test_on_local_storage_the_tools_read_the_stored_original_in_place(
    clamd: str, media_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The only full read of the stored bytes is the virus scan's stream: the
    # video is probed and decoded from its stored path, not from a copy.
    reads: list[str] = []
    real_iter_stored = services.iter_stored

    def counted(name: str) -> Any:
        reads.append(name)
        return real_iter_stored(name)

    monkeypatch.setattr(services, "iter_stored", counted)
    item = processed((media_dir / "clip.mp4").read_bytes(), filename="clip.mp4")
    assert item.status == EvidenceItem.Status.CLEAN, item.status_reason
    assert reads == [item.storage_name]


def test_stored_files_are_readable_by_the_service_only(clamd: str) -> None:
    # Local storage: the original (whichever path stored it) and its copies
    # are the service user's alone, like the folders they are in.
    item = processed(jpeg_with_location((300, 200)))
    assert item.status == EvidenceItem.Status.CLEAN
    backend = storages["default"]
    names = [item.storage_name, *item.derivatives.values_list("storage_name", flat=True)]
    assert len(names) == 3
    for name in names:
        path = Path(backend.path(name))
        assert path.stat().st_mode & 0o777 == 0o600, name
        assert path.parent.stat().st_mode & 0o777 == 0o700, name


def test_audio_statement_is_probed(clamd: str, media_dir: Path) -> None:
    item = processed((media_dir / "voice.mp3").read_bytes(), statement=True)
    assert item.status == EvidenceItem.Status.CLEAN
    assert (item.kind, item.is_statement) == ("audio", True)
    assert item.metadata["audio_codec"] == "mp3"


def test_pdf_is_scanned_and_kept_without_derivatives(clamd: str) -> None:
    item = processed(pdf_plain())
    assert (item.kind, item.status) == ("document", EvidenceItem.Status.CLEAN)
    assert not item.derivatives.exists()


def test_processing_twice_does_nothing_the_second_time(clamd: str) -> None:
    item = processed(png_bytes())
    assert services.evidence_process(item_id=item.pk) is None
    assert item.custody.filter(action=CustodyEvent.Action.SCANNED_CLEAN).count() == 1


def test_scanner_down_puts_item_back_for_retry(
    settings: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings.CLAMD_ADDRESS = str(tmp_path / "no-such.sock")  # type: ignore[attr-defined]
    item = upload_bytes(png_bytes())
    with pytest.raises(services.clamav.ScannerError):
        services.evidence_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == EvidenceItem.Status.STAGED


def test_unclaimed_uploads_are_purged_after_a_day() -> None:
    old = upload_bytes(png_bytes())
    EvidenceItem.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    fresh = upload_bytes(png_bytes())
    stale = services.upload_create(owner=ALICE, filename="half.png")
    stale = services.upload_append_chunk(upload=stale, offset=0, stream=io.BytesIO(png_bytes()))
    part_name = f"evidence/staging/{stale.pk}"  # local storage: one staging file
    assert storages["default"].exists(part_name)
    Upload.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=2))

    services.evidence_purge_unclaimed()

    assert list(EvidenceItem.objects.all()) == [fresh]
    assert not storages["default"].exists(old.storage_name)
    assert not storages["default"].exists(part_name)
    assert not Upload.objects.filter(pk=stale.pk).exists()


def test_heic_photo_is_decoded_and_shared_as_jpeg(clamd: str) -> None:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 10)).save(out, format="HEIF")
    item = processed(out.getvalue(), filename="IMG_0001.HEIC")
    assert (item.content_type, item.status) == ("image/heic", EvidenceItem.Status.CLEAN)
    assert item.derivatives.get(version="shareable").content_type == "image/jpeg"


def test_memory_stays_flat_while_a_large_file_is_sent_and_finished(settings: Any) -> None:
    import tracemalloc

    settings.EVIDENCE_CHUNK_MAX_BYTES = 1024 * 1024
    size = 24 * 1024 * 1024
    header = png_bytes()

    class Zeros(io.RawIOBase):
        """A PNG header then zeros, produced on demand (never all in memory)."""

        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            if self.sent >= size:
                return 0
            n = min(len(buffer), size - self.sent)
            start = header[self.sent : self.sent + n] if self.sent < len(header) else b""
            buffer[:n] = start + b"\0" * (n - len(start))
            self.sent += n
            return n

    upload = services.upload_create(owner=ALICE, filename="big.png", declared_size=size)
    tracemalloc.start()
    try:
        upload = upload_stream(upload=upload, stream=io.BufferedReader(Zeros()))
        item = services.upload_finish(upload=upload)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert item.size == size
    assert peak < 4 * 1024 * 1024, peak


def _staging(upload: Upload) -> Path:
    return Path(storages["default"].path(f"evidence/staging/{upload.pk}"))


def test_chunks_go_into_one_staging_file_that_becomes_the_original_uncopied(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EVIDENCE_CHUNK_MAX_BYTES = 1024
    data = jpeg_with_location((400, 300))
    upload = services.upload_create(owner=ALICE, filename="photo.jpg", declared_size=len(data))
    upload = upload_stream(upload=upload, stream=io.BytesIO(data))
    staging = _staging(upload)
    assert staging.read_bytes() == data
    assert not upload.parts.exists()
    # The hash so far is saved with the offset: finishing reads nothing.
    assert len(bytes(Upload.objects.get().sha256_state)) == 112
    inode = staging.stat().st_ino
    with django_capture_on_commit_callbacks(execute=True):
        item = services.upload_finish(upload=upload)
    original = Path(storages["default"].path(item.storage_name))
    assert original.stat().st_ino == inode  # the same file under the original's name
    assert not staging.exists()
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert original.read_bytes() == data


def test_a_chunk_while_another_request_writes_the_same_upload_is_refused() -> None:
    import fcntl

    data = png_bytes() + os.urandom(1000)
    upload = services.upload_create(owner=ALICE, filename="photo.png", declared_size=len(data))
    upload = services.upload_append_chunk(upload=upload, offset=0, stream=io.BytesIO(data[:100]))
    with _staging(upload).open("rb") as other:
        fcntl.flock(other, fcntl.LOCK_EX)  # as a request writing a chunk holds it
        with pytest.raises(services.OffsetMismatch) as refused:
            services.upload_append_chunk(upload=upload, offset=100, stream=io.BytesIO(data[100:]))
        assert refused.value.current == 100
    upload = services.upload_append_chunk(upload=upload, offset=100, stream=io.BytesIO(data[100:]))
    with _staging(upload).open("rb") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        with pytest.raises(services.OffsetMismatch):
            services.upload_finish(upload=upload)
    assert services.upload_finish(upload=upload).sha256 == hashlib.sha256(data).hexdigest()


def test_a_chunk_cut_short_leaves_neither_bytes_nor_hash_behind() -> None:
    data = png_bytes() + os.urandom(5000)
    upload = services.upload_create(owner=ALICE, filename="photo.png", declared_size=len(data))
    upload = services.upload_append_chunk(upload=upload, offset=0, stream=io.BytesIO(data[:1000]))
    with pytest.raises(services.EvidenceError, match="Continue from byte 1000"):
        services.upload_append_chunk(
            upload=upload,
            offset=1000,
            stream=io.BytesIO(b"\xff" * 700),  # the connection dropped: wrong bytes, short
            expected_length=4000,
        )
    assert _staging(upload).stat().st_size == 1000
    assert Upload.objects.get().offset == 1000
    upload = services.upload_append_chunk(
        upload=upload, offset=1000, stream=io.BytesIO(data[1000:])
    )
    item = services.upload_finish(upload=upload)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    with storages["default"].open(item.storage_name) as stored:
        assert stored.read() == data


def test_a_failed_upload_leaves_no_staging_file(settings: Any) -> None:
    settings.EVIDENCE_MAX_BYTES = {**settings.EVIDENCE_MAX_BYTES, "image": 2000}
    upload = services.upload_create(owner=ALICE, filename="photo.png")
    upload = services.upload_append_chunk(upload=upload, offset=0, stream=io.BytesIO(png_bytes()))
    assert _staging(upload).exists()
    with pytest.raises(services.EvidenceError, match="too big"):
        services.upload_append_chunk(
            upload=upload, offset=upload.offset, stream=io.BytesIO(b"\0" * 3000)
        )
    assert Upload.objects.get().status == Upload.Status.FAILED
    assert not _staging(upload).exists()


def test_a_chunk_checked_against_a_stale_offset_never_overwrites_what_was_acknowledged() -> None:
    data = png_bytes() + os.urandom(1000)
    upload = services.upload_create(owner=ALICE, filename="photo.png", declared_size=len(data))
    stale = Upload.objects.get(pk=upload.pk)  # read by a request before the next one commits
    services.upload_append_chunk(upload=upload, offset=0, stream=io.BytesIO(data[:500]))
    with pytest.raises(services.OffsetMismatch) as refused:
        services.upload_append_chunk(upload=stale, offset=0, stream=io.BytesIO(b"\0" * 500))
    assert refused.value.current == 500
    assert _staging(upload).read_bytes() == data[:500]
