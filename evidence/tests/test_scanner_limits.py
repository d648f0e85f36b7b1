"""clamd's size limits: a file clamd will not read whole is "unscanned",
never clean and never served; retrying does not change that.

Two real clamd processes with small limits stand in for the deployed ones
(evidence/clamd.conf), so a file "just over the limit" is a megabyte, not
two gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from evidence import clamav, services
from evidence.models import CustodyEvent, EvidenceItem
from evidence.tests.conftest import clamd_running, deployed_limits
from evidence.tests.helpers import upload_bytes

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def padded_pdf(size: int) -> bytes:
    head = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%"
    tail = b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    return head + b"x" * (size - len(head) - len(tail)) + tail


@pytest.fixture(scope="module")
def stream_limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """clamd as shipped by Debian in spirit: a StreamMaxLength below the file."""
    with clamd_running(tmp_path_factory.mktemp("clamd-stream"), {"StreamMaxLength": "1M"}) as s:
        yield s


@pytest.fixture(scope="module")
def file_limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The stream fits, but the file is past MaxFileSize: clamd would not read it."""
    limits = {"StreamMaxLength": "4M", "MaxFileSize": "1M", "AlertExceedsMax": "yes"}
    with clamd_running(tmp_path_factory.mktemp("clamd-file"), limits) as sock:
        yield sock


def test_the_deployed_clamd_takes_the_largest_upload_and_reports_its_limits(
    settings: Any,
) -> None:
    limits = deployed_limits()
    largest = max(settings.EVIDENCE_MAX_BYTES.values())
    for name in ("StreamMaxLength", "MaxFileSize"):
        assert limits[name].endswith("M") and int(limits[name][:-1]) * MB >= largest, name
    assert limits["AlertExceedsMax"] == "yes"


@pytest.mark.parametrize("size", [MB + 1, 8 * MB])
def test_a_file_over_stream_max_length_is_a_limit_not_a_verdict(
    stream_limited: str, size: int
) -> None:
    # Just over, and well over (clamd closes the stream while we still send).
    data = padded_pdf(size)
    with pytest.raises(clamav.ScanLimitExceeded, match="size limit exceeded"):
        clamav.scan_stream(iter([data[i : i + 65536] for i in range(0, len(data), 65536)]),
                           address=stream_limited)  # fmt: skip
    # At the limit exactly, clamd reads it all and answers.
    assert clamav.scan_stream([padded_pdf(MB - 64)], address=stream_limited).clean


def test_an_item_over_stream_max_length_is_left_unscanned_never_clean(
    settings: Any, stream_limited: str
) -> None:
    settings.CLAMD_ADDRESS = stream_limited
    item = upload_bytes(padded_pdf(MB + 1), filename="long.pdf")
    services.evidence_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == EvidenceItem.Status.UNSCANNED
    assert "size limit exceeded" in item.status_reason
    assert item.custody.filter(action=CustodyEvent.Action.NOT_SCANNED).exists()
    # Not queued again: processing is over for this item, and nothing serves it.
    assert services.evidence_process(item_id=item.pk) is None
    assert not EvidenceItem.objects.servable().filter(pk=item.pk).exists()


def test_a_file_past_max_file_size_is_unscanned_not_ok(settings: Any, file_limited: str) -> None:
    settings.CLAMD_ADDRESS = file_limited
    item = upload_bytes(padded_pdf(2 * MB), filename="big.pdf")
    services.evidence_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == EvidenceItem.Status.UNSCANNED
    assert "Heuristics.Limits.Exceeded" in item.status_reason
