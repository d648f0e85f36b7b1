"""The reporter's view of a checked file on the evidence page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from evidence import services
from evidence.tests.conftest import pdf_with_eicar
from evidence.tests.helpers import upload_bytes
from evidence.views import session_owner
from tests.test_evidence_journey import up_to_evidence

pytestmark = pytest.mark.django_db


def test_reporter_is_told_kindly_when_a_file_is_quarantined(
    client: Client, reference_data: None, valid_report: dict[str, Any], clamd: str
) -> None:
    up_to_evidence(client, valid_report)
    client.get("/report/evidence/")
    owner = session_owner(client.session, create=False)
    assert owner
    item = upload_bytes(pdf_with_eicar(), owner=owner, filename="letter.pdf")
    services.evidence_process(item_id=item.pk)
    page = client.get("/report/evidence/").content.decode()
    assert "letter.pdf" in page
    assert "our safety check found a problem with it" in page
    assert "This is not your fault" in page
    assert "EICAR" not in page  # the signature is for staff
