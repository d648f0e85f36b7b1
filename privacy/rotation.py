"""Re-encrypting stored values under the newest field-encryption key.

Rotation without downtime: put the new key first in FIELD_ENCRYPTION_KEYS
(every process can then read old and new values, and writes use the new
key), run ``manage.py rotate_encryption_keys`` (batches, each its own short
transaction, so the service keeps running), then remove the old key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.db import connection, transaction
from django.db.models import Model

from privacy.crypto import fernet
from privacy.fields import EncryptedTextField


@dataclass
class RotationResult:
    table: str
    rows: int
    values: int


def encrypted_columns() -> Iterator[tuple[type[Model], list[str]]]:
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields and not model._meta.proxy:
            yield model, [str(f.column) for f in fields]


def rotate_table(
    model: type[Model], columns: list[str], *, batch_size: int = 1000
) -> RotationResult:
    """Re-encrypt every non-empty value of ``columns`` with the current key.

    Works on the stored tokens directly (no decrypted value is held longer
    than one batch) and in primary-key order, one transaction per batch.
    """
    quote = connection.ops.quote_name
    assert model._meta.pk is not None
    table, pk = model._meta.db_table, str(model._meta.pk.column)
    # Names come from model metadata, quoted; values are parameters.
    columns_sql = ", ".join(quote(c) for c in columns)
    select = f"SELECT {quote(pk)}, {columns_sql} FROM {quote(table)} WHERE {quote(pk)} > %s ORDER BY {quote(pk)} LIMIT %s"  # noqa: S608
    keys = fernet()
    last, rows, values = None, 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(select, [last if last is not None else -1, batch_size])
            batch = cursor.fetchall()
            for row in batch:
                updates = {}
                for column, token in zip(columns, row[1:], strict=True):
                    if not token:
                        continue
                    try:
                        rotated = keys.rotate(token.encode("ascii")).decode("ascii")
                    except InvalidToken as exc:
                        raise ValueError(
                            f"{table}.{column} row {row[0]} cannot be decrypted with any configured key"
                        ) from exc
                    updates[column] = rotated
                if updates:
                    assignments = ", ".join(f"{quote(c)} = %s" for c in updates)
                    cursor.execute(
                        f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk)} = %s",  # noqa: S608 (names from model metadata)
                        [*updates.values(), row[0]],
                    )
                    values += len(updates)
            rows += len(batch)
        if len(batch) < batch_size:
            return RotationResult(table=table, rows=rows, values=values)
        last = batch[-1][0]
