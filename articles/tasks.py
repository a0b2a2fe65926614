"""Background work of the re-check pipeline (DESIGN §5): thin wrappers around `articles.checking`.

Tasks take ids, read the rows again, are safe to run twice (one Fetch per source and slot), and are
queued with `.delay_on_commit`. Every task accepts **kwargs, so messages queued by an older or newer
release still run (reference §A.3 (6)).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import task_postrun, worker_ready
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import checking, politeness, scheduling, workers
from .models import Source

# A task that keeps finding the site busy gives up this slot after this many turns; the source was
# postponed, so the dispatcher queues it again a lease later.
MAX_DEFERRALS = 100

# Liveness (articles/workers.py): every worker notes when it starts and when it finishes a task.
worker_ready.connect(workers.record_started, weak=False, dispatch_uid="counterclaim-worker-started")
task_postrun.connect(workers.record_finished, weak=False, dispatch_uid="counterclaim-worker-finished")


@shared_task(name="articles.tasks.enqueue_due_sources")
def enqueue_due_sources(**kwargs: Any) -> int:
    """Queue a check of every source that is due (beat runs this every minute)."""
    return checking.dispatch_due(queue_scheduled_check)


@shared_task(
    bind=True,
    name="articles.tasks.check_source",
    max_retries=None,  # our own counters below bound the retries
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
)
def check_source(
    self: Any, source_id: int, slot: str | None = None, manual: bool = False, transient: int = 0, **kwargs: Any
) -> str:
    """Check one source for one slot; retry transient failures with backoff, and wait politely for busy sites."""
    slot_at = dt.datetime.fromisoformat(slot) if slot else timezone.now()
    owner = self.request.id or f"local-{uuid.uuid4()}"
    countdown = scheduling.retry_countdown(
        transient, base=settings.CHECK_RETRY_BASE_SECONDS, cap=settings.CHECK_RETRY_MAX_SECONDS
    )
    again = {"slot": slot_at.isoformat(), "manual": manual, "transient": transient}
    try:
        result = checking.run_check(
            source_id, slot=slot_at, owner=owner, scheduled=not manual,
            final_attempt=transient >= settings.CHECK_TRANSIENT_RETRIES, retry_countdown=countdown,
            block_up_to=settings.CHECK_POLITENESS_BLOCK_SECONDS,
        )  # fmt: skip
    except politeness.DomainBusy as busy:
        if self.request.retries >= MAX_DEFERRALS:
            return "busy"
        raise self.retry(args=(source_id,), kwargs=again, countdown=busy.wait) from None
    except checking.TransientFailure:
        raise self.retry(args=(source_id,), kwargs={**again, "transient": transient + 1}, countdown=countdown) from None
    except SoftTimeLimitExceeded:
        message = "The check took longer than its time limit and was stopped."
        return checking.record_failure(
            source_id, slot=slot_at, owner=owner, error_class="timeout", message=message
        ).state
    return result.state


def queue_scheduled_check(source_id: int, slot: str, countdown: float = 0) -> None:
    """Queue the check of `source_id` for `slot` when the transaction commits, `countdown` s later."""
    check_source.apply_async_on_commit(args=(source_id, slot), countdown=countdown or None)


def queue_check_now(source_id: int) -> None:
    """Check this source ahead of its schedule: jump the queue, but not the politeness rules.

    The source is marked due now, which the desk shows as "checking", and a check is queued on
    commit. If the dispatcher also picks the source up before the check runs, it queues the same
    slot (the due time), and the second copy finds the slot recorded and does nothing.
    """
    now = timezone.now()
    Source.objects.filter(pk=source_id).update(next_check_at=now)
    check_source.delay_on_commit(source_id, slot=now.isoformat(), manual=True)
