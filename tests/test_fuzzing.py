"""Fuzzing: the API against its own OpenAPI schema (schemathesis), and the
journey's validation over arbitrary input (hypothesis). No input may cause a
500, and every response must match the schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils.datastructures import MultiValueDict
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from reports import journey
from reports.services import report_submit

# Bounded so the suite stays fast; raise locally when hunting.
MAX_EXAMPLES = 40

# Upload chunks are raw bytes (the chunked upload protocol's media type).
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

# The schema as the service publishes it (generating it needs no database);
# calls go in-process to the WSGI application, inside each test's transaction.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@pytest.fixture
def in_process_requests() -> Any:
    """Keep the test's database connection open across in-process requests,
    as Django's own test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    # The same examples on every run: CI must not pass or fail by chance.
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_api_matches_its_schema_and_never_fails(
    case: Any, db: None, reference_data: None, in_process_requests: None
) -> None:
    # A schema-valid body may still be refused: codes of strands and areas
    # are reference data, and the journey's cross-field rules (an "other"
    # incident needs a description) are beyond what the schema can say. And
    # DRF reads 0/1 as booleans, which a strict reading of the schema would
    # refuse; the responses themselves must always match the schema.
    case.call_and_validate(excluded_checks=[positive_data_acceptance, negative_data_rejection])


# What a hostile browser can send for one page: any field, any number of
# values, any text (the web journey's POST data is a QueryDict like this).
values = st.lists(st.text(max_size=60), min_size=1, max_size=3)


def section(names: list[str]) -> st.SearchStrategy[MultiValueDict[str, str]]:
    if not names:  # a page with no questions (evidence)
        return st.just(MultiValueDict())
    return st.dictionaries(st.sampled_from(names), values, max_size=len(names)).map(MultiValueDict)


STEP_FIELDS = {step.slug: list(step.form_class().fields) for step in journey.STEPS}


@pytest.mark.django_db
@pytest.mark.usefixtures("reference_data")
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=st.fixed_dictionaries({slug: section(names) for slug, names in STEP_FIELDS.items()}))
def test_the_journey_validation_only_accepts_or_explains(
    raw: dict[str, MultiValueDict[str, str]],
) -> None:
    answers, errors = journey.validate(raw)
    if errors:
        for form_errors in errors.values():
            assert all(messages for messages in form_errors.values())
    else:
        assert report_submit(answers=answers).report.pk
