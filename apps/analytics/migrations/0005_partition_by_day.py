"""Chain snapshots partitioned by IST day on PostgreSQL (docs/archive.md); SQLite untouched.

Moves an existing archive across in the migration's transaction: a partitioned table of the same name, columns,
constraints and indexes, one partition per day found (plus a default one), every row copied, the old table
dropped. Partitions for the coming days are made after migrate (apps.archive) and daily by beat.
"""

from django.db import migrations

from apps.core.partitions import table_partition, table_unpartition

TABLES = (("analytics_chainsnapshot", None),)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, fillfactor in TABLES:
            table_partition(cursor, table, fillfactor=fillfactor)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, fillfactor in TABLES:
            table_unpartition(cursor, table, fillfactor=fillfactor)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0004_drop_duplicate_indexes")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
