"""Big tables stay cheap to page through and to export."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit import admin_utils
from audit.admin_utils import EstimatedCountPaginator, keyset_iterate

pytestmark = pytest.mark.django_db


def make_users(n: int) -> list[User]:
    return User.objects.bulk_create(User(username=f"user{i:03d}") for i in range(n))


def test_keyset_iterate_yields_every_row_once_in_key_order() -> None:
    users = make_users(25)
    seen = list(keyset_iterate(User.objects.all(), batch_size=10))
    assert [u.pk for u in seen] == sorted(u.pk for u in users)


def test_keyset_iterate_pages_by_key_not_offset() -> None:
    make_users(25)
    with CaptureQueriesContext(connection) as queries:
        rows = list(keyset_iterate(User.objects.all(), batch_size=10))
    assert len(rows) == 25
    # 10 + 10 + 5: the short batch ends it without an extra query.
    assert len(queries.captured_queries) == 3
    for query in queries.captured_queries:
        assert "OFFSET" not in query["sql"].upper()
    assert '"id" >' in queries.captured_queries[-1]["sql"]


def test_keyset_iterate_keeps_the_querysets_filter() -> None:
    make_users(12)
    wanted = User.objects.filter(username__endswith="1")
    assert [u.username for u in keyset_iterate(wanted, batch_size=2)] == [
        "user001",
        "user011",
    ]


def test_keyset_iterate_of_nothing_is_one_query() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert list(keyset_iterate(User.objects.none().filter(pk__gt=0))) == []
    assert len(queries.captured_queries) <= 1


def test_unfiltered_big_table_uses_the_planners_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the estimate is PostgreSQL's")
    make_users(30)
    with connection.cursor() as cursor:
        # ANALYZE counts this transaction's own new rows.
        cursor.execute("ANALYZE auth_user")
    monkeypatch.setattr(admin_utils, "ESTIMATE_ABOVE", 5)
    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(User.objects.order_by("pk"), 10).count
    assert count == User.objects.count() == 30
    assert "reltuples" in queries.captured_queries[0]["sql"]
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def test_filtered_list_is_counted_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    make_users(30)
    monkeypatch.setattr(admin_utils, "ESTIMATE_ABOVE", 5)
    paginator = EstimatedCountPaginator(
        User.objects.filter(username__endswith="7").order_by("pk"), 10
    )
    assert paginator.count == 3


# By label: the audit app imports none of the others.
@pytest.mark.parametrize("label", ["reports.Report", "referrals.Referral", "audit.AccessLogEntry"])
def test_big_staff_lists_estimate_their_count(label: str) -> None:
    model_admin = admin.site._registry[apps.get_model(label)]
    assert model_admin.paginator is EstimatedCountPaginator
    assert model_admin.show_full_result_count is False
