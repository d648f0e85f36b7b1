"""References and follow-up secrets.

Both use Crockford's base32 alphabet (no I, L, O or U) so they can be read
aloud, written down and typed back without confusing 0/O or 1/I/L.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
REFERENCE_PREFIX = "HC"
# 8 characters: 40 bits. References are not secret (staff and recipients see
# them) but should not be guessable in sequence.
REFERENCE_LENGTH = 8
# 16 characters of a 32-letter alphabet: 80 bits of randomness.
SECRET_LENGTH = 16


def _random(length: int) -> str:
    # One read of the system's CSPRNG for the whole value (secrets.choice
    # reads it about twice per character). 256 is a multiple of the
    # alphabet's 32 letters, so the low five bits of each byte are uniform.
    return "".join([ALPHABET[byte & 31] for byte in secrets.token_bytes(length)])


def _grouped(value: str) -> str:
    return "-".join(value[i : i + 4] for i in range(0, len(value), 4))


def _canonical(value: str) -> str:
    return "".join(ch for ch in value.upper().translate(_CONFUSABLE) if ch in ALPHABET)


def new_reference() -> str:
    return f"{REFERENCE_PREFIX}-{_grouped(_random(REFERENCE_LENGTH))}"


def normalise_reference(value: str) -> str:
    """'hc 7k3m q2xp' and 'HC-7K3M-Q2XP' are the same reference."""
    body = _canonical(value)
    if body.startswith(REFERENCE_PREFIX):
        body = body[len(REFERENCE_PREFIX) :]
    if len(body) != REFERENCE_LENGTH:
        return ""
    return f"{REFERENCE_PREFIX}-{_grouped(body)}"


def new_follow_up_secret() -> str:
    return _grouped(_random(SECRET_LENGTH))


def hash_follow_up_secret(secret: str) -> str:
    return make_password(_canonical(secret), hasher=FollowUpSecretHasher.algorithm)


def check_follow_up_secret(secret: str, encoded: str | None) -> bool:
    # With no report to compare against, still spend the same effort so the
    # response time does not reveal whether a reference exists.
    return check_password(_canonical(secret), encoded or _dummy_hash())


class FollowUpSecretHasher(PBKDF2PasswordHasher):
    """PBKDF2 with a low work factor, for 80-bit random follow-up secrets.

    Key stretching protects low-entropy human passwords; a secret with 80
    bits of randomness cannot be brute-forced offline whatever the work
    factor, while a high one would make every submission and lookup a
    CPU cost an attacker could use to flood the service. Online guessing is
    stopped by per-reference and per-client lockouts instead.
    """

    algorithm = "followup_pbkdf2_sha256"
    iterations = 1000


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return make_password("0" * SECRET_LENGTH, hasher=FollowUpSecretHasher.algorithm)
