"""Let the retention job, and only it, delete expired access log entries.

The trigger still refuses every UPDATE, and every DELETE unless the deleting
transaction has set ``audit.retention`` (SET LOCAL, see audit/retention.py).
"""

from django.db import migrations, models

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION audit_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('audit.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_role_groups")]
    operations = [
        migrations.CreateModel(
            name="AccessLogErasure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField()),
                ("erased_through_id", models.BigIntegerField()),
                ("anchor_hash", models.CharField(max_length=64)),
                ("count", models.PositiveIntegerField()),
            ],
            options={"ordering": ["-erased_through_id"]},
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
