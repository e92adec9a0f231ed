# The analytics UPDATE sets analysed_at on every stored row; an index naming it (even only in its predicate) makes
# no such update HOT. Unanalysed minutes are found per minute instead (apps.analytics.services.compute).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('marketdata', '0006_underlyingquote_futures_oi'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='optionquote',
            name='optionquote_unanalysed_minute',
        ),
    ]
