"""Daily-close rollups for the history views (docs/history.md), kept by PostgreSQL triggers, filled from the archive.

Row triggers (cloned onto every day partition, present and future) fold each inserted or updated chain snapshot,
underlying quote and volatility snapshot into its IST day's rollup row; a statement trigger on DELETE (through the
partitioned table) recomputes the days it touched from what is left. Rows leaving the default partition for their
day's new partition (``partition_create``) are deleted from the partition itself, so they fire no statement
trigger and their closes stand. SQLite has the tables but no triggers: the history selectors read the rollups on
PostgreSQL only.
"""

import django.db.models.deletion
from django.db import migrations, models

IST = "'Asia/Kolkata'"
CLOSE_FIELDS = ("pcr_oi", "pcr_volume", "max_pain", "atm_iv", "straddle", "expected_move", "rr25", "bf25", "net_gex")
CHAIN, CLOSE = "analytics_chainsnapshot", "analytics_chaindailyclose"
QUOTE, VOL, UCLOSE = "marketdata_underlyingquote", "analytics_volatilitysnapshot", "analytics_underlyingdailyclose"
# (source table, rollup minute column, source column the close is the last non-null of, {rollup column: source column})
UNDERLYING_CLOSES = (
    (QUOTE, "vix_minute", "vix", {"spot": "spot", "vix": "vix"}),
    (VOL, "cm30_minute", "cm30_iv", {"cm30_iv": "cm30_iv"}),
    (VOL, "our_vix_minute", "our_vix", {"our_vix": "our_vix"}),
)
# Inside the format() string literal of the refresh functions, so the zone's quotes are doubled.
DAY_LO = "(%L::date::timestamp AT TIME ZONE ''Asia/Kolkata'')"
DAY_HI = "((%L::date + 1)::timestamp AT TIME ZONE ''Asia/Kolkata'')"


def _chain_sql() -> list[str]:
    fields = ", ".join(CLOSE_FIELDS)
    newer = ", ".join(
        f"{f} = CASE WHEN EXCLUDED.last_minute >= c.last_minute THEN EXCLUDED.{f} ELSE c.{f} END" for f in CLOSE_FIELDS
    )
    return [
        f"""CREATE FUNCTION {CLOSE}_refresh(u bigint, d date, e date) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM {CLOSE} WHERE underlying_id = u AND day = d AND expiry = e;
            -- Literal day bounds: the planner keeps the one day partition.
            EXECUTE format('INSERT INTO {CLOSE} (underlying_id, day, expiry, first_minute, last_minute, {fields})
                SELECT $1, $2, $3, f.minute, l.minute, {", ".join(f"l.{f}" for f in CLOSE_FIELDS)}
                FROM (SELECT minute FROM {CHAIN} WHERE underlying_id = $1 AND expiry = $3
                      AND minute >= {DAY_LO} AND minute < {DAY_HI} ORDER BY minute LIMIT 1) f,
                     (SELECT * FROM {CHAIN} WHERE underlying_id = $1 AND expiry = $3
                      AND minute >= {DAY_LO} AND minute < {DAY_HI} ORDER BY minute DESC LIMIT 1) l',
                d, d, d, d) USING u, d, e;
        END $$""",
        f"""CREATE FUNCTION {CLOSE}_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {CLOSE} AS c (underlying_id, day, expiry, first_minute, last_minute, {fields})
            VALUES (NEW.underlying_id, (NEW.minute AT TIME ZONE {IST})::date, NEW.expiry, NEW.minute, NEW.minute,
                    {", ".join(f"NEW.{f}" for f in CLOSE_FIELDS)})
            ON CONFLICT (underlying_id, day, expiry) DO UPDATE SET
                first_minute = least(c.first_minute, EXCLUDED.first_minute),
                last_minute = greatest(c.last_minute, EXCLUDED.last_minute), {newer};
            RETURN NULL;
        END $$""",
        f"""CREATE FUNCTION {CLOSE}_forget() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE k record;
        BEGIN
            FOR k IN SELECT DISTINCT underlying_id, (minute AT TIME ZONE {IST})::date AS day, expiry FROM gone LOOP
                PERFORM {CLOSE}_refresh(k.underlying_id, k.day, k.expiry);
            END LOOP;
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER chaindailyclose_add AFTER INSERT OR UPDATE ON {CHAIN} FOR EACH ROW EXECUTE FUNCTION {CLOSE}_add()",
        f"CREATE TRIGGER chaindailyclose_forget AFTER DELETE ON {CHAIN} REFERENCING OLD TABLE AS gone "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {CLOSE}_forget()",
        # The archive already stored.
        f"""INSERT INTO {CLOSE} (underlying_id, day, expiry, first_minute, last_minute, {fields})
        SELECT DISTINCT ON (underlying_id, day, expiry) underlying_id, day, expiry,
               min(minute) OVER (PARTITION BY underlying_id, day, expiry), minute, {fields}
        FROM (SELECT *, (minute AT TIME ZONE {IST})::date AS day FROM {CHAIN}) s
        ORDER BY underlying_id, day, expiry, minute DESC""",
    ]


def _underlying_sql() -> list[str]:
    out = []
    for source, minute_col, value, columns in UNDERLYING_CLOSES:
        name = f"{UCLOSE}_{minute_col}"
        targets = ", ".join(columns)
        sources = ", ".join(f"l.{c}" for c in columns.values())
        nulls = ", ".join(f"{c} = NULL" for c in columns)
        newer = ", ".join(
            f"{c} = CASE WHEN c.{minute_col} IS NULL OR EXCLUDED.{minute_col} >= c.{minute_col} THEN EXCLUDED.{c} "
            f"ELSE c.{c} END"
            for c in columns
        )
        out += [
            f"""CREATE FUNCTION {name}_refresh(u bigint, d date) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO {UCLOSE} (underlying_id, day) VALUES (u, d) ON CONFLICT (underlying_id, day) DO NOTHING;
                UPDATE {UCLOSE} SET {minute_col} = NULL, {nulls} WHERE underlying_id = u AND day = d;
                EXECUTE format('UPDATE {UCLOSE} c SET {minute_col} = l.minute, {", ".join(f"{c} = l.{s}" for c, s in columns.items())}
                    FROM (SELECT * FROM {source} WHERE underlying_id = $1 AND {value} IS NOT NULL
                          AND minute >= {DAY_LO} AND minute < {DAY_HI} ORDER BY minute DESC LIMIT 1) l
                    WHERE c.underlying_id = $1 AND c.day = $2', d, d) USING u, d;
            END $$""",
            f"""CREATE FUNCTION {name}_add() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.{value} IS NOT NULL THEN
                    INSERT INTO {UCLOSE} AS c (underlying_id, day, {minute_col}, {targets})
                    VALUES (NEW.underlying_id, (NEW.minute AT TIME ZONE {IST})::date, NEW.minute,
                            {", ".join(f"NEW.{s}" for s in columns.values())})
                    ON CONFLICT (underlying_id, day) DO UPDATE SET {newer},
                        {minute_col} = greatest(c.{minute_col}, EXCLUDED.{minute_col});
                ELSIF TG_OP = 'UPDATE' AND OLD.{value} IS NOT NULL THEN
                    PERFORM {name}_refresh(NEW.underlying_id, (NEW.minute AT TIME ZONE {IST})::date);
                END IF;
                RETURN NULL;
            END $$""",
            f"""CREATE FUNCTION {name}_forget() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE k record;
            BEGIN
                FOR k IN SELECT DISTINCT underlying_id, (minute AT TIME ZONE {IST})::date AS day FROM gone LOOP
                    PERFORM {name}_refresh(k.underlying_id, k.day);
                END LOOP;
                RETURN NULL;
            END $$""",
            f"CREATE TRIGGER {minute_col}_close_add AFTER INSERT OR UPDATE ON {source} FOR EACH ROW "
            f"EXECUTE FUNCTION {name}_add()",
            f"CREATE TRIGGER {minute_col}_close_forget AFTER DELETE ON {source} REFERENCING OLD TABLE AS gone "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_forget()",
            f"""INSERT INTO {UCLOSE} AS c (underlying_id, day, {minute_col}, {targets})
            SELECT DISTINCT ON (underlying_id, day) underlying_id, day, minute, {sources}
            FROM (SELECT *, (minute AT TIME ZONE {IST})::date AS day FROM {source} WHERE {value} IS NOT NULL) l
            ORDER BY underlying_id, day, minute DESC
            ON CONFLICT (underlying_id, day) DO UPDATE SET {minute_col} = EXCLUDED.{minute_col},
                {", ".join(f"{c} = EXCLUDED.{c}" for c in columns)}""",
        ]
    return out


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in _chain_sql() + _underlying_sql():
            cursor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS chaindailyclose_add ON {CHAIN}")
        cursor.execute(f"DROP TRIGGER IF EXISTS chaindailyclose_forget ON {CHAIN}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {CLOSE}_add(), {CLOSE}_forget(), {CLOSE}_refresh(bigint, date, date)")
        for source, minute_col, _, _ in UNDERLYING_CLOSES:
            name = f"{UCLOSE}_{minute_col}"
            cursor.execute(f"DROP TRIGGER IF EXISTS {minute_col}_close_add ON {source}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {minute_col}_close_forget ON {source}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}_add(), {name}_forget(), {name}_refresh(bigint, date)")


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0006_history_indexes"),
        ("market", "0001_initial"),
        ("marketdata", "0005_history_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChainDailyClose",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(help_text="IST trading day.")),
                ("expiry", models.DateField()),
                ("first_minute", models.DateTimeField()),
                ("last_minute", models.DateTimeField()),
                ("pcr_oi", models.FloatField(blank=True, null=True)),
                ("pcr_volume", models.FloatField(blank=True, null=True)),
                ("max_pain", models.FloatField(blank=True, null=True)),
                ("atm_iv", models.FloatField(blank=True, null=True)),
                ("straddle", models.FloatField(blank=True, null=True)),
                ("expected_move", models.FloatField(blank=True, null=True)),
                ("rr25", models.FloatField(blank=True, null=True)),
                ("bf25", models.FloatField(blank=True, null=True)),
                ("net_gex", models.FloatField(blank=True, null=True)),
                (
                    "underlying",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="market.underlying",
                    ),
                ),
            ],
            options={
                "ordering": ["underlying_id", "day", "expiry"],
                "constraints": [
                    models.UniqueConstraint(fields=("underlying", "day", "expiry"), name="chaindailyclose_day_expiry")
                ],
            },
        ),
        migrations.CreateModel(
            name="UnderlyingDailyClose",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(help_text="IST trading day.")),
                ("vix_minute", models.DateTimeField(blank=True, null=True)),
                ("spot", models.FloatField(blank=True, null=True)),
                ("vix", models.FloatField(blank=True, null=True)),
                ("cm30_minute", models.DateTimeField(blank=True, null=True)),
                ("cm30_iv", models.FloatField(blank=True, null=True)),
                ("our_vix_minute", models.DateTimeField(blank=True, null=True)),
                ("our_vix", models.FloatField(blank=True, null=True)),
                (
                    "underlying",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="market.underlying",
                    ),
                ),
            ],
            options={
                "ordering": ["underlying_id", "day"],
                "constraints": [models.UniqueConstraint(fields=("underlying", "day"), name="underlyingdailyclose_day")],
            },
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
