"""The test database backend: Django's PostgreSQL backend with a flush by ``DELETE`` (see the package docstring)."""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, operations

# Rows every migrate writes the same way (post_migrate would write them again after each flush, about 150 queries
# of the 200 a flush made): kept.
KEPT = frozenset({"django_content_type", "auth_permission"})


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self, style: Any, tables: list[str], *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        if not tables or reset_sequences:
            # Restarting identities needs TRUNCATE ... RESTART IDENTITY: Django's own statement.
            return super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        deletes = [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
            for table in tables
            if table not in KEPT
        ]
        if self._superuser():
            # Every row of every table goes, so no foreign key can be left dangling and no rollup has anything
            # left to summarise: with triggers off for the transaction (the "replica" role; superusers only) the
            # commit skips a deferred check of each deleted row against each referencing table (0.5 s for the
            # simulated market's 8,896 instruments against the day partitions of the quotes), and one pass
            # suffices. SET LOCAL ends with the flush's transaction.
            return ["SET LOCAL session_replication_role = replica", *deletes]
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED and flush runs in one transaction, so the
        # order of the deletes does not matter; deleting from a partitioned table deletes from its partitions.
        # Unlike TRUNCATE, DELETE fires triggers: the daily-close rollups' triggers (analytics 0007) write a
        # day's close again from the rows not yet deleted, so every table is emptied twice; the second pass finds
        # only what the triggers wrote in the first and writes nothing itself.
        return ["SET CONSTRAINTS ALL DEFERRED", *deletes, *deletes]

    def _superuser(self) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
        return bool(row and row[0])


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
