"""The database itself refuses to change or delete an audit event, whatever code asks."""
from django.conf import settings
from django.db import migrations

SQLITE = [
    """CREATE TRIGGER portal_auditevent_no_update BEFORE UPDATE ON portal_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER portal_auditevent_no_delete BEFORE DELETE ON portal_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]
POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION portal_auditevent_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER portal_auditevent_no_change BEFORE UPDATE OR DELETE ON portal_auditevent
       FOR EACH ROW EXECUTE FUNCTION portal_auditevent_append_only()""",
]


def forwards(apps, schema_editor):
    # Off only for the SQLite test database, which Django empties with DELETE between
    # browser tests (PostgreSQL empties with TRUNCATE, which row triggers let through).
    if not getattr(settings, "AUDIT_DB_TRIGGERS", True) and schema_editor.connection.vendor == "sqlite":
        return
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS portal_auditevent_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS portal_auditevent_no_delete")
    elif vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS portal_auditevent_no_change ON portal_auditevent")
        schema_editor.execute("DROP FUNCTION IF EXISTS portal_auditevent_append_only()")


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
