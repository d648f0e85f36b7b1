"""Evidence retention on S3-compatible storage (moto's HTTP server): the
objects are really gone from the bucket, the hash and custody remain."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine

from evidence.models import CustodyEvent, Derivative, EvidenceItem
from evidence.tests.conftest import jpeg_with_location
from evidence.tests.helpers import processed
from evidence.tests.test_s3 import s3  # noqa: F401 (the bucket fixture)
from privacy.models import RetentionPolicy
from privacy.services import retention_apply

# Transactional: the files are deleted after the run's transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


def keys(s3_client: Any, bucket: str) -> set[str]:
    listing = s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {entry["Key"] for entry in listing}


def test_retention_deletes_every_object_of_an_expired_item_and_keeps_its_hash(
    s3: Any,  # noqa: F811
    clamd: str,
) -> None:
    s3_client, bucket = s3
    # Seeded by a migration, unless an earlier transactional test emptied the tables.
    RetentionPolicy.objects.update_or_create(
        record_kind="evidence",
        defaults={"keep_for_days": 365, "action": "erase", "legal_basis": "Art. 6(1)(e)"},
    )
    with time_machine.travel(NOW - datetime.timedelta(days=400), tick=False):
        old = processed(jpeg_with_location((300, 200)))
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        recent = processed(jpeg_with_location((301, 200)))
    old_names = {old.storage_name, *old.derivatives.values_list("storage_name", flat=True)}
    recent_names = {
        recent.storage_name,
        *recent.derivatives.values_list("storage_name", flat=True),
    }
    assert len(old_names) == 3 and old_names | recent_names <= keys(s3_client, bucket)

    with time_machine.travel(NOW, tick=False):
        run = retention_apply()

    assert run.results["evidence"]["ids"] == [str(old.pk)]
    assert keys(s3_client, bucket) == recent_names
    tombstone = EvidenceItem.objects.get(pk=old.pk)
    assert tombstone.status == EvidenceItem.Status.ERASED
    assert (tombstone.sha256, tombstone.size) == (old.sha256, old.size)
    assert tombstone.storage_name == "" and not Derivative.objects.filter(item=old).exists()
    erased = tombstone.custody.get(action=CustodyEvent.Action.ERASED)
    assert erased.sha256 == old.sha256 and set(erased.detail["derivatives"]) == {
        "thumbnail",
        "shareable",
    }
    assert EvidenceItem.objects.get(pk=recent.pk).status == EvidenceItem.Status.CLEAN
