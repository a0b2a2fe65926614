"""Make the event table append-only in the database itself, not only in the ORM.

A trigger refuses UPDATE and DELETE on PostgreSQL and SQLite alike, so neither a bulk
`queryset.update()`, a raw SQL statement nor the admin can rewrite history. TRUNCATE (used by test
teardown) is not affected.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

PG_UP = """
CREATE OR REPLACE FUNCTION disputes_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'disputes_event is append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disputes_event_append_only BEFORE UPDATE OR DELETE ON disputes_event
    FOR EACH ROW EXECUTE FUNCTION disputes_event_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS disputes_event_append_only ON disputes_event;
DROP FUNCTION IF EXISTS disputes_event_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER disputes_event_no_update BEFORE UPDATE ON disputes_event
       BEGIN SELECT RAISE(ABORT, 'disputes_event is append-only'); END;""",
    """CREATE TRIGGER disputes_event_no_delete BEFORE DELETE ON disputes_event
       BEGIN SELECT RAISE(ABORT, 'disputes_event is append-only'); END;""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS disputes_event_no_update;", "DROP TRIGGER IF EXISTS disputes_event_no_delete;"]


def up(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def down(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("disputes", "0002_groups")]

    operations = [migrations.RunPython(up, down)]
