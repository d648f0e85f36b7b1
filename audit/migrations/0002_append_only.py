"""The database itself refuses to change or remove access log entries.

UPDATE and DELETE on audit_accesslogentry raise an error whoever asks.
TRUNCATE needs table ownership: in a deployment the application's role does
not own the tables (docs/deploy: grants), and the test suite's own flush
between tests must still work. Retention of the log, when it comes, is a
separately privileged operation.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION audit_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_accesslog_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION audit_accesslog_append_only();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS audit_accesslog_no_update_delete ON audit_accesslogentry;
DROP FUNCTION IF EXISTS audit_accesslog_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER audit_accesslog_no_update BEFORE UPDATE ON audit_accesslogentry
       BEGIN SELECT RAISE(ABORT, 'the access log is append-only (UPDATE refused)'); END;""",
    """CREATE TRIGGER audit_accesslog_no_delete BEFORE DELETE ON audit_accesslogentry
       BEGIN SELECT RAISE(ABORT, 'the access log is append-only (DELETE refused)'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_accesslog_no_update;",
    "DROP TRIGGER IF EXISTS audit_accesslog_no_delete;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
