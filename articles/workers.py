"""Whether the Celery workers are consuming: how many tasks wait, and when a worker last finished one.

Celery's tracker keeps reporting workers that stay up but stop taking messages, typically after a
broker reconnection (reference §A.4). Nothing fails loudly then; tasks just wait. So we measure the
symptom: tasks waiting in the queue while no worker has finished one for WORKER_STALL_SECONDS.

- Each worker process records that it finished a task (any task, any outcome) in the `Heartbeat`
  named "worker", at most once every few seconds, and also when it starts: a worker that has just
  been (re)started has the whole window to finish its first task. No heartbeat at all means no
  worker has started yet: that is "unknown", not "stalled".
- The backlog is what is ready in the default queue, counted through kombu: the Redis lists, or the
  files of the embedded filesystem transport. Messages already handed to a worker (Redis' `unacked`
  hash: running, reserved, or held for a retry's countdown) are reported but not judged: a retry
  waiting out its countdown is not a stall.

/healthz and `manage.py worker_alive` read `health()`; `articles.tasks` connects the receivers.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from kombu.exceptions import ChannelError, KombuError

from .models import Heartbeat

HEARTBEAT = "worker"
# A busy process writes the heartbeat at most this often (or a tenth of the stall window, if less).
MAX_WRITE_INTERVAL = 30.0
BROKER_TIMEOUT = 2  # seconds, to connect to the broker when counting

logger = logging.getLogger(__name__)
_last_write = float("-inf")  # per process: each prefork child throttles its own writes


class BrokerUnreachable(Exception):
    pass


@dataclass(frozen=True)
class Backlog:
    queue: str
    ready: int  # waiting for a worker
    unacked: int | None  # handed to a worker and not acknowledged yet (Redis only; all queues)


@dataclass(frozen=True)
class WorkerHealth:
    state: str  # ok, stalled, unknown
    reason: str
    backlog: Backlog | None = None
    last_finished: dt.datetime | None = None
    idle_seconds: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "ok": None if self.state == "unknown" else self.state == "ok",
            "reason": self.reason,
            "queue": self.backlog.queue if self.backlog else None,
            "queued": self.backlog.ready if self.backlog else None,
            "unacked": self.backlog.unacked if self.backlog else None,
            "last_finished": self.last_finished.isoformat() if self.last_finished else None,
            "idle_seconds": self.idle_seconds,
            "stall_after_seconds": settings.WORKER_STALL_SECONDS,
        }


def record_finished(**kwargs: Any) -> None:
    """Note that this worker process finished a task (receiver of Celery's `task_postrun`)."""
    global _last_write
    now = time.monotonic()
    if now - _last_write < min(MAX_WRITE_INTERVAL, settings.WORKER_STALL_SECONDS / 10):
        return
    try:
        Heartbeat.beat(HEARTBEAT)
    except DatabaseError:
        # The task's own outcome is already recorded; a missed heartbeat only ages the next probe.
        logger.warning("Could not record the worker heartbeat", exc_info=True)
        return
    _last_write = now


def record_started(**kwargs: Any) -> None:
    """Give a worker that has just started the whole stall window (receiver of `worker_ready`)."""
    record_finished()
    # Pool processes forked from here later (max_tasks_per_child) must not share this connection.
    connection.close()


def backlog(queue: str | None = None) -> Backlog:
    """Count the tasks waiting in the queue (the default one unless named); raise BrokerUnreachable."""
    app = current_app
    queue = queue or app.conf.task_default_queue
    conn = app.connection_for_read(connect_timeout=BROKER_TIMEOUT)
    try:
        with conn:
            conn.ensure_connection(max_retries=0)  # the next probe is the retry
            channel = conn.default_channel
            try:
                ready = channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:
                ready = 0  # Redis deletes the list of an emptied queue: "no such queue" means nothing waits
            unacked_key = getattr(channel, "unacked_key", None)
            unacked = int(channel.client.hlen(unacked_key)) if unacked_key else None
    except (KombuError, OSError, *conn.connection_errors, *conn.channel_errors) as exc:
        raise BrokerUnreachable(f"{exc.__class__.__name__}: {exc}") from exc
    return Backlog(queue=queue, ready=ready, unacked=unacked)


def health(*, now: dt.datetime | None = None) -> WorkerHealth:
    """Say whether the workers are consuming: stalled when tasks wait and none finished in the window."""
    try:
        waiting = backlog()
    except BrokerUnreachable as exc:
        return WorkerHealth("unknown", f"cannot reach the broker ({exc})")
    try:
        last = Heartbeat.last(HEARTBEAT)
    except DatabaseError as exc:
        return WorkerHealth("unknown", f"cannot read the database ({exc.__class__.__name__})", waiting)
    idle = max(int(((now or timezone.now()) - last).total_seconds()), 0) if last else None
    limit = settings.WORKER_STALL_SECONDS
    tasks = f"{waiting.ready} task{'s' if waiting.ready != 1 else ''} waiting in {waiting.queue!r}"
    if waiting.ready == 0:
        state, reason = "ok", f"no task waiting in {waiting.queue!r}"
    elif idle is not None and idle <= limit:
        state, reason = "ok", f"{tasks}; a worker finished one {idle} s ago"
    elif idle is None:
        # A fresh install: every worker records its start, so none has started yet. If none ever
        # does, /healthz's dispatcher check reports it (the dispatcher runs on a worker).
        state, reason = "unknown", f"{tasks} and no worker has started yet"
    else:
        state, reason = "stalled", f"{tasks} and no worker has finished one for {idle} s (limit {limit} s)"
    return WorkerHealth(state, reason, waiting, last, idle)
