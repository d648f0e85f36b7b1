"""evidence.blockwriter: what is written is what was received, at the right
offsets, whether a block is aligned (O_DIRECT) or not (the page cache)."""

from __future__ import annotations

import errno
import hashlib
import io
import os
from pathlib import Path

import pytest

from evidence import blockwriter
from evidence.blockwriter import ALIGN, BLOCK


def write_pieces(path: Path, pieces: list[bytes]) -> blockwriter.BlockWriter:
    """Write ``pieces`` one after another as the chunk path does: each
    received into a buffer, up to the next aligned offset first."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        offset = 0
        with blockwriter.block_writer(fd, path) as writer:
            stream = io.BytesIO(b"".join(pieces))
            while True:
                buffer = writer.buffer()
                count = blockwriter.fill(stream, buffer.view, writer.want(offset))
                if not count:
                    break
                writer.write(buffer, count, offset)
                offset += count
        os.fdatasync(fd)
    finally:
        os.close(fd)
    return writer


def test_aligned_and_unaligned_blocks_land_where_they_belong(tmp_path: Path) -> None:
    path = tmp_path / "staging"
    data = os.urandom(3 * BLOCK + 12_345)
    writer = write_pieces(path, [data])
    # This filesystem takes O_DIRECT, so the aligned blocks went that way.
    assert writer.direct_fd is not None
    assert path.read_bytes() == data


def test_chunks_that_start_mid_block_are_written_whole(tmp_path: Path) -> None:
    """A chunk that ended mid-page leaves the next one starting unaligned:
    it is received up to the next aligned offset first, then in blocks."""
    path = tmp_path / "staging"
    first, second = os.urandom(ALIGN + 100), os.urandom(BLOCK + 2 * ALIGN + 7)
    write_pieces(path, [first])
    fd = os.open(path, os.O_RDWR)
    try:
        offset = len(first)
        with blockwriter.block_writer(fd, path) as writer:
            stream = io.BytesIO(second)
            sizes = []
            while count := blockwriter.fill(
                stream, (buffer := writer.buffer()).view, writer.want(offset)
            ):
                writer.write(buffer, count, offset)
                sizes.append(count)
                offset += count
    finally:
        os.close(fd)
    assert sizes[0] == ALIGN - 100  # up to the aligned offset
    assert sizes[1] == BLOCK
    assert path.read_bytes() == first + second


def test_a_stream_without_readinto_is_copied_in() -> None:
    class ReadOnly:
        def __init__(self, data: bytes) -> None:
            self.stream = io.BytesIO(data)

        def read(self, size: int) -> bytes:
            return self.stream.read(min(size, 1000))  # short reads too

    data = os.urandom(10_000)
    target = bytearray(20_000)
    assert blockwriter.fill(ReadOnly(data), memoryview(target), 8_000) == 8_000
    assert bytes(target[:8_000]) == data[:8_000]


def test_a_write_that_fails_is_raised_not_lost(tmp_path: Path) -> None:
    """A tail written through a descriptor that cannot write fails in the
    writer thread; leaving the writer raises it."""
    path = tmp_path / "staging"
    path.write_bytes(b"")
    fd = os.open(path, os.O_RDONLY)
    try:
        with pytest.raises(OSError) as raised, blockwriter.block_writer(fd, path) as writer:
            buffer = writer.buffer()
            buffer.view[:100] = b"x" * 100
            writer.write(buffer, 100, 0)
        assert raised.value.errno == errno.EBADF
        writer.close()  # closing again (a caller cleaning up after it) does nothing
    finally:
        os.close(fd)


def test_the_hash_of_a_buffer_is_taken_where_it_lies() -> None:
    from evidence import resumable

    buffer = blockwriter.Buffer()
    try:
        data = os.urandom(BLOCK)
        buffer.view[:] = data
        digest = resumable.Sha256()
        digest.update(buffer.array, 1000)
        digest.update(buffer.array, BLOCK)
        assert digest.hexdigest() == hashlib.sha256(data[:1000] + data).hexdigest()
        with pytest.raises(ValueError):
            digest.update(buffer.array, BLOCK + 1)
    finally:
        buffer.close()
