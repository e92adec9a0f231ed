from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(
            model_name="chainsnapshot",
            old_name="forward_method",
            new_name="forward_source",
        ),
        migrations.AlterField(
            model_name="chainsnapshot",
            name="forward_source",
            field=models.CharField(
                choices=[
                    ("parity", "Put-call parity (median of up to five strikes)"),
                    ("future", "Future of the same expiry"),
                    ("carry", "Spot carried at the risk-free rate"),
                ],
                help_text="Which step of the forward rule gave the forward.",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="chainsnapshot",
            name="expected_move",
            field=models.FloatField(blank=True, help_text="1-sigma move F·sigma·√t.", null=True),
        ),
    ]
