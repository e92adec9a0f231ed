"""The Celery application. Queues are an enum so workloads can be split by configuration."""

from __future__ import annotations

import enum
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optrading.settings.base")


class CeleryQueue(enum.StrEnum):
    DEFAULT = "celery"
    COLLECTION = "collection"
    ANALYTICS = "analytics"


app = Celery("optrading")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_default_queue = CeleryQueue.DEFAULT.value
app.autodiscover_tasks()
