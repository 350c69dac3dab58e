"""On PostgreSQL a chain head may only move forward, to the hash of the row it now ends at.

A plain trigger, not a pgtrigger one: pgtrigger's triggers step aside for anyone who sets
`pgtrigger.ignore`, and the runtime role may update the head (docs/operations.md, "Database
roles"). Only the owner of the table can disable it.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

FORWARD = """
CREATE OR REPLACE FUNCTION audit_chain_head_forward_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit chain head % cannot be deleted', OLD.key;
    END IF;
    IF NEW.id <> OLD.id OR NEW.key <> OLD.key THEN
        RAISE EXCEPTION 'audit chain head % cannot be renamed', OLD.key;
    END IF;
    IF NEW.length < OLD.length THEN
        RAISE EXCEPTION 'audit chain head % cannot move back from % to %',
            OLD.key, OLD.length, NEW.length;
    END IF;
    IF NEW.length > 0 AND NEW.last_hash IS DISTINCT FROM (
        SELECT hash FROM audit_auditevent WHERE chain_key = NEW.key AND sequence = NEW.length
    ) THEN
        RAISE EXCEPTION 'audit chain head % must end at the hash of its row #%',
            NEW.key, NEW.length;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_chain_head_forward_only
    BEFORE UPDATE OR DELETE ON audit_auditchain
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_forward_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS audit_chain_head_forward_only ON audit_auditchain;
DROP FUNCTION IF EXISTS audit_chain_head_forward_only();
"""


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)  # no parameters: the % in the function body stay as they are


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
