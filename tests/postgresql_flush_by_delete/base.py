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
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED and flush runs in one transaction, so the
        # order of the deletes does not matter; deleting from a partitioned table deletes from its partitions.
        return ["SET CONSTRAINTS ALL DEFERRED"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
            for table in tables
            if table not in KEPT
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
