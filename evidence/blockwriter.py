"""Writing an upload's bytes to its staging file while the next ones arrive.

An upload is received into a few page-aligned buffers, each hashed and then
handed to a writer thread, which writes it with ``O_DIRECT`` (straight from
the buffer to the device, no copy into the page cache and no write-back
later) while the request thread receives and hashes the next buffer. The
request thread's core then does only what cannot be avoided, taking the
bytes off the socket and hashing them; the disk works at the same time.
(``make bench``, uploads: the buffered write, its write-back and the final
fdatasync were a third of the serving process's time.)

``O_DIRECT`` wants the file offset, the length and the buffer's address
aligned to the device's block size. Buffers are ``mmap`` pages, and the
reader fills a buffer only up to the next aligned offset, so every full
buffer is aligned; what is not (the end of a chunk, the start of the next
chunk when the last one ended mid-block) is written through the ordinary
file descriptor. Where a filesystem refuses ``O_DIRECT`` (tmpfs on older
kernels, some network filesystems), everything goes through the ordinary
descriptor, its write-back started at once.

Nothing is acknowledged from here: the caller calls ``fdatasync`` after
``close()`` has waited for every write.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import mmap
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

BLOCK = 2 * 1024 * 1024  # one buffer
BUFFERS = 3  # one being received, up to two being written
ALIGN = 4096  # a multiple of any device's logical block size here


class Buffer:
    """A page-aligned block of memory and a ctypes view of it (for hashing
    without a copy)."""

    def __init__(self) -> None:
        self.memory = mmap.mmap(-1, BLOCK, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.view = memoryview(self.memory)
        self.array = (ctypes.c_char * BLOCK).from_buffer(self.memory)

    def close(self) -> None:
        del self.array
        # A view of the buffer may outlive this (held by a traceback's frame
        # while an error is handled): the memory is then freed with it.
        with contextlib.suppress(BufferError):
            self.view.release()
            self.memory.close()


def fill(stream: Any, view: memoryview, size: int) -> int:
    """Read up to ``size`` bytes into ``view``; fewer only at the end of the
    stream. With ``readinto`` (the request body read from the socket,
    hatecrime.wsgi_input) the bytes land in the buffer straight from the
    kernel; otherwise they are read and copied in."""
    filled = 0
    readinto = getattr(stream, "readinto", None)
    while filled < size:
        if readinto is not None:
            count = readinto(view[filled:size])
        else:
            data = stream.read(size - filled)
            count = len(data)
            view[filled : filled + count] = data
        if not count:
            break
        filled += count
    return filled


class BlockWriter:
    """Writes buffers at increasing offsets of the file open as ``fd``."""

    def __init__(self, fd: int, path: os.PathLike[str] | str) -> None:
        self.fd = fd
        try:
            self.direct_fd: int | None = os.open(path, os.O_WRONLY | os.O_DIRECT | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            self.direct_fd = None
        self.buffers = [Buffer() for _ in range(BUFFERS)]
        self.free: deque[Buffer] = deque(self.buffers)
        self.writing: deque[tuple[Future[None], Buffer]] = deque()
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence-write")
        self.closed = False

    def buffer(self) -> Buffer:
        """A buffer to receive into: a free one, or the oldest once written."""
        if not self.free:
            future, done = self.writing.popleft()
            self.free.append(done)
            future.result()  # a failed write is raised here
        return self.free.popleft()

    @staticmethod
    def want(offset: int) -> int:
        """How many bytes to receive for the buffer that starts at ``offset``:
        a whole one, or up to the next aligned offset."""
        return BLOCK if offset % ALIGN == 0 else ALIGN - offset % ALIGN

    def write(self, buffer: Buffer, length: int, offset: int) -> None:
        """Queue ``length`` bytes of ``buffer`` for ``offset``."""
        self.writing.append((self.thread.submit(self._write, buffer, length, offset), buffer))

    def _write(self, buffer: Buffer, length: int, offset: int) -> None:
        direct_fd, written = self.direct_fd, 0
        if direct_fd is not None and offset % ALIGN == 0:
            direct = length - length % ALIGN  # the aligned part, straight to the device
            while written < direct:
                written += os.pwrite(direct_fd, buffer.view[written:direct], offset + written)
        while written < length:
            written += os.pwrite(self.fd, buffer.view[written:length], offset + written)
        if self.direct_fd is None:
            # Start the write-back now, so the closing fdatasync waits only
            # for the last block; and let the pages go once written.
            os.posix_fadvise(self.fd, offset, length, os.POSIX_FADV_DONTNEED)

    def close(self, *, check: bool = True) -> None:
        """Wait for every write and free the buffers; with ``check``, raise
        the first write that failed. Always called, so no write lands after
        the caller has cut the file back; a second call does nothing."""
        if self.closed:
            return
        self.closed = True
        self.thread.shutdown(wait=True)
        try:
            if check:
                for future, _buffer in self.writing:
                    future.result()
        finally:
            if self.direct_fd is not None:
                os.close(self.direct_fd)
            for buffer in self.buffers:
                buffer.close()


@contextlib.contextmanager
def block_writer(fd: int, path: os.PathLike[str] | str) -> Iterator[BlockWriter]:
    """A BlockWriter for the file open as ``fd``: on leaving, every write
    has ended (a failed one raised, unless something else already was)."""
    writer = BlockWriter(fd, path)
    try:
        yield writer
    except BaseException:
        writer.close(check=False)
        raise
    writer.close()
