"""net_gex help text: the sign convention is dealers long the calls and short the puts (the words had it backwards)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0007_daily_closes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='chainsnapshot',
            name='net_gex',
            field=models.FloatField(blank=True, help_text='₹ per 1 % move; dealers long calls, short puts.', null=True),
        ),
    ]
