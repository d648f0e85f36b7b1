from __future__ import annotations

from typing import Any

from django.db import models

from privacy.crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """Text stored encrypted (Fernet) in the database, plain in Python.

    Encrypted values cannot be searched or ordered by the database: pair the
    field with a blind index where exact matching is needed.
    """

    description = "Text encrypted at rest with the field-encryption keys"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
