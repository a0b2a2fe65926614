"""Background work of the disputes app: thin wrappers, safe to run twice (see disputes.notifications)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import exports, notifications


# A run sends at most one email per person; with many people and a slow mail relay it may need more
# than the default minute. Overlapping runs are safe, so a long one does no harm.
@shared_task(name="disputes.tasks.send_notification_digests", soft_time_limit=240, time_limit=300)
def send_notification_digests(**kwargs: Any) -> int:
    """Mail each person one digest of what happened since the last (beat runs this periodically)."""
    return notifications.send_digests()


# Reading every published dispute takes three queries per 200 of them; a large archive may need
# minutes. Each file is swapped in whole, so overlapping runs are safe too.
@shared_task(name="disputes.tasks.export_published_disputes", soft_time_limit=540, time_limit=600)
def export_published_disputes() -> int:
    """Rewrite the open-data files of published disputes (beat runs this hourly); return how many."""
    return exports.write_exports()
