"""The Celery application; its queues are ``apps.core.queues.CeleryQueue``."""

from __future__ import annotations

import os

from celery import Celery

from apps.core.queues import CeleryQueue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optrading.settings.base")


app = Celery("optrading")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_default_queue = CeleryQueue.DEFAULT.value
app.autodiscover_tasks()
