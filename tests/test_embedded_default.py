"""The embedded default (`make run` with nothing set): SQLite, files and a
file broker under DATA_DIR. The suite runs on PostgreSQL, so this checks,
in a process of its own, that the migrations (some PostgreSQL-specific:
concurrent index builds) and the hand-written SQL of a submission (the
repeat-victim link) also work there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SUBMIT_TWICE = """
from referrals.case_models import RepeatVictimLink
from reports.reference_data import reference_data_load
from tests.conftest import VALID_REPORT
from tests.helpers import submit

reference_data_load()
first = submit(VALID_REPORT).report
second = submit(VALID_REPORT).report
link = RepeatVictimLink.objects.get(later=second)
assert link.earlier_id == first.pk, (link.earlier_id, first.pk)
print("linked", first.reference, second.reference)
"""


def embedded(tmp_path: Path, *args: str) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "S3_BUCKET"}
    }
    env["DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_the_embedded_default_migrates_and_links_a_repeat_victim(tmp_path: Path) -> None:
    embedded(tmp_path, "migrate", "--no-input", "-v", "0")
    assert (tmp_path / "db.sqlite3").exists()
    assert "linked" in embedded(tmp_path, "shell", "-c", SUBMIT_TWICE)
