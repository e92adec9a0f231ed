"""Our India-VIX-style index is a number only where the snapshot supports it, else empty with a reason; NSE's
published daily closes are stored beside it.

The values stored before this migration came from whatever strikes were collected (about 6 on the default ATM +/- 2
scope while India VIX was near 14): they are cleared and marked ``legacy`` (analyse the minute again to recompute),
so no misleading number survives and the constraint "a number or a reason" holds for every row. The clearing
cannot be undone (those numbers are not worth keeping); going back leaves the columns empty.
"""

from django.db import migrations, models

REASON_CHOICES = [
    ("monthly_missing", "A monthly chain the method needs is not in the snapshot"),
    ("atm_scope", "Only the strikes around the ATM were collected; the method needs the whole chain"),
    ("wings_not_collected", "A wing was not collected out to two consecutive zero bids"),
    ("no_quotes", "Too few usable quotes (none at K0, or fewer than two strikes)"),
    ("not_computable", "The method gives no real value (negative total variance)"),
    ("legacy", "Stored by the earlier, unchecked method; analyse the minute again"),
]


def legacy_values_clear(apps, schema_editor):
    snapshot = apps.get_model("analytics", "VolatilitySnapshot")
    snapshot.objects.update(
        our_vix=None,
        our_vix_reason="legacy",
        our_vix_note="Stored before our VIX was checked against what the snapshot holds; analyse the minute again.",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_forward_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="volatilitysnapshot",
            name="our_vix_reason",
            field=models.CharField(
                blank=True, choices=REASON_CHOICES, help_text="Why our_vix is empty (blank when set).", max_length=24
            ),
        ),
        migrations.AddField(
            model_name="volatilitysnapshot",
            name="our_vix_note",
            field=models.CharField(
                blank=True, help_text="The expiries used, or exactly what the snapshot lacks.", max_length=300
            ),
        ),
        migrations.AddField(
            model_name="volatilitysnapshot",
            name="our_vix_terms",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Per term (near, next): expiry, minutes, forward and its source, K0, strikes used, variance.",
            ),
        ),
        migrations.AlterField(
            model_name="volatilitysnapshot",
            name="our_vix",
            field=models.FloatField(
                blank=True,
                help_text="Ours: the India VIX white-paper method on the snapshot's monthly chains; empty with a reason.",
                null=True,
            ),
        ),
        migrations.RunPython(legacy_values_clear, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="volatilitysnapshot",
            constraint=models.CheckConstraint(
                condition=(models.Q(our_vix__isnull=False) & models.Q(our_vix_reason=""))
                | (models.Q(our_vix__isnull=True) & ~models.Q(our_vix_reason="")),
                name="volatilitysnapshot_our_vix_or_reason",
            ),
        ),
        migrations.CreateModel(
            name="IndiaVixClose",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("date", models.DateField(help_text="Trade date (IST).")),
                ("open", models.FloatField()),
                ("high", models.FloatField()),
                ("low", models.FloatField()),
                ("close", models.FloatField()),
                ("source", models.CharField(help_text="Name of the file it was imported from.", max_length=255)),
                ("imported_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["-date"],
                "constraints": [
                    models.UniqueConstraint(fields=("date",), name="indiavixclose_unique_date"),
                    models.CheckConstraint(
                        condition=models.Q(low__gt=0, low__lte=models.F("close"), close__lte=models.F("high")),
                        name="indiavixclose_close_within_range",
                    ),
                ],
            },
        ),
    ]
