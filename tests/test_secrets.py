"""References and follow-up secrets: their shape and their alphabet."""

from __future__ import annotations

import re
from collections import Counter

from reports import secrets


def test_a_reference_and_a_secret_are_grouped_crockford_letters() -> None:
    letters = f"[{secrets.ALPHABET}]"
    assert re.fullmatch(f"HC-{letters}{{4}}-{letters}{{4}}", secrets.new_reference())
    assert re.fullmatch(f"{letters}{{4}}(-{letters}{{4}}){{3}}", secrets.new_follow_up_secret())


def test_every_letter_is_drawn_evenly() -> None:
    # Each random byte picks a letter by its low five bits: even only while
    # the alphabet has exactly 32 letters.
    assert len(set(secrets.ALPHABET)) == 32
    drawn = Counter("".join(secrets.new_follow_up_secret() for _ in range(4000)).replace("-", ""))
    assert set(drawn) == set(secrets.ALPHABET)
    # 64,000 letters, 2,000 expected each: 20 standard deviations is 890.
    assert max(drawn.values()) - min(drawn.values()) < 1800
    assert secrets.new_reference() != secrets.new_reference()
