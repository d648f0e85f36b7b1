import pytest
from django.test import Client


@pytest.mark.django_db
def test_home_page_offers_reporting_and_support(client: Client, reference_data: None) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"Report a hate crime or incident" in response.content
