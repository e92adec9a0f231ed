# The futures' open interest, for rollover %. Minutes archived before it was kept get NULL (unknown), not {}
# (no future quoted): the column is added without a default, and the Python default comes after.

from django.db import migrations, models

HELP = (
    "Open interest (units) of every future quoted that minute: {expiry YYYY-MM-DD: oi}; null on minutes archived "
    "before it was kept (rollover % is unknown there)."
)


class Migration(migrations.Migration):
    dependencies = [
        ("marketdata", "0005_history_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="underlyingquote",
            name="futures_oi",
            field=models.JSONField(blank=True, null=True, help_text=HELP),
        ),
        migrations.AlterField(
            model_name="underlyingquote",
            name="futures_oi",
            field=models.JSONField(blank=True, default=dict, null=True, help_text=HELP),
        ),
    ]
