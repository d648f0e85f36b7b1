"""Writes to evidence: uploads, processing, claiming, serving, purging.

The chunked upload protocol (web and API share it):

1. ``upload_create`` opens an upload for an owner (a browser session or an
   API client, each known only by the SHA-256 of its token).
2. ``upload_append_chunk`` takes the bytes at ``offset``; the offset must be
   exactly the number of bytes received so far (a repeated or out-of-order
   chunk is refused with the current offset, so a client that lost a
   response asks for the offset and resumes). The body is read in blocks
   (2 MiB on local storage, 1 MiB for object storage) and never held whole:
   memory stays flat whatever the chunk or file size. The first chunk decides the kind by content, and every block
   is checked against that kind's size limit before it is stored. The
   SHA-256 is carried on block by block and its state saved with the offset
   (evidence.resumable), so no byte is hashed twice.
   On local storage every chunk is written in place into one staging file
   per upload, under an exclusive lock on that file (a second request for
   the same upload meanwhile is refused with the offset), by a writer thread
   while the next block arrives (evidence.blockwriter), and made durable
   (fdatasync) before the offset that acknowledges it is committed: an
   acknowledged chunk survives a crash, and bytes past the committed offset
   are never counted. On object storage (S3), where an object cannot be
   appended to, each chunk is stored as its own object (an ``UploadPart``).
   A whole file that is already on the server (a plain form upload, hashed
   while it arrived) skips the chunks: ``upload_complete_file``.
3. ``upload_finish`` makes the received bytes one immutable original and an
   ``EvidenceItem``: on local storage the staging file is hard-linked to the
   original's name (no byte is copied or read again), on object storage the
   parts are streamed, in order, into one object. Processing (virus scan,
   checks, derivatives) is queued after commit.
4. ``evidence_claim`` attaches the owner's items to a report, inside
   ``report_submit``'s transaction.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import secrets
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, NoReturn

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core import signing
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from evidence import blockwriter, clamav, kinds, media, resumable
from evidence.models import CustodyEvent, Derivative, EvidenceItem, Kind, Upload, UploadPart
from evidence.signals import evidence_cleared

logger = logging.getLogger(__name__)

# Stored files, and chunks bound for object storage, are read in blocks of
# this size (chunks on local storage in evidence.blockwriter's): memory stays
# flat whatever the file size, and the cost per block stays small.
BLOCK = 1024 * 1024


class EvidenceError(Exception):
    """Something the uploader can fix or should be told, in plain words."""

    status = 400

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status


class OffsetMismatch(EvidenceError):
    """A chunk that is not the next one: repeated, out of order or stale."""

    def __init__(self, current: int) -> None:
        super().__init__(
            "offset_mismatch",
            _("This part of the file was not expected. Continue from byte %(offset)s.")
            % {"offset": current},
            status=409,
        )
        self.current = current


def storage() -> Storage:
    return storages["default"]


def owner_digest(token: str) -> str:
    """The owner key stored with uploads: a digest, never the token itself."""
    return hashlib.sha256(f"evidence-owner:{token}".encode()).hexdigest()


def owner_token_new() -> str:
    return secrets.token_urlsafe(32)


def max_bytes(kind: str | None = None) -> int:
    limits: dict[str, int] = settings.EVIDENCE_MAX_BYTES
    return limits[kind] if kind else max(limits.values())


def too_large_error(kind: str | None) -> EvidenceError:
    megabytes = max_bytes(kind) // (1024 * 1024)
    return EvidenceError(
        "too_large",
        _("The file is too big. The largest we can take is %(mb)s MB.") % {"mb": megabytes},
        status=413,
    )


def _not_accepted() -> EvidenceError:
    return EvidenceError(
        "not_accepted",
        _("This type of file cannot be added. You can add %(kinds)s.")
        % {"kinds": kinds.ACCEPTED_DESCRIPTION},
        status=415,
    )


def _active_count(owner: str) -> int:
    staged = (
        EvidenceItem.objects.owned_by(owner)
        .unclaimed()
        .exclude(status=EvidenceItem.Status.REJECTED)
        .count()
    )
    receiving = Upload.objects.filter(owner=owner, status=Upload.Status.RECEIVING).count()
    return staged + receiving


def upload_create(
    *, owner: str, filename: str, declared_size: int | None = None, is_statement: bool = False
) -> Upload:
    if declared_size is not None and declared_size > max_bytes():
        raise too_large_error(None)
    if declared_size is not None and declared_size <= 0:
        raise EvidenceError("empty", _("The file is empty."))
    if _active_count(owner) >= settings.EVIDENCE_MAX_FILES:
        raise EvidenceError(
            "too_many_files",
            _("You can add up to %(count)s files to a report.")
            % {"count": settings.EVIDENCE_MAX_FILES},
            status=409,
        )
    now = timezone.now()
    return Upload.objects.create(
        owner=owner,
        filename=kinds.safe_filename(filename),
        declared_size=declared_size,
        is_statement=is_statement,
        created_at=now,
        updated_at=now,
    )


def upload_fail(*, upload: Upload, code: str) -> None:
    """Give up an upload: its stored parts are deleted, never kept as evidence."""
    names = list(upload.parts.values_list("storage_name", flat=True))
    Upload.objects.filter(pk=upload.pk).update(
        status=Upload.Status.FAILED, error=code, updated_at=timezone.now()
    )
    upload.parts.all().delete()
    upload.status, upload.error = Upload.Status.FAILED, code
    _delete_names([*names, *_staging_names(upload)])


def _staging_names(upload: Upload) -> list[str]:
    """The staging file's name where storage is local (it may not exist)."""
    return [_staging_name(upload)] if _staging_path(upload) is not None else []


def _check_limits(
    received: int, *, limit: int, already: int, kind_limit: int, declared: int | None
) -> None:
    """Checked after every block read, so nothing over a limit is stored."""
    if received > limit:
        raise EvidenceError(
            "chunk_too_large",
            _("Send the file in parts of at most %(size)s bytes.") % {"size": limit},
            status=413,
        )
    if already + received > kind_limit:
        raise EvidenceError("too_large", "", status=413)
    if declared is not None and already + received > declared:
        raise EvidenceError(
            "size_mismatch",
            _("More of the file arrived than the size given when it was started."),
        )


def _receive(
    stream: IO[bytes], *, limit: int, already: int, kind_limit: int, declared: int | None
) -> tuple[Any, int]:
    """Read one chunk in blocks into a spooled file (memory bounded)."""
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115
    received = 0
    try:
        while block := stream.read(BLOCK):
            received += len(block)
            _check_limits(
                received, limit=limit, already=already, kind_limit=kind_limit, declared=declared
            )
            spool.write(block)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, received


def _chunk_refused(upload: Upload, exc: EvidenceError) -> NoReturn:
    """A chunk over a limit fails the whole upload (a file too large, or
    larger than declared, never becomes evidence); the error, in words
    naming the kind's limit, goes to the person."""
    if exc.code in ("too_large", "size_mismatch") and upload.status != Upload.Status.FAILED:
        upload_fail(upload=upload, code=exc.code)
    if exc.code == "too_large" and not exc.message:
        raise too_large_error(upload.kind or None) from exc
    raise exc


def _check_arrived(received: int, expected_length: int | None, offset: int) -> None:
    """A chunk cut short (the connection dropped) is not counted at all."""
    if received == 0:
        raise EvidenceError("empty_chunk", _("No bytes were sent."))
    if expected_length is not None and received != expected_length:
        raise EvidenceError(
            "incomplete_chunk",
            _("Only part of this chunk arrived. Continue from byte %(offset)s.")
            % {"offset": offset},
        )


def _check_receiving(upload: Upload, offset: int) -> None:
    if upload.status != Upload.Status.RECEIVING:
        raise EvidenceError("not_receiving", _("This upload has already finished."), status=409)
    if offset != upload.offset:
        raise OffsetMismatch(upload.offset)


def _accept_first_bytes(upload: Upload, head: bytes, size: int) -> None:
    """Decide the upload's kind from its first bytes; refuse what is not accepted."""
    content_type, kind = kinds.sniff(head)
    if kind is None or (upload.is_statement and kind not in (Kind.VIDEO, Kind.AUDIO)):
        upload_fail(upload=upload, code="not_accepted")
        if upload.is_statement and kind is not None:
            raise EvidenceError(
                "not_accepted",
                _("A statement must be a video or an audio recording."),
                status=415,
            )
        raise _not_accepted()
    if size > max_bytes(kind) or (
        upload.declared_size is not None and upload.declared_size > max_bytes(kind)
    ):
        upload_fail(upload=upload, code="too_large")
        raise too_large_error(kind)
    upload.kind, upload.content_type = kind, content_type


# --- Chunks on local storage: one staging file per upload ---------------------


def _staging_name(upload: Upload) -> str:
    return f"evidence/staging/{upload.pk}"


def _local_path(name: str) -> Path | None:
    """Where local storage keeps ``name``; None on object storage."""
    backend = storage()
    if not isinstance(backend, FileSystemStorage):
        return None
    return Path(backend.path(name))


def _private_directory(path: Path) -> None:
    """Make the folder (and any missing above it) for the service user only,
    as local storage makes the folders it saves into."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another request made it
            directory.mkdir()
        directory.chmod(0o700)


def _staging_path(upload: Upload) -> Path | None:
    """Where a local storage keeps the upload's bytes; None on object storage."""
    return _local_path(_staging_name(upload))


def _fsync_directory(path: Path) -> None:
    """Make a new or renamed entry in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _StagingFile:
    """The upload's staging file, opened and locked exclusively for as long
    as one request writes to it or finishes it. Another request for the
    same upload meanwhile gets 409 with the offset instead of waiting."""

    def __init__(self, upload: Upload, path: Path, *, create: bool) -> None:
        self.upload, self.path = upload, path
        flags = os.O_RDWR | os.O_CLOEXEC | (os.O_CREAT if create else 0)
        try:
            self.fd = os.open(path, flags, 0o600)
        except FileNotFoundError as exc:
            if not create:
                raise EvidenceError(
                    "incomplete", _("Part of the file is missing."), status=409
                ) from exc
            _private_directory(path.parent)
            self.fd = os.open(path, flags, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self.fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            raise OffsetMismatch(upload.offset) from exc
        # The row was read before the lock: another request may have committed
        # a chunk since. Committed bytes are always in the file (fdatasync'd
        # before the offset moves), and offsets only grow, so a file exactly
        # as long as the offset read means nothing was committed since; any
        # other length (a chunk since, or a cut-off write's leftovers) and the
        # row is read again under the lock.
        if os.fstat(self.fd).st_size != upload.offset:
            upload.refresh_from_db(
                fields=["offset", "status", "sha256_state", "kind", "content_type"]
            )

    def __enter__(self) -> _StagingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)  # releases the lock


def _append_in_place(
    *, upload: Upload, offset: int, stream: IO[bytes], expected_length: int | None, path: Path
) -> Upload:
    """One chunk written at ``offset`` of the staging file, block by block:
    each block is received into a buffer, checked against the limits,
    hashed, and written by a writer thread while the next block arrives
    (evidence.blockwriter). The offset and the hash state are committed only
    after every write has ended and fdatasync has returned; on any failure
    the file is cut back to the offset and nothing is counted."""
    with _StagingFile(upload, path, create=True) as staging:
        _check_receiving(upload, offset)
        fd = staging.fd
        state = bytes(upload.sha256_state)
        digest = resumable.Sha256(state if offset and state else None)
        limits = {
            "limit": settings.EVIDENCE_CHUNK_MAX_BYTES,
            "already": offset,
            "kind_limit": max_bytes(upload.kind or None),
            "declared": upload.declared_size,
        }
        received = 0
        try:
            with blockwriter.block_writer(fd, path) as writer:
                while True:
                    buffer = writer.buffer()
                    at = offset + received
                    count = blockwriter.fill(stream, buffer.view, writer.want(at))
                    if not count:
                        break
                    received += count
                    _check_limits(received, **limits)  # type: ignore[arg-type]
                    if at == 0:
                        # The first bytes of the file decide its kind (a first
                        # block shorter than that is the whole first chunk).
                        _accept_first_bytes(
                            upload, bytes(buffer.view[: min(count, kinds.SNIFF_BYTES)]), count
                        )
                        limits["kind_limit"] = max_bytes(upload.kind)
                        _check_limits(received, **limits)  # type: ignore[arg-type]
                    digest.update(buffer.array, count)
                    writer.write(buffer, count, at)
            _check_arrived(received, expected_length, offset)
            # Durable before acknowledged: fdatasync writes what is still in
            # the page cache, the file's new size (not its timestamps, which
            # nothing needs), and flushes the device's cache.
            os.fdatasync(fd)
            if offset == 0:
                _fsync_directory(path.parent)
        except EvidenceError as exc:
            os.ftruncate(fd, offset)
            _chunk_refused(upload, exc)
        except BaseException:
            os.ftruncate(fd, offset)
            raise
        now = timezone.now()
        changed = Upload.objects.filter(
            pk=upload.pk, offset=offset, status=Upload.Status.RECEIVING
        ).update(
            offset=offset + received,
            sha256_state=digest.state(),
            kind=upload.kind,
            content_type=upload.content_type,
            updated_at=now,
        )
        if changed != 1:  # failed or purged meanwhile (the lock keeps chunks out)
            os.ftruncate(fd, offset)
            upload.refresh_from_db()
            raise OffsetMismatch(upload.offset)
    upload.offset, upload.sha256_state, upload.updated_at = offset + received, digest.state(), now
    return upload


def _finish_in_place(*, upload: Upload, path: Path) -> EvidenceItem:
    """The staging file becomes the original under its own name: a hard
    link, then the staging name is removed after commit. No byte is read
    or copied; the hash was carried on while the chunks arrived."""
    with _StagingFile(upload, path, create=False) as staging:
        _check_finishable(upload)
        if os.fstat(staging.fd).st_size != upload.offset:
            # Bytes past the committed offset (a chunk cut off by a crash).
            os.ftruncate(staging.fd, upload.offset)
            os.fdatasync(staging.fd)
        sha256 = resumable.Sha256(bytes(upload.sha256_state)).hexdigest()
        item_id = uuid.uuid4()
        name = f"evidence/originals/{item_id}"
        original = Path(storage().path(name))
        _private_directory(original.parent)
        os.link(path, original)
        _fsync_directory(original.parent)
        return _item_create(
            upload,
            item_id=item_id,
            name=name,
            size=upload.offset,
            sha256=sha256,
            part_names=[_staging_name(upload)],
        )


def upload_append_chunk(
    *, upload: Upload, offset: int, stream: IO[bytes], expected_length: int | None = None
) -> Upload:
    """Store the bytes at ``offset``. See the module docstring for the protocol.

    With ``expected_length`` (the request's Content-Length) a chunk that
    arrives short, because the connection dropped, is discarded whole: the
    client asks for the offset and sends it again.
    """
    staging = _staging_path(upload)
    if staging is not None:
        return _append_in_place(
            upload=upload,
            offset=offset,
            stream=stream,
            expected_length=expected_length,
            path=staging,
        )
    _check_receiving(upload, offset)
    try:
        spool, received = _receive(
            stream,
            limit=settings.EVIDENCE_CHUNK_MAX_BYTES,
            already=offset,
            kind_limit=max_bytes(upload.kind or None),
            declared=upload.declared_size,
        )
    except EvidenceError as exc:
        _chunk_refused(upload, exc)
    with spool:
        _check_arrived(received, expected_length, offset)
        if offset == 0:
            _accept_first_bytes(upload, spool.read(kinds.SNIFF_BYTES), received)
            spool.seek(0)
        # Slow I/O outside any transaction: the part is stored first under a
        # unique name, then recorded with a conditional update, so two
        # racing requests for the same offset cannot both be counted.
        name = f"evidence/staging/{upload.pk}/{offset:015d}-{uuid.uuid4().hex}"
        name = storage().save(name, File(spool, name=name))
    with transaction.atomic():
        changed = Upload.objects.filter(
            pk=upload.pk, offset=offset, status=Upload.Status.RECEIVING
        ).update(
            offset=offset + received,
            kind=upload.kind,
            content_type=upload.content_type,
            updated_at=timezone.now(),
        )
        if changed == 1:
            UploadPart.objects.create(
                upload=upload, offset=offset, size=received, storage_name=name
            )
    if changed != 1:
        storage().delete(name)
        upload.refresh_from_db()
        raise OffsetMismatch(upload.offset)
    upload.refresh_from_db()
    return upload


class _PartsReader:
    """The parts of an upload read in order as one stream, hashed on the way."""

    def __init__(self, names: Sequence[str]) -> None:
        self._blocks = _iter_many(names)
        self._block = b""
        self._at = 0
        self.sha256 = hashlib.sha256()
        self.size = 0

    closed = False

    def seekable(self) -> bool:
        # Not seekable: S3's uploader then reads it once, front to back.
        return False

    def close(self) -> None:
        self.closed = True

    def read(self, size: int = -1) -> bytes:
        """``size`` bytes (fewer only at the end). Each byte is copied at most
        once: S3's uploader needs whole parts, local storage reads blocks."""
        pieces: list[bytes] = []
        wanted = size
        while size < 0 or wanted > 0:
            if self._at >= len(self._block):
                self._block, self._at = next(self._blocks, b""), 0
                if not self._block:
                    break
            left = len(self._block) - self._at
            take = left if size < 0 else min(wanted, left)
            if self._at == 0 and take == len(self._block):
                pieces.append(self._block)
            else:
                pieces.append(self._block[self._at : self._at + take])
            self._at += take
            wanted -= take
        data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        self.sha256.update(data)
        self.size += len(data)
        return data


def iter_stored(name: str) -> Iterator[bytes]:
    """A stored object's bytes in blocks, never all in memory."""
    backend = storage()
    bucket = getattr(backend, "bucket", None)
    if bucket is not None:
        # S3: stream the body rather than spooling the object (S3File would).
        body = bucket.Object(backend._normalize_name(name)).get()["Body"]  # type: ignore[attr-defined]
        yield from body.iter_chunks(BLOCK)
        return
    with backend.open(name, "rb") as handle:
        while block := handle.read(BLOCK):
            yield block


def _iter_many(names: Iterable[str]) -> Iterator[bytes]:
    for name in names:
        yield from iter_stored(name)


def _check_finishable(upload: Upload) -> None:
    if upload.status != Upload.Status.RECEIVING:
        raise EvidenceError("not_receiving", _("This upload has already finished."), status=409)
    if upload.offset == 0:
        raise EvidenceError("empty", _("The file is empty."))
    if upload.declared_size is not None and upload.offset != upload.declared_size:
        raise EvidenceError(
            "incomplete",
            _("The file has not all arrived yet. Continue from byte %(offset)s.")
            % {"offset": upload.offset},
            status=409,
        )


def upload_finish(*, upload: Upload) -> EvidenceItem:
    _check_finishable(upload)  # before touching any file: empty, incomplete
    staging = _staging_path(upload)
    if staging is not None:
        return _finish_in_place(upload=upload, path=staging)
    parts = list(upload.parts.order_by("offset"))
    expected = 0
    for part in parts:
        if part.offset != expected:
            raise EvidenceError("incomplete", _("Part of the file is missing."), status=409)
        expected += part.size
    item_id = uuid.uuid4()
    reader = _PartsReader([part.storage_name for part in parts])
    original = File(reader, name=str(item_id))  # type: ignore[arg-type]
    original.DEFAULT_CHUNK_SIZE = BLOCK  # how local storage reads it
    # Storing the original is slow I/O: done before the transaction.
    name = storage().save(f"evidence/originals/{item_id}", original)
    return _item_create(
        upload,
        item_id=item_id,
        name=name,
        size=reader.size,
        sha256=reader.sha256.hexdigest(),
        part_names=[part.storage_name for part in parts],
    )


def upload_complete_file(*, upload: Upload, file: File, sha256: str) -> EvidenceItem:
    """A whole file already on the server (a plain form upload, written to a
    temporary file and hashed while it arrived: evidence.multipart) becomes
    evidence: checked and stored as the original directly (on local storage
    a rename), no parts, no second pass over the bytes.
    """
    _check_receiving(upload, 0)
    size = file.size or 0
    if size == 0:
        raise EvidenceError("empty", _("The file is empty."))
    if size > max_bytes():
        upload_fail(upload=upload, code="too_large")
        raise too_large_error(None)
    file.seek(0)
    _accept_first_bytes(upload, file.read(kinds.SNIFF_BYTES), size)
    file.seek(0)
    local = isinstance(storage(), FileSystemStorage)
    if local:
        # Durable before acknowledged, as a chunk is: the bytes now, the
        # name once the file is moved into place.
        os.fdatasync(file.fileno())
    item_id = uuid.uuid4()
    name = storage().save(f"evidence/originals/{item_id}", file)
    if local:
        _fsync_directory(Path(storage().path(name)).parent)
    return _item_create(upload, item_id=item_id, name=name, size=size, sha256=sha256)


def _item_create(
    upload: Upload,
    *,
    item_id: uuid.UUID,
    name: str,
    size: int,
    sha256: str,
    part_names: Sequence[str] = (),
) -> EvidenceItem:
    """The evidence item for a stored original; the upload is complete."""
    now = timezone.now()
    with transaction.atomic():
        changed = Upload.objects.filter(pk=upload.pk, status=Upload.Status.RECEIVING).update(
            status=Upload.Status.COMPLETE,
            offset=size,
            kind=upload.kind,
            content_type=upload.content_type,
            updated_at=now,
        )
        if changed != 1:
            transaction.on_commit(lambda: storage().delete(name))
            raise EvidenceError("not_receiving", _("This upload has already finished."), status=409)
        item = EvidenceItem.objects.create(
            id=item_id,
            owner=upload.owner,
            is_statement=upload.is_statement,
            filename=upload.filename,
            storage_name=name,
            size=size,
            sha256=sha256,
            kind=upload.kind,
            content_type=upload.content_type,
            created_at=now,
        )
        _custody(item, CustodyEvent.Action.RECEIVED, sha256=item.sha256, detail={"size": item.size})
        upload.parts.all().delete()
        transaction.on_commit(lambda: _delete_names(part_names))
        transaction.on_commit(lambda: _enqueue_processing(item.pk))
    upload.status, upload.offset = Upload.Status.COMPLETE, size
    return item


def _delete_names(names: Iterable[str]) -> None:
    for name in names:
        storage().delete(name)


def _enqueue_processing(item_id: uuid.UUID) -> None:
    from evidence.tasks import evidence_process_task  # tasks import services

    evidence_process_task.delay(str(item_id))


def _custody(
    item: EvidenceItem,
    action: str,
    *,
    version: str = "original",
    sha256: str = "",
    user: User | AnonymousUser | None = None,
    detail: dict[str, Any] | None = None,
) -> CustodyEvent:
    return CustodyEvent.objects.create(
        item=item,
        at=timezone.now(),
        action=action,
        version=version,
        sha256=sha256,
        acting_user=user if isinstance(user, User) else None,
        detail=detail or {},
    )


def evidence_remove(*, owner: str, item_id: uuid.UUID) -> bool:
    """The uploader removes a file before submitting; claimed files stay."""
    item = EvidenceItem.objects.owned_by(owner).unclaimed().filter(pk=item_id).first()
    if item is None:
        return False
    _item_delete(item)
    return True


def _item_delete(item: EvidenceItem) -> None:
    names = [item.storage_name, *item.derivatives.values_list("storage_name", flat=True)]
    item.delete()
    for name in names:
        if name:
            storage().delete(name)


def evidence_claim(
    *,
    report: Model,
    owner: str,
    evidence_ids: Sequence[uuid.UUID] | None = None,
    statement_id: uuid.UUID | None = None,
) -> list[EvidenceItem]:
    """Attach the owner's staged items to a report (inside report_submit).

    ``evidence_ids`` None means every item the owner has staged (the web
    journey, where the page lists them all). Asking for an item that is not
    the owner's, or already claimed, raises EvidenceError.
    """
    items = EvidenceItem.objects.owned_by(owner).unclaimed().select_for_update()
    wanted = set(evidence_ids or [])
    if statement_id:
        wanted.add(statement_id)
    if evidence_ids is not None or statement_id:
        items = items.filter(pk__in=wanted)
    found = list(items.exclude(status=EvidenceItem.Status.REJECTED))
    if wanted and {item.pk for item in found} != wanted:
        raise EvidenceError("unknown_evidence", _("A file you asked to add cannot be found."))
    already = EvidenceItem.objects.filter(report_id=report.pk).count()
    if already + len(found) > settings.EVIDENCE_MAX_FILES:
        raise EvidenceError(
            "too_many_files",
            _("You can add up to %(count)s files to a report.")
            % {"count": settings.EVIDENCE_MAX_FILES},
        )
    now = timezone.now()
    for item in found:
        item.report = report  # type: ignore[assignment]
        item.claimed_at = now
        if statement_id and item.pk == statement_id:
            if item.kind not in (Kind.VIDEO, Kind.AUDIO):
                raise EvidenceError(
                    "not_accepted", _("A statement must be a video or an audio recording.")
                )
            item.is_statement = True
        item.save(update_fields=["report", "claimed_at", "is_statement"])
        _custody(item, CustodyEvent.Action.CLAIMED, detail={"report_id": report.pk})
    return found


# --- Processing -------------------------------------------------------------


@contextlib.contextmanager
def _readable_original(item: EvidenceItem) -> Iterator[Path]:
    """A path Pillow, ffprobe and ffmpeg can read the original from: on local
    storage the stored file itself (they only read it; a 2 GB video is not
    copied again), on object storage a temporary copy."""
    local = _local_path(item.storage_name)
    if local is not None:
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="evidence-") as directory:
        path = Path(directory) / "original"
        with path.open("wb") as handle:
            for block in iter_stored(item.storage_name):
                handle.write(block)
        yield path


def _save_derivative(item: EvidenceItem, version: str, data: bytes) -> Derivative:
    digest = hashlib.sha256(data).hexdigest()
    name = storage().save(f"evidence/derivatives/{item.pk}/{version}.jpg", ContentFile(data))
    derivative, _created = Derivative.objects.update_or_create(
        item=item,
        version=version,
        defaults={
            "storage_name": name,
            "content_type": "image/jpeg",
            "size": len(data),
            "sha256": digest,
        },
    )
    return derivative


def evidence_process(*, item_id: uuid.UUID | str) -> EvidenceItem | None:
    """Scan, check and derive one item. Idempotent: claims the item first."""
    now = timezone.now()
    claimed = EvidenceItem.objects.filter(pk=item_id, status=EvidenceItem.Status.STAGED).update(
        status=EvidenceItem.Status.SCANNING, scan_started_at=now
    )
    if claimed != 1:
        # Gone, or already done or under way (a redelivered message).
        return None
    item = EvidenceItem.objects.get(pk=item_id)
    try:
        verdict = clamav.scan_stream(iter_stored(item.storage_name))
    except clamav.ScanLimitExceeded as exc:
        # Not a virus, and not known to be clean: never served; staff see
        # why (clamd's limits are set in evidence/clamd.conf).
        _finish(item, EvidenceItem.Status.UNSCANNED, str(exc), now)
        return item
    except clamav.ScannerError:
        # No verdict: put it back so the retry (or the sweeper) tries again.
        EvidenceItem.objects.filter(pk=item.pk).update(status=EvidenceItem.Status.STAGED)
        raise
    if not verdict.clean:
        _finish(item, EvidenceItem.Status.QUARANTINED, verdict.signature, now)
        return item
    with _readable_original(item) as path:
        try:
            if item.kind == Kind.IMAGE:
                image = media.process_image(path)
                item.metadata = image.metadata
                derived = {"thumbnail": image.thumbnail, "shareable": image.shareable}
            elif item.kind in (Kind.VIDEO, Kind.AUDIO):
                av = media.process_av(path, kind=item.kind)
                item.metadata = av.metadata
                derived = {"poster": av.poster} if av.poster else {}
            else:
                derived = {}
        except media.MediaRejected as exc:
            _finish(item, EvidenceItem.Status.REJECTED, exc.reason, now)
            return item
    with transaction.atomic():
        # Locked, and the report read again: a report_submit claiming the
        # item meanwhile (evidence_claim locks it too) either commits first,
        # and is seen here, or waits for this and sends the file as clean.
        item.report_id = (
            EvidenceItem.objects.select_for_update(no_key=True)
            .filter(pk=item.pk)
            .values_list("report_id", flat=True)
            .get()
        )
        for version, data in derived.items():
            derivative = _save_derivative(item, version, data)
            _custody(item, CustodyEvent.Action.DERIVED, version=version, sha256=derivative.sha256)
        item.status = EvidenceItem.Status.CLEAN
        item.processed_at = timezone.now()
        item.save(update_fields=["status", "metadata", "processed_at"])
        _custody(item, CustodyEvent.Action.SCANNED_CLEAN, sha256=item.sha256)
        if item.report_id is not None:
            # Already part of a report: whoever it was sent to may need to
            # hear of it (an unclaimed item is sent with its report later).
            evidence_cleared.send(sender=EvidenceItem, item=item)
    return item


def _finish(item: EvidenceItem, status: str, reason: str, now: Any) -> None:
    action = {
        EvidenceItem.Status.QUARANTINED: CustodyEvent.Action.QUARANTINED,
        EvidenceItem.Status.UNSCANNED: CustodyEvent.Action.NOT_SCANNED,
    }.get(EvidenceItem.Status(status), CustodyEvent.Action.REJECTED)
    with transaction.atomic():
        item.status = status
        item.status_reason = reason[:300]
        item.processed_at = timezone.now()
        item.save(update_fields=["status", "status_reason", "processed_at"])
        _custody(item, action, sha256=item.sha256, detail={"reason": reason[:300]})
    logger.info("evidence %s %s", item.pk, status)


def evidence_requeue_stale(*, now: Any = None) -> int:
    """Queue again what a lost message or a dead worker left unprocessed.

    Items still "staged" a few minutes after arrival never reached a worker;
    items "scanning" past the processing time limit lost theirs. Either way
    processing is idempotent, so queueing again is safe.
    """
    now = now or timezone.now()
    stuck = EvidenceItem.objects.filter(
        status=EvidenceItem.Status.SCANNING,
        scan_started_at__lt=now
        - timedelta(seconds=settings.EVIDENCE_PROCESS_TIMEOUT_SECONDS + 120),
    )
    stuck.update(status=EvidenceItem.Status.STAGED)
    stale = list(
        EvidenceItem.objects.filter(
            status=EvidenceItem.Status.STAGED, created_at__lt=now - timedelta(minutes=5)
        ).values_list("pk", flat=True)
    )
    for item_id in stale:
        _enqueue_processing(item_id)
    return len(stale)


# --- Purging ----------------------------------------------------------------


def evidence_purge_unclaimed(*, now: Any = None) -> int:
    """Delete uploads and items nobody submitted within the staging period."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.EVIDENCE_STAGED_TTL_SECONDS)
    count = 0
    for item in EvidenceItem.objects.unclaimed().filter(created_at__lt=cutoff).iterator():
        _item_delete(item)
        count += 1
    for upload in Upload.objects.filter(updated_at__lt=cutoff).iterator():
        names = [*upload.parts.values_list("storage_name", flat=True), *_staging_names(upload)]
        upload.delete()
        _delete_names(names)
        count += 1
    return count


# --- Serving ----------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    name: str
    content_type: str
    sha256: str
    size: int
    version: str
    filename: str


# --- Signed links for recipients outside the staff site -----------------------

_LINK_SALT = "evidence.recipient-link"


def evidence_link_sign(*, item_id: uuid.UUID, version: str, grant: str) -> str:
    """A token for one version of one item, for a recipient named by
    ``grant`` (an opaque string the app that checks it understands, e.g.
    "referral:12"). Valid for EVIDENCE_LINK_TTL_SECONDS; whoever serves it
    must still check that the grant holds (consent can be withdrawn)."""
    return signing.dumps({"i": str(item_id), "v": version, "g": grant}, salt=_LINK_SALT)


def evidence_link_read(token: str) -> dict[str, str] | None:
    """The token's item id ("i"), version ("v") and grant ("g"), or None
    when it is forged, altered or expired."""
    try:
        data = signing.loads(token, salt=_LINK_SALT, max_age=settings.EVIDENCE_LINK_TTL_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not {"i", "v", "g"} <= set(data):
        return None
    return {key: str(data[key]) for key in ("i", "v", "g")}


class EvidenceIntegrityError(Exception):
    """The stored bytes no longer match the hash recorded on arrival."""


def evidence_serve(
    *,
    item: EvidenceItem,
    version: str,
    user: User | AnonymousUser | None,
    action: str,
    detail: dict[str, Any] | None = None,
) -> Served:
    """What to send for one version of an item, verified and logged.

    The SHA-256 is computed again over the stored bytes before anything is
    sent: a mismatch is recorded and nothing is served.
    """
    if item.status != EvidenceItem.Status.CLEAN:
        raise EvidenceError("not_available", "not available", status=404)
    if version == "original":
        name, content_type, expected, size = (
            item.storage_name,
            item.content_type,
            item.sha256,
            item.size,
        )
    else:
        derivative = item.derivatives.filter(version=version).first()
        if derivative is None:
            raise EvidenceError("not_available", "not available", status=404)
        name, content_type, expected, size = (
            derivative.storage_name,
            derivative.content_type,
            derivative.sha256,
            derivative.size,
        )
    digest = hashlib.sha256()
    for block in iter_stored(name):
        digest.update(block)
    if digest.hexdigest() != expected:
        _custody(
            item,
            CustodyEvent.Action.INTEGRITY_FAILED,
            version=version,
            sha256=digest.hexdigest(),
            user=user,
            detail={**(detail or {}), "expected": expected},
        )
        raise EvidenceIntegrityError(str(item.pk))
    _custody(item, action, version=version, sha256=expected, user=user, detail=detail)
    return Served(
        name=name,
        content_type=content_type,
        sha256=expected,
        size=size,
        version=version,
        filename=item.filename,
    )
