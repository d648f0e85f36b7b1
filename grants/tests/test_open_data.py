import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

pytestmark = pytest.mark.django_db

SCHEMA_DIR = Path(settings.BASE_DIR).parent / "shared" / "data" / "360giving"


def _validator() -> Draft202012Validator:
    package = json.loads((SCHEMA_DIR / "360-giving-package-schema.json").read_text())
    grant = json.loads((SCHEMA_DIR / "360-giving-schema.json").read_text())
    # The schemas name their dialect with "http://" (not the registered
    # "https://" id), so the dialect is given rather than detected.
    grant_resource = DRAFT202012.create_resource(grant)
    # The package schema refers to the grant schema by URL (1.4.2); there is
    # no network, so both that URL and the schema's own id map to the file.
    registry = Registry().with_resources(
        [
            (package["properties"]["grants"]["items"]["$ref"], grant_resource),
            (grant["$id"], grant_resource),
        ]
    )
    return Draft202012Validator(
        package, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _errors(document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(document)]


def test_the_validator_rejects_an_invalid_grant() -> None:
    assert _errors({"grants": [{"id": "x", "title": "No amount"}]})


def test_exported_json_validates_against_the_360giving_schema(tmp_path: Path) -> None:
    call_command("seed_demo", verbosity=0)
    path = tmp_path / "grants.json"
    call_command("export_360giving", str(path), verbosity=0)
    document = json.loads(path.read_text())
    assert _errors(document) == []
    ids = {grant["id"] for grant in document["grants"]}
    assert ids == {
        f"{settings.GRANTS_360GIVING_PREFIX}-pcd-41-community-hub",
        f"{settings.GRANTS_360GIVING_PREFIX}-pcd-543-male-survivors",
    }
    survivors = next(g for g in document["grants"] if g["id"].endswith("male-survivors"))
    assert survivors["amountAwarded"] == 26000
    assert survivors["awardDate"] == "2019-03-25"
    assert survivors["amountDisbursed"] == 19500


def test_grants_page_download_validates(officer_client: Client) -> None:
    call_command("seed_demo", verbosity=0)
    response = officer_client.get("/commissioning/export/360giving.json")
    assert response.status_code == 200
    assert _errors(json.loads(response.content)) == []


def test_unpublished_decisions_are_left_out(tmp_path: Path) -> None:
    from grants.models import Decision

    call_command("seed_demo", verbosity=0)
    Decision.objects.filter(reference="PCD 543").update(publication="confidential")
    path = tmp_path / "grants.json"
    call_command("export_360giving", str(path), verbosity=0)
    ids = [g["id"] for g in json.loads(path.read_text())["grants"]]
    assert not any(i.endswith("male-survivors") for i in ids)


def test_csv_export_has_the_standard_s_column_titles(tmp_path: Path) -> None:
    call_command("seed_demo", verbosity=0)
    path = tmp_path / "grants.csv"
    call_command("export_360giving", str(path), verbosity=0)
    header = path.read_text().splitlines()[0].split(",")
    assert header[:6] == [
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Awarded",
        "Amount Disbursed",
    ]


def test_deferred_decisions_are_published_from_their_date() -> None:
    import datetime as dt

    from grants.models import Decision

    decision = Decision(
        reference="X",
        title="X",
        publication=Decision.Publication.DEFERRED,
        publication_deferred_until=dt.date(2020, 4, 1),
    )
    assert not decision.is_public_on(dt.date(2020, 3, 31))
    assert decision.is_public_on(dt.date(2020, 4, 1))
