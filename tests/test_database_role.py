"""The application's database role owns nothing (deploy/postgres-init.sh).

docker-compose.yml's postgres runs deploy/postgres-init.sh once; migrations
then run as the owner and the service as the app role. Here the same script
runs against a scratch database on the local server, the schema is migrated
as the owner, and the app role is shown to do its work (read, write, the
retention job's delete) but not to get round the access log's append-only
trigger (disable or drop it, truncate the table).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _url(name: str, user: str | None = None) -> str:
    db = settings.DATABASES["default"]
    who = user or db["USER"]
    auth = who + (f":{db['PASSWORD']}" if db.get("PASSWORD") and user is None else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _admin(sql: str) -> None:
    conn = psycopg2.connect(_url("postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


@pytest.fixture
def app_role_database() -> Iterator[tuple[str, str]]:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    suffix = uuid.uuid4().hex[:8]
    name, role = f"hc_roles_{suffix}", f"hc_app_{suffix}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield name, role
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(f'DROP ROLE IF EXISTS "{role}"')


def _refused(conn: psycopg2.extensions.connection, sql: str) -> str:
    with conn.cursor() as cursor:
        try:
            cursor.execute(sql)
        except psycopg2.Error as exc:
            conn.rollback()
            return str(exc.pgerror or exc)
    conn.rollback()
    raise AssertionError(f"the app role was allowed: {sql}")


def test_the_app_role_writes_rows_but_cannot_touch_the_access_log_guard(
    app_role_database: tuple[str, str],
) -> None:
    name, role = app_role_database
    db = settings.DATABASES["default"]
    env = dict(
        os.environ,
        POSTGRES_USER=db["USER"],
        POSTGRES_DB=name,
        POSTGRES_APP_USER=role,
        POSTGRES_APP_PASSWORD="letters0and0digits",
        PGHOST=db["HOST"] or "127.0.0.1",
        PGPORT=str(db["PORT"] or 5432),
    )
    subprocess.run(
        ["sh", str(ROOT / "deploy" / "postgres-init.sh")],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    # Migrations as the owner, as the compose file's migrate service does.
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=_url(name), CELERY_BROKER_URL="filesystem://"),
        check=True,
        capture_output=True,
        timeout=300,
    )

    conn = psycopg2.connect(_url(name, user=role))
    try:
        with conn.cursor() as cursor:
            # Ordinary work: rows in, rows read, the access log appended to.
            cursor.execute(
                "INSERT INTO audit_accesslogentry (at, actor_username, action, outcome, "
                "object_type, object_id, report_reference, source, detail, previous_hash, "
                "entry_hash) VALUES (now(), 'drill', 'view', 'allowed', 'x', '1', '', '', "
                "'{}', '', 'h') RETURNING id"
            )
            cursor.execute("SELECT count(*) FROM reports_report")
            # The retention job, and only it, deletes from the log.
            cursor.execute("SET LOCAL audit.retention = 'on'")
            cursor.execute("DELETE FROM audit_accesslogentry WHERE actor_username = 'drill'")
        conn.commit()
        with conn.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_accesslogentry (at, actor_username, action, outcome, "
                "object_type, object_id, report_reference, source, detail, previous_hash, "
                "entry_hash) VALUES (now(), 'kept', 'view', 'allowed', 'x', '1', '', '', "
                "'{}', '', 'h')"
            )
        conn.commit()

        assert "append-only" in _refused(conn, "UPDATE audit_accesslogentry SET object_id = '2'")
        assert "append-only" in _refused(conn, "DELETE FROM audit_accesslogentry")
        for sql in (
            "TRUNCATE audit_accesslogentry",
            "ALTER TABLE audit_accesslogentry DISABLE TRIGGER USER",
            "DROP TRIGGER audit_accesslog_no_update_delete ON audit_accesslogentry",
            "DROP TABLE audit_accesslogentry",
            "CREATE TABLE intruder (id int)",
        ):
            message = _refused(conn, sql)
            assert "permission denied" in message or "must be owner" in message, (sql, message)
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM audit_accesslogentry")
            assert cursor.fetchone() == (1,)
    finally:
        conn.close()
