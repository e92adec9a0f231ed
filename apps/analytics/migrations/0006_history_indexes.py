"""Indexes the history queries asked for (docs/history.md); the volatility snapshot index that repeated its unique constraint goes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0005_partition_by_day"),
        ("market", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="volatilitysnapshot",
            name="volatilitysnap_underlying_min",
        ),
        migrations.AddIndex(
            model_name="volatilitysnapshot",
            index=models.Index(
                condition=models.Q(("our_vix__isnull", False)),
                fields=["underlying", "minute"],
                name="volatilitysnap_our_vix_close",
            ),
        ),
    ]
