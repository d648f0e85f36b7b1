"""The public journey in Welsh, Polish and Arabic, without a browser: the
switcher, every page in the chosen language, right-to-left for Arabic, and a
change of language mid-journey that loses no answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from audit.roles import Role
from referrals.models import Service
from referrals.services import _support_routes, report_route
from reports.models import Report
from reports.selectors import report_language_needs
from tests.helpers import submit
from tests.staff import make_staff, signed_in
from tests.test_journey_views import PAGES, answer_all

pytestmark = pytest.mark.usefixtures("reference_data")

PUBLIC_PAGES = ["/", "/report/", "/support/", "/follow-up/", "/easy-read/"]


def choose_language(client: Client, language: str, next_url: str = "/") -> None:
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url


def html_attributes(content: bytes) -> dict[str, str]:
    tag = re.search(rb"<html([^>]*)>", content)
    assert tag is not None
    return {k.decode(): v.decode() for k, v in re.findall(rb'(\w+)="([^"]*)"', tag.group(1))}


def walk(client: Client) -> list[tuple[str, bytes]]:
    """Every page of the journey, answered, ending on the confirmation page."""
    seen = [("/report/", client.get("/report/").content)]
    for slug, data in PAGES:
        page = client.get(f"/report/{slug}/")
        assert page.status_code == 200, slug
        seen.append((slug, page.content))
        response = client.post(f"/report/{slug}/", data)
        assert response.status_code == 302, (slug, response.content[:2000])
    seen.append(("check", client.get("/report/check-your-answers/").content))
    assert client.post("/report/check-your-answers/").status_code == 302
    seen.append(("confirmation", client.get("/report/confirmation/").content))
    return seen


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_a_language_switcher_that_needs_no_javascript(
    client: Client, path: str
) -> None:
    page = client.get(path).content.decode()
    form = re.search(r'<form method="post" action="/i18n/setlang/".*?</form>', page, re.DOTALL)
    assert form is not None
    assert f'name="next" value="{path}"' in form.group(0)
    for code in ("cy", "pl", "ar"):
        assert f'name="language" value="{code}"' in form.group(0)
    assert 'lang="cy">Cymraeg<' in form.group(0) and 'lang="ar">العربيّة<' in form.group(0)


@pytest.mark.parametrize("language", ["cy", "pl", "ar"])
@pytest.mark.parametrize(
    "path", [*PUBLIC_PAGES, "/easy-read/what-happens-next/", "/report/confirmation/", "/nowhere/"]
)
def test_every_public_page_renders_in_the_chosen_language(
    client: Client, language: str, path: str
) -> None:
    choose_language(client, language)
    response = client.get(path)
    assert response.status_code in (200, 404)
    expected = {"lang": language, "dir": "rtl" if language == "ar" else "ltr"}
    assert html_attributes(response.content) == expected
    footer = {"cy": "Dod o hyd i gymorth", "pl": "Znajdź pomoc", "ar": "ابحث عن دعم"}[language]
    assert footer in response.content.decode()


def test_the_choice_is_kept_for_the_visit_only(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "cy", "next": "/support/"})
    assert response["Location"] == "/support/"
    cookie = response.cookies["django_language"]
    assert cookie.value == "cy"
    assert not cookie["max-age"] and not cookie["expires"]  # gone when the browser closes
    assert cookie["httponly"]
    assert b"Dod o hyd i gymorth" in client.get("/support/").content


def test_a_switch_to_another_site_is_refused(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "pl", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_whole_journey_in_welsh(client: Client) -> None:
    choose_language(client, "cy")
    pages = walk(client)
    for name, content in pages:
        assert html_attributes(content) == {"lang": "cy", "dir": "ltr"}, name
        assert "Dod o hyd i gymorth" in content.decode(), name  # the footer's "Find support"
        if name in {slug for slug, _data in PAGES} | {"check"}:
            assert 'id="back-link">Yn ôl<' in content.decode(), name
    # A strand (a database row), translated by its code.
    assert "Crefydd neu gred" in dict(pages)["why"].decode()
    report = Report.objects.get()
    assert report.language == "cy"


def test_the_whole_journey_in_arabic_is_right_to_left(client: Client) -> None:
    choose_language(client, "ar")
    pages = walk(client)
    for name, content in pages:
        assert html_attributes(content) == {"lang": "ar", "dir": "rtl"}, name
    confirmation = dict(pages)["confirmation"].decode()
    assert "تم إرسال البلاغ" in confirmation
    report = Report.objects.get()
    # The reference and the secret read left to right inside the Arabic page.
    assert f'dir="ltr" id="reference">{report.reference}<' in confirmation
    assert re.search(r'<p class="secret" dir="ltr" id="secret">[0-9A-Z-]+</p>', confirmation)
    assert report.language == "ar"


def test_check_your_answers_shows_reference_data_in_the_reporters_language(
    client: Client,
) -> None:
    choose_language(client, "pl")
    answer_all(client)
    page = client.get("/report/check-your-answers/").content.decode()
    assert "Obelgi lub znieważenie słowne" in page  # verbal abuse
    assert "Religia lub światopogląd" in page
    assert "Whitechapel Road" in page  # the reporter's own words are not translated


def test_switching_language_mid_journey_loses_no_answers(client: Client) -> None:
    answer_all(client, PAGES[:3])
    choose_language(client, "pl", "/report/why/")
    why = client.get("/report/why/")
    assert html_attributes(why.content)["lang"] == "pl"
    what = client.get("/report/what/").content.decode()
    assert "Shouted abuse about my religion outside the mosque" in what
    assert 'value="verbal-abuse" checked' in what
    choose_language(client, "ar", "/report/where/")
    assert "Whitechapel Road" in client.get("/report/where/").content.decode()
    answer_all(client, PAGES[3:])
    assert client.post("/report/check-your-answers/").status_code == 302
    report = Report.objects.get()
    assert report.account == "Shouted abuse about my religion outside the mosque"
    assert report.location_description == "Whitechapel Road"
    assert report.language == "ar"


def test_what_was_typed_on_a_journey_page_survives_a_switch(client: Client) -> None:
    answer_all(client, PAGES[:1])
    page = client.get("/report/what/").content.decode()
    # On a journey page the switcher's buttons submit the page's own form.
    assert 'form="step-form" formaction="/report/what/?next=%2Freport%2Fwhat%2F"' in page
    assert '<form method="post" action="/report/what/" id="step-form"' in page
    response = client.post(
        "/report/what/?next=%2Freport%2Fwhat%2F",
        {"language": "cy", "account": "Spat at on the tram", "when_kind": "date"},
    )
    assert response.status_code == 302 and response["Location"] == "/report/what/"
    page = client.get("/report/what/").content.decode()
    assert html_attributes(page.encode())["lang"] == "cy"
    assert "Spat at on the tram" in page and 'value="date" checked' in page


def test_a_switch_on_an_untouched_page_does_not_answer_it(client: Client) -> None:
    answer_all(client, PAGES[:1])
    response = client.post("/report/what/?next=/report/what/", {"language": "ar"})
    assert response["Location"] == "/report/what/"
    page = client.get("/report/what/").content.decode()
    assert html_attributes(page.encode())["dir"] == "rtl"
    assert "error-summary" not in page
    assert client.get("/report/where/")["Location"] == "/report/what/"


def test_a_switch_while_changing_an_answer_returns_to_the_change(client: Client) -> None:
    answer_all(client)
    page = client.get("/report/where/?change=1").content.decode()
    assert 'formaction="/report/where/?change=1&amp;next=%2Freport%2Fwhere%2F%3Fchange%3D1"' in page
    response = client.post(
        "/report/where/?change=1&next=%2Freport%2Fwhere%2F%3Fchange%3D1",
        {**dict(PAGES)["where"], "location_description": "Brick Lane", "language": "pl"},
    )
    assert response["Location"] == "/report/where/?change=1"
    assert "Brick Lane" in client.get("/report/check-your-answers/").content.decode()


def test_errors_are_in_the_chosen_language(client: Client) -> None:
    choose_language(client, "ar")
    page = client.post("/report/who/", {}).content.decode()
    assert "هناك مشكلة" in page  # "There is a problem"
    assert "اختر من يقدم هذا البلاغ." in page


def test_the_easy_read_pages_are_linked_and_every_picture_has_a_text_alternative(
    client: Client,
) -> None:
    home = client.get("/").content.decode()
    assert 'href="/easy-read/"' in home and 'href="/easy-read/what-happens-next/"' in home
    for path in ("/easy-read/", "/easy-read/what-happens-next/"):
        page = client.get(path).content.decode()
        images = re.findall(r"<img [^>]*>", page)
        assert len(images) >= 5
        assert all(re.search(r'alt="[^"]+"', image) for image in images), path
    assert 'href="/easy-read/what-happens-next/"' in client.get("/easy-read/").content.decode()
    choose_language(client, "cy")
    assert "Llun o ffôn" in client.get("/easy-read/").content.decode()


@pytest.mark.parametrize("path", ["/", "/support/"])
def test_other_ways_to_report_are_shown_plainly(client: Client, path: str) -> None:
    html = client.get(path).content.decode()
    page = html[html.index("<main") : html.index("</main>")]
    assert '<h2 class="heading-m" id="other-ways-title">Other ways to report</h2>' in page
    assert 'href="/report/what/"' in page  # a video statement, uploaded there
    assert "British Sign Language" in page
    assert "third-party reporting centre" in page
    service = Service.objects.listed().exclude(phone="").first()
    assert service is not None
    assert service.phone in page


def test_staff_see_the_reporters_language_and_interpreting_needs(
    valid_report: dict[str, Any],
) -> None:
    valid_report["support"].update(
        {"preferred_language": "Polish", "needs_interpreter": True, "needs_bsl": True}
    )
    report = submit(valid_report, language="pl").report
    text = report_language_needs(report)
    assert text == (
        "Reported in Polish; asked to be contacted in: Polish; needs an interpreter; "
        "needs a BSL interpreter"
    )
    triage = signed_in(make_staff("tara", Role.TRIAGE_OFFICER))
    page = triage.get(f"/staff/reports/report/{report.pk}/change/").content.decode()
    assert "Language and interpreting" in page and text in page


def test_routing_prefers_a_service_that_speaks_the_reporters_language(
    valid_report: dict[str, Any],
) -> None:
    report = submit(valid_report, language="cy").report
    candidates = [route.service for route in _support_routes(report, exclude_service_ids=set())]
    first = candidates[0]
    assert first is not None
    same_tier = [
        service
        for service in candidates[1:]
        if service is not None
        and (service.all_strands, service.national) == (first.all_strands, first.national)
    ]
    assert same_tier, "the demo data should offer two services of the same kind"
    speaker = same_tier[-1]
    # A save, not an update: routing reads a cached directory that saves refresh.
    speaker.languages = "English, Cymraeg / Welsh"
    speaker.save()
    support = [route for route in report_route(report=report) if route.service is not None]
    assert support[0].service == speaker
    assert "speaks welsh" in support[0].reason or "speaks cymraeg" in support[0].reason
    # An English-speaking reporter's route is unchanged.
    report.language = "en"
    report.preferred_language = "English"
    english = [route for route in report_route(report=report) if route.service is not None]
    assert english[0].service == first


def test_the_error_page_is_in_the_chosen_language(rf: Any) -> None:
    from django.utils import translation

    from reports.views import server_error

    with translation.override("ar"):
        response = server_error(rf.get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert html_attributes(response.content) == {"lang": "ar", "dir": "rtl"}
    assert "عذراً، هناك مشكلة في الخدمة" in page
