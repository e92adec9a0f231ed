"""Indexes the history queries asked for (docs/history.md); the volatility snapshot index that repeated its unique constraint goes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("market", "0001_initial"),
        ("marketdata", "0004_partition_by_day"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="optionquote",
            index=models.Index(
                condition=models.Q(("analysed_at__isnull", True)),
                fields=["underlying", "minute"],
                name="optionquote_unanalysed_minute",
            ),
        ),
    ]
