"""Small-number suppression for every count a commissioning officer sees.

A count of 1 to 4 could point to a person (one disabled victim in a small
area in one month), so it is shown as "<5". Where a table shows a total and
exactly one cell in it is suppressed, that cell could be worked out by
subtraction, so the next smallest count is suppressed too (secondary
suppression). Zero is shown: it discloses nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5


@dataclass(frozen=True)
class Count:
    """A count as shown: ``value`` is None when it is suppressed."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        return f"<{THRESHOLD}" if self.value is None else f"{self.value:,}"


def is_small(number: int) -> bool:
    return 0 < number < THRESHOLD


def suppress_one(number: int) -> Count:
    return Count(None if is_small(number) else number)


def suppress(numbers: Sequence[int], *, with_total: bool = True) -> list[Count]:
    """Suppress a group of counts that are shown together (and with a total)."""
    hidden = [is_small(n) for n in numbers]
    if with_total and sum(hidden) == 1:
        candidates = [(n, i) for i, n in enumerate(numbers) if not hidden[i] and n > 0]
        if candidates:
            hidden[min(candidates)[1]] = True
    return [Count(None if hide else n) for n, hide in zip(numbers, hidden, strict=True)]


def suppress_total(total: int) -> Count:
    return suppress_one(total)
