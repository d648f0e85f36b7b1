"""A database session store whose contents are encrypted at rest.

The reporting journey keeps a reporter's answers in the session until they
submit; encrypting the whole session payload means an abandoned draft is
never plaintext in the database either.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DBSessionStore

from privacy.crypto import decrypt, encrypt


class SessionStore(DBSessionStore):
    def encode(self, session_dict: dict[str, Any]) -> str:
        return encrypt(super().encode(session_dict))

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if isinstance(session_data, bytes):
            session_data = session_data.decode("ascii")
        try:
            return super().decode(decrypt(session_data))
        except ValueError:
            # A key that has been retired, or a tampered row: start afresh.
            return {}
