"""A SHA-256 whose state can be saved between requests.

A chunked upload's chunks arrive in separate requests, possibly served by
different processes, and the SHA-256 of the whole file is wanted without
reading the file again at the end. Python's hashlib objects cannot be saved,
so this uses OpenSSL's own SHA-256 (the library Python's hashlib is built on,
the same SHA-NI assembly) through its documented low-level interface, whose
context is a plain C struct (``SHA256_CTX`` in openssl/sha.h, 112 bytes,
unchanged since OpenSSL 0.9.8): the struct's bytes are the saved state.

The library is checked against hashlib when this module is imported, so a
library that does not behave fails loudly at start-up, never with a wrong
hash.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
from pathlib import Path

STATE_BYTES = 112  # sizeof(SHA256_CTX)


def _libcrypto() -> ctypes.CDLL:
    """The libcrypto Python's hashlib uses (or the system's)."""
    import _hashlib  # noqa: F401 (loads the library into this process)

    candidates: list[str] = []
    try:
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if "/libcrypto." in path and path not in candidates:
                candidates.append(path)
    except OSError:
        pass
    found = ctypes.util.find_library("crypto")
    if found:
        candidates.append(found)
    for candidate in candidates:
        try:
            library = ctypes.CDLL(candidate)
        except OSError:
            continue
        if all(hasattr(library, f) for f in ("SHA256_Init", "SHA256_Update", "SHA256_Final")):
            return library
    raise ImportError("no libcrypto with SHA256_Init/Update/Final")


_lib = _libcrypto()
_lib.SHA256_Init.argtypes = [ctypes.c_void_p]
_lib.SHA256_Update.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
_lib.SHA256_Final.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
for _function in (_lib.SHA256_Init, _lib.SHA256_Update, _lib.SHA256_Final):
    _function.restype = ctypes.c_int


class Sha256:
    """``Sha256()`` starts a hash, ``Sha256(saved)`` resumes one from
    ``state()``. ctypes releases the GIL while OpenSSL hashes."""

    def __init__(self, state: bytes | None = None) -> None:
        if state is None:
            self._context = ctypes.create_string_buffer(STATE_BYTES)
            if _lib.SHA256_Init(self._context) != 1:
                raise RuntimeError("SHA256_Init failed")
        else:
            if len(state) != STATE_BYTES:
                raise ValueError(f"a saved SHA-256 state is {STATE_BYTES} bytes, not {len(state)}")
            self._context = ctypes.create_string_buffer(bytes(state), STATE_BYTES)

    def update(self, data: bytes | ctypes.Array[ctypes.c_char], length: int | None = None) -> None:
        """Hash ``data``, or its first ``length`` bytes (a ctypes array over
        a receive buffer is hashed where it lies, without a copy)."""
        if length is None:
            length = len(data)
        elif not 0 <= length <= len(data):
            raise ValueError("length is outside the data")
        if _lib.SHA256_Update(self._context, data, length) != 1:
            raise RuntimeError("SHA256_Update failed")

    def state(self) -> bytes:
        return self._context.raw

    def hexdigest(self) -> str:
        """The digest so far (this object can go on being updated)."""
        context = ctypes.create_string_buffer(self._context.raw, STATE_BYTES)
        digest = ctypes.create_string_buffer(32)
        if _lib.SHA256_Final(digest, context) != 1:
            raise RuntimeError("SHA256_Final failed")
        return digest.raw.hex()


def _self_check() -> None:
    data = bytes(range(256)) * 300
    first = Sha256()
    first.update(data[:1000])
    resumed = Sha256(first.state())
    resumed.update(data[1000:])
    if resumed.hexdigest() != hashlib.sha256(data).hexdigest():
        raise ImportError("libcrypto's SHA-256 does not agree with hashlib's")


_self_check()
