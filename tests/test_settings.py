"""Settings come from the environment and fail loudly on a bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hatecrime import env

ROOT = Path(__file__).resolve().parent.parent


def run_check(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEYS",
            "BLIND_INDEX_KEY",
            "DEBUG",
        }
    }
    environment.update({"DATA_DIR": str(tmp_path), **overrides})
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_embedded_default_needs_no_configuration(tmp_path: Path) -> None:
    result = run_check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "development-secrets.json").exists()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "perhaps", "DEBUG must be a boolean"),
        ("SESSION_COOKIE_AGE", "an hour", "SESSION_COOKIE_AGE must be a whole number"),
        (
            "FIELD_ENCRYPTION_KEYS",
            "not-a-key",
            "FIELD_ENCRYPTION_KEYS must be comma-separated Fernet keys",
        ),
    ],
)
def test_a_bad_value_stops_start_up_with_a_clear_message(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    result = run_check(tmp_path, **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_a_deployment_must_bring_its_own_keys(tmp_path: Path) -> None:
    result = run_check(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/nothing")
    assert result.returncode != 0
    assert "SECRET_KEY, FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY must be set" in result.stderr


def test_secrets_can_come_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret_file))
    assert env.string("SOME_SECRET") == "from-a-file"
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured):
        env.string("SOME_SECRET")


def test_integer_minimums_are_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env.integer("A_NUMBER", 5, minimum=1)
