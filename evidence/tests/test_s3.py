"""The same evidence path on S3-compatible storage (moto's HTTP server)."""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

import boto3
import pytest
import requests
from django.core.files.storage import storages
from django.test import Client

from audit.roles import Role
from evidence import services
from evidence.models import EvidenceItem
from evidence.tests.conftest import jpeg_with_location
from evidence.tests.helpers import claimed, processed, staff_client
from tests.conftest import VALID_REPORT
from tests.helpers import submit
from tests.staff import make_staff

# Transactional: on-commit work (deleting the staged parts) really runs.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def s3(settings: Any, s3_endpoint: str) -> Any:
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="eu-west-2",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            # As hatecrime/settings.py configures S3 (none of local storage's options).
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_endpoint,
                "region_name": "eu-west-2",
                "access_key": "test",
                "secret_key": "test",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 60,
                "object_parameters": {"ServerSideEncryption": "AES256"},
                "file_overwrite": False,
            },
        },
    }
    return client, bucket


def test_evidence_on_s3_is_private_encrypted_and_served_verified(
    s3: Any, clamd: str, client: Client, settings: Any, reference_data: None
) -> None:
    s3_client, bucket = s3
    settings.EVIDENCE_CHUNK_MAX_BYTES = 1024
    data = jpeg_with_location((300, 200))
    item = processed(data)
    assert item.status == EvidenceItem.Status.CLEAN
    head = s3_client.head_object(Bucket=bucket, Key=item.storage_name)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == len(data)
    # No stray parts left behind in staging.
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert not [k for k in keys if k.startswith("evidence/staging/")]
    # Not readable without a signature; a signed URL is short-lived.
    unsigned = f"{s3_client.meta.endpoint_url}/{bucket}/{item.storage_name}"
    assert requests.get(unsigned, timeout=5).status_code == 403
    assert "Expires=" in storages["default"].url(item.storage_name) or "X-Amz-Expires=60" in (
        storages["default"].url(item.storage_name)
    )
    report = submit(copy.deepcopy(VALID_REPORT)).report
    claimed(item, report)
    response = staff_client(make_staff("tara", Role.TRIAGE_OFFICER)).get(
        f"/staff/evidence/{item.pk}/original/"
    )
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == item.sha256 == response["X-Evidence-SHA256"]
    # Detached again (test only) so the uploader's removal deletes the objects.
    EvidenceItem.objects.filter(pk=item.pk).update(report=None)
    assert services.evidence_remove(owner=item.owner, item_id=item.pk)
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == []
