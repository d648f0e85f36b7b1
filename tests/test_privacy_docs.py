"""docs/privacy.md, written for a data protection officer, stays true to
the code: its retention table is the policies a deployment starts with,
and it names the lawful bases the issue requires."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from privacy.defaults import ALLOWED_ACTIONS, DEFAULT_POLICIES
from privacy.models import RecordKind, RetentionPolicy

DOC = (Path(__file__).resolve().parent.parent / "docs" / "privacy.md").read_text()


def retention_table() -> dict[str, tuple[int, str]]:
    table = DOC.split("<!-- retention-defaults -->")[1].split("<!-- /retention-defaults -->")[0]
    rows = {}
    for match in re.finditer(r"^\| [^|]*\(`(\w+)`\) \| (\d+) days[^|]*\| (\w+) \|", table, re.M):
        rows[match[1]] = (int(match[2]), match[3])
    return rows


def test_the_retention_table_is_the_code_defaults() -> None:
    assert retention_table() == {
        policy.record_kind: (policy.keep_for_days, policy.action) for policy in DEFAULT_POLICIES
    }
    assert {policy.record_kind for policy in DEFAULT_POLICIES} == set(RecordKind.values)
    assert all(policy.action in ALLOWED_ACTIONS[policy.record_kind] for policy in DEFAULT_POLICIES)


@pytest.mark.django_db
def test_a_new_deployment_starts_with_the_default_policies() -> None:
    seeded = {
        policy.record_kind: (policy.keep_for_days, policy.action, policy.legal_basis)
        for policy in RetentionPolicy.objects.all()
    }
    assert seeded == {
        policy.record_kind: (policy.keep_for_days, policy.action, policy.legal_basis)
        for policy in DEFAULT_POLICIES
    }


@pytest.mark.parametrize(
    "required",
    [
        "Art. 6(1)(e)",
        "Art. 9(2)(g)",
        "Schedule 1",
        "Art. 10",
        "Art. 15",
        "Art. 16",
        "Art. 17",
        "Art. 33",
        "DPIA",
        "one calendar month",
        "legal hold",
    ],
)
def test_the_privacy_notes_cover_what_a_dpo_needs(required: str) -> None:
    assert required.lower() in DOC.lower()
