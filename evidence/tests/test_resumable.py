"""The SHA-256 whose state is saved between a chunked upload's requests."""

from __future__ import annotations

import hashlib
import os
import random

import pytest

from evidence.resumable import STATE_BYTES, Sha256


def test_a_hash_resumed_from_saved_states_equals_hashlib_for_any_split() -> None:
    data = os.urandom(300_000)
    rng = random.Random(3)
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, len(data)), rng.randint(1, 8)))
        state = None
        for start, stop in zip([0, *cuts], [*cuts, len(data)], strict=True):
            digest = Sha256(state)
            digest.update(data[start:stop])
            state = digest.state()
            assert len(state) == STATE_BYTES
        assert Sha256(state).hexdigest() == hashlib.sha256(data).hexdigest()


def test_hexdigest_does_not_end_the_hash() -> None:
    digest = Sha256()
    digest.update(b"abc")
    assert digest.hexdigest() == hashlib.sha256(b"abc").hexdigest()
    digest.update(b"def")
    assert digest.hexdigest() == hashlib.sha256(b"abcdef").hexdigest()
    assert Sha256().hexdigest() == hashlib.sha256(b"").hexdigest()


def test_a_state_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="112 bytes"):
        Sha256(b"\0" * 100)
