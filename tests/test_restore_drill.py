"""The restore drill of docs/deploy.md, run for real: dump, wipe, restore.

A scratch PostgreSQL database gets the schema and some reports (the same
`submit` helper and reference data as the other tests, run in a `manage.py`
subprocess because the data must be committed for pg_dump to see it), with
access log entries and a private file in storage. It is dumped with
Debian's pg_dump in the custom format, the storage folder is copied, then
the database is dropped and the folder deleted. pg_restore into a fresh
database and a copy of the folder back must give the same row counts, an
access log whose hash chain still verifies and whose append-only trigger
still refuses changes, encrypted fields that decrypt with the same keys
(and appear nowhere in the dump as plaintext), and a file with the same
SHA-256.

Evidence files come with the evidence app; until then the private file is
one saved through default_storage, as evidence will be.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.conf import settings

from tests.conftest import VALID_REPORT

ROOT = Path(__file__).resolve().parent.parent
# What the submitted reports say that is encrypted in the database.
SECRETS = [
    VALID_REPORT["support"]["contact_name"],
    VALID_REPORT["support"]["contact_email"],
    VALID_REPORT["support"]["contact_phone"],
    VALID_REPORT["what"]["account"],
]

# Runs in the source database: reports, access log entries and a file.
SEED = """
import hashlib, json
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from audit.models import AccessLogEntry
from audit.services import audit_record
from referrals.demo import demo_providers_load
from reports.reference_data import reference_data_load
from tests.conftest import VALID_REPORT
from tests.helpers import submit

reference_data_load()
demo_providers_load()
references = []
for _ in range(3):
    report = submit(VALID_REPORT).report
    audit_record(actor=None, action=AccessLogEntry.Action.VIEW, obj=report,
                 report_reference=report.reference, detail={"page": "drill"})
    references.append(report.reference)
content = bytes(range(256)) * 4096
name = default_storage.save("drill/statement.bin", ContentFile(content))
print(json.dumps({"references": references, "file": name,
                  "sha256": hashlib.sha256(content).hexdigest(),
                  "log_entries": AccessLogEntry.objects.count()}))
"""

# Runs in the restored database, against the restored copy of the folder.
CHECK = """
import hashlib, json, os
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from audit.models import AccessLogEntry
from reports.models import Report

expected = json.loads(os.environ["DRILL_EXPECTED"])
reports = Report.objects.filter(reference__in=expected["references"])
with default_storage.open(expected["file"]) as handle:
    sha256 = hashlib.sha256(handle.read()).hexdigest()
try:
    with transaction.atomic():
        AccessLogEntry.objects.update(detail={})
    append_only = False
except DatabaseError:
    append_only = True
print(json.dumps({
    "contacts": sorted([r.contact_name, r.contact_email, r.contact_phone, r.account]
                       for r in reports),
    "sha256": sha256,
    "append_only": append_only,
}))
"""


def _server_url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _admin(sql: str) -> None:
    conn = psycopg2.connect(_server_url("postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def _row_counts(name: str) -> dict[str, int]:
    conn = psycopg2.connect(_server_url(name))
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
            tables = sorted(row[0] for row in cursor.fetchall())
            counts = {}
            for table in tables:
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (catalogue names)
                counts[table] = cursor.fetchone()[0]
            return counts
    finally:
        conn.close()


def _env(database: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=_server_url(database),
        DATA_DIR=str(data_dir),
        # Isolated from the shared services: tasks queued by a submission
        # land in a folder broker nobody consumes, the cache on disk.
        CELERY_BROKER_URL="filesystem://",
        REDIS_URL="",
        **extra,
    )
    return env


def _run(args: list[str], *, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{args[:3]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _manage(env: dict[str, str], *args: str) -> str:
    return _run([sys.executable, "manage.py", *args], env=env)


def _last_json(output: str) -> Any:
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture
def scratch_databases() -> Iterator[tuple[str, str]]:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the restore drill is for PostgreSQL")
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (Debian's postgresql-client)")
    suffix = uuid.uuid4().hex[:8]
    names = (f"hc_drill_source_{suffix}", f"hc_drill_restored_{suffix}")
    try:
        yield names
    finally:
        for name in names:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_dump_wipe_and_restore_keep_reports_log_and_files(
    scratch_databases: tuple[str, str], tmp_path: Path
) -> None:
    source, restored = scratch_databases
    source_data, restored_data = tmp_path / "source-data", tmp_path / "restored-data"
    backup = tmp_path / "backup"

    # A live service: schema, reports, log entries, a private file.
    _admin(f'CREATE DATABASE "{source}"')
    source_env = _env(source, source_data)
    _manage(source_env, "migrate", "--no-input", "-v", "0")
    seeded = _last_json(_manage(source_env, "shell", "-c", SEED))
    assert seeded["log_entries"] >= 3
    before = _row_counts(source)
    assert before["reports_report"] == 3

    # Back up: pg_dump in the custom format, and a copy of the file store.
    dump = backup / "hatecrime.dump"
    backup.mkdir()
    _run(["pg_dump", "--format=custom", f"--file={dump}", _server_url(source)])
    shutil.copytree(source_data / "private", backup / "private")
    # A backup holds only ciphertext of the victim's details (a plain-text
    # dump, since the custom format is compressed).
    plain = tmp_path / "plain.sql"
    _run(["pg_dump", "--format=plain", f"--file={plain}", _server_url(source)])
    dumped = plain.read_text()
    assert "reports_report" in dumped
    for secret in SECRETS:
        assert secret not in dumped

    # Disaster: the database and the files are gone.
    _admin(f'DROP DATABASE "{source}" WITH (FORCE)')
    shutil.rmtree(source_data)

    # Restore into a fresh database, and the files into a fresh folder.
    _admin(f'CREATE DATABASE "{restored}"')
    _run(["pg_restore", "--exit-on-error", f"--dbname={_server_url(restored)}", str(dump)])
    shutil.copytree(backup / "private", restored_data / "private")

    assert _row_counts(restored) == before
    restored_env = _env(restored, restored_data, DRILL_EXPECTED=json.dumps(seeded))
    verified = _manage(restored_env, "audit_verify")
    assert f"{seeded['log_entries']} entries verified" in verified
    checked = _last_json(_manage(restored_env, "shell", "-c", CHECK))

    assert checked["contacts"] == [SECRETS] * 3
    assert checked["sha256"] == seeded["sha256"]
    assert checked["append_only"] is True
