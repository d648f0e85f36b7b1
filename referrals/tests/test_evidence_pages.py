"""Evidence and routing on the staff pages: the report's triage page, the
case page and a police referral's page, with their query counts pinned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.roles import Role
from evidence import services
from evidence.models import EvidenceItem
from evidence.tests.conftest import (  # noqa: F401 (fixtures)
    _evidence_settings,
    clamd,
    clamd_socket,
    jpeg_with_location,
    pdf_with_eicar,
)
from evidence.tests.conftest import media_dir as media_dir
from evidence.tests.helpers import processed, staff_client, upload_bytes
from referrals.case_models import Case
from referrals.case_services import membership_add
from referrals.models import Provider, Service
from referrals.services import referral_accept, referral_override
from referrals.tests.casework import delivered_report, report_data, support_referral
from reports.models import Report
from tests.staff import make_staff

pytestmark = pytest.mark.usefixtures("reference_data", "_evidence_settings", "clamd")


def _attach(
    report: Report, items: list[EvidenceItem], statement: EvidenceItem | None = None
) -> None:
    with transaction.atomic():
        for item in items:
            services.evidence_claim(report=report, owner=item.owner, evidence_ids=[item.pk])
        if statement is not None:
            services.evidence_claim(
                report=report, owner=statement.owner, evidence_ids=[], statement_id=statement.pk
            )


@pytest.fixture
def report() -> Report:
    return delivered_report(report_data(strands=["sexual-orientation"]))


@pytest.fixture
def tara() -> User:
    return make_staff("tara", Role.TRIAGE_OFFICER)


def _page(client: Any, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode(), len(queries)


def test_the_report_page_shows_the_statement_first_then_files_with_hashes_checks_and_custody(
    report: Report, tara: User, media_dir: Path
) -> None:
    photo = processed(jpeg_with_location(), filename="bus stop.jpg")
    infected = processed(pdf_with_eicar(), filename="letter.pdf")
    statement = processed((media_dir / "clip.mp4").read_bytes(), filename="bsl.mp4")
    _attach(report, [photo, infected], statement=statement)
    client = staff_client(tara)
    url = f"/staff/reports/report/{report.pk}/change/"
    page, _count = _page(client, url)

    assert page.index("Statement given instead of a written account") < page.index("bus stop.jpg")
    for item in (photo, infected, statement):
        assert item.sha256 in page
    assert "Quarantined (virus scanner): Test.EICAR.UNOFFICIAL" in page
    assert f'src="/staff/evidence/{photo.pk}/thumbnail/"' in page
    assert f'src="/staff/evidence/{statement.pk}/poster/"' in page  # the video's poster frame
    assert f'href="/staff/evidence/{photo.pk}/original/"' in page
    assert f"/staff/evidence/{infected.pk}/" not in page  # never served

    # Opening the thumbnail is in the chain of custody shown on the page.
    assert client.get(f"/staff/evidence/{photo.pk}/thumbnail/").status_code == 200
    page, _count = _page(client, url)
    custody = page[page.index("bus stop.jpg") :]
    assert "Viewed" in custody and "tara" in custody


def test_the_report_page_runs_the_same_number_of_queries_for_one_file_or_many(
    report: Report, tara: User
) -> None:
    _attach(report, [processed(jpeg_with_location())])
    client = staff_client(tara)
    url = f"/staff/reports/report/{report.pk}/change/"
    _page(client, url)  # warm the per-process caches (reference data, directory)
    _page_one, one = _page(client, url)
    _attach(
        report,
        [
            processed(jpeg_with_location()),
            processed(jpeg_with_location()),
            processed(pdf_with_eicar()),
        ],
    )
    _page_four, four = _page(client, url)
    assert one == four


def test_the_report_page_explains_routing_in_plain_words_and_shows_overrides(
    report: Report, tara: User
) -> None:
    client = staff_client(tara)
    url = f"/staff/reports/report/{report.pk}/change/"
    page, _count = _page(client, url)
    routed = report.referrals.get(kind="support")
    # The reason routing recorded on the referral, in plain words.
    assert routed.reason == (
        f"sent to {routed.recipient_name} because: sexual orientation, area Lambeth, "
        "victim asked for support"
    )
    assert routed.reason in page
    assert "victim asked for the police to be told" in page
    assert f"/staff/referrals/referral/add/?report={report.pk}" in page

    assert routed.service_id is not None
    other = Service.objects.exclude(pk=routed.service_id).filter(accepts_referrals=True).first()
    assert other is not None
    referral_override(
        report=report, service=other, reason="The victim is also a disabled man.", acting_user=tara
    )
    page, _count = _page(client, url)
    assert f"sent to {other.provider.name} by triage: The victim is also a disabled man." in page
    assert "routing overridden by tara" in page


@pytest.fixture
def ada() -> User:
    user = make_staff("ada", Role.ADVOCATE)
    membership_add(user=user, provider=Provider.objects.get(slug="cst"), acting_user=None)
    return user


def test_the_case_page_shows_location_stripped_copies_only_with_a_pinned_query_count(
    ada: User,
) -> None:
    report = delivered_report(report_data(strands=["race"]))
    referral = support_referral(report)
    referral_accept(referral=referral, advocate=ada, acting_user=ada)
    case = Case.objects.get(referral=referral)
    photo = processed(jpeg_with_location(), filename="bus stop.jpg")
    _attach(report, [photo])
    client = staff_client(ada)
    url = f"/staff/referrals/case/{case.pk}/change/"
    _page(client, url)
    page, one = _page(client, url)
    assert photo.sha256 in page
    assert f'src="/staff/evidence/{photo.pk}/thumbnail/"' in page
    assert f"/staff/evidence/{photo.pk}/shareable/?download=1" in page
    assert f"/staff/evidence/{photo.pk}/original/" not in page
    _attach(report, [processed(jpeg_with_location()), processed(pdf_with_eicar())])
    _page_three, three = _page(client, url)
    assert one == three


def test_police_see_the_original_and_its_hash_on_their_referral(report: Report) -> None:
    from reports.models import PoliceForce

    pete = make_staff("pete", Role.POLICE_LIAISON)
    membership_add(
        user=pete, police_force=PoliceForce.objects.get(code="metropolitan"), acting_user=None
    )
    photo = processed(jpeg_with_location())
    _attach(report, [photo])
    police = report.referrals.get(kind="police")
    page, _count = _page(staff_client(pete), f"/staff/referrals/referral/{police.pk}/change/")
    assert f'href="/staff/evidence/{photo.pk}/original/"' in page
    assert photo.sha256 in page


def test_a_file_uploaded_but_not_yet_checked_is_listed_without_links(
    report: Report, tara: User
) -> None:
    waiting = upload_bytes(jpeg_with_location(), filename="waiting.jpg")
    _attach(report, [waiting])
    page, _count = _page(staff_client(tara), f"/staff/reports/report/{report.pk}/change/")
    assert "waiting.jpg" in page and "Waiting to be checked" in page
    assert f"/staff/evidence/{waiting.pk}/" not in page
