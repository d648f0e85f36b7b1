"""Field-level encryption and blind indexes for victims' personal data.

Values are encrypted with MultiFernet: the first key in
``FIELD_ENCRYPTION_KEYS`` encrypts, every listed key decrypts, so a new key
is introduced by putting it first and re-encrypting in the background.
Blind indexes are keyed HMAC-SHA256 digests of a normalised value: exact
matching (a repeat victim's email) without storing or comparing plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.strip()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        # Never include the token or any plaintext in the message.
        raise ValueError("encrypted value cannot be decrypted with the configured keys") from exc


def blind_index(kind: str, value: str) -> str:
    normalised = normalise(kind, value)
    if not normalised:
        return ""
    message = f"{kind}:{normalised}".encode()
    return hmac.new(settings.BLIND_INDEX_KEY.encode(), message, hashlib.sha256).hexdigest()


def normalise(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "email":
        return value.lower()
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        # UK numbers: +44 7700 900123 and 07700 900123 are the same person.
        if digits.startswith("44"):
            digits = "0" + digits[2:]
        return digits
    raise ValueError(f"unknown blind index kind {kind!r}")
