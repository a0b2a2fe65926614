"""Record in the history any change to a dispute that bypasses the workflow methods.

Every workflow method bumps `Dispute.version` and writes its own Event, with the person who acted. A
change that does not bump the version came from somewhere else: a bulk `queryset.update()`, raw SQL,
a database console, the admin. A trigger writes an Event for it (no actor: the system cannot know
who), naming the columns that changed, so the record stays complete whatever wrote the row.

Three columns are bookkeeping, not content, and are written without a version bump on purpose: the
readers' cache validator (`public_changed_at`) and the search index (`search_vector`, `search_text`).
On SQLite, which cannot list the changed columns, a write that touches those is not logged.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

PG_UP = """
CREATE OR REPLACE FUNCTION disputes_dispute_outside_workflow() RETURNS trigger AS $$
DECLARE
    changed jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(n.key ORDER BY n.key), '[]'::jsonb) INTO changed
      FROM jsonb_each(to_jsonb(NEW)) AS n
     WHERE n.value IS DISTINCT FROM (to_jsonb(OLD) -> n.key)
       AND n.key NOT IN ('public_changed_at', 'search_vector', 'search_text');
    IF changed <> '[]'::jsonb THEN
        INSERT INTO disputes_event (dispute_id, source_id, actor_id, kind, note, data, public, created_at)
        VALUES (NEW.id, NULL, NULL, 'changed_outside_workflow', '', jsonb_build_object('columns', changed),
                false, now());
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disputes_dispute_outside_workflow AFTER UPDATE ON disputes_dispute
    FOR EACH ROW WHEN (NEW.version = OLD.version)
    EXECUTE FUNCTION disputes_dispute_outside_workflow();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS disputes_dispute_outside_workflow ON disputes_dispute;
DROP FUNCTION IF EXISTS disputes_dispute_outside_workflow();
"""
# SQLite cannot list the changed columns generically; the event still says that the row changed.
SQLITE_UP = """
CREATE TRIGGER disputes_dispute_outside_workflow AFTER UPDATE ON disputes_dispute
WHEN NEW.version = OLD.version AND NEW.public_changed_at IS OLD.public_changed_at
     AND NEW.search_text IS OLD.search_text
BEGIN
    INSERT INTO disputes_event (dispute_id, source_id, actor_id, kind, note, data, public, created_at)
    VALUES (NEW.id, NULL, NULL, 'changed_outside_workflow', '', '{"columns": []}', 0,
            strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS disputes_dispute_outside_workflow;"


def up(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def down(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("disputes", "0005_search_and_facets")]

    operations = [migrations.RunPython(up, down)]


# Keep in mind: on SQLite, a later migration that rebuilds disputes_dispute or disputes_event (most
# AlterField operations do) drops their triggers, this one and 0003's; such a migration must create
# them again (call `up` from here and from 0003).
