"""The Celery app. Tasks live in each app's tasks.py; the beat schedule is in settings."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("counterclaim")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The embedded broker keeps its messages in folders that must exist before the first message.
for _key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
    _folder = (app.conf.broker_transport_options or {}).get(_key)
    if _folder:
        Path(_folder).mkdir(parents=True, exist_ok=True)
