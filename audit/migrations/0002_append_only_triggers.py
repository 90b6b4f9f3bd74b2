"""PostgreSQL refuses to change or remove audit records, whoever asks (no-op on SQLite).

UPDATE and TRUNCATE are always refused. DELETE is let through only for the prune service,
which sets ``audit.pruning`` for its own transaction, and only for rows older than 180 days
(the legal minimum), whatever the setting says. Django's test databases (named ``test_...``)
are flushed with TRUNCATE between transactional tests, so there TRUNCATE passes unless a
test sets ``audit.refuse_truncate`` to see the production behaviour.
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION audit_record_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('audit.pruning', true) = 'on'
       AND OLD.at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only: % refused on record %', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE FUNCTION audit_record_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF left(current_database(), 5) = 'test_'
       AND coalesce(current_setting('audit.refuse_truncate', true), '') <> 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit records are append-only: TRUNCATE refused'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION audit_record_refuse_change();
CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION audit_record_refuse_change();
CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_auditrecord
    FOR EACH STATEMENT EXECUTE FUNCTION audit_record_refuse_truncate();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS audit_record_no_truncate ON audit_auditrecord;
DROP TRIGGER IF EXISTS audit_record_no_delete ON audit_auditrecord;
DROP TRIGGER IF EXISTS audit_record_no_update ON audit_auditrecord;
DROP FUNCTION IF EXISTS audit_record_refuse_truncate();
DROP FUNCTION IF EXISTS audit_record_refuse_change();
"""


def run_on_postgresql(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        # Without parameters, so that the % of RAISE's format strings reach PL/pgSQL as is.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_record")]

    operations = [
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD), elidable=False)
    ]
