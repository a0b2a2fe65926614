"""Worker liveness (issue 7): tasks wait and nothing finishes → /healthz and `manage.py worker_alive` say so.

Real Redis with a queue of this session's own, real worker processes (the fixtures of test_tasks),
and once the embedded filesystem queue with a worker started as `make run` starts it.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from kombu import Connection

from articles import tasks, workers
from articles.models import Heartbeat
from articles.tests import test_tasks as shared
from articles.tests.test_tasks import Worker, wait_until

queue, start_worker = shared.queue, shared.start_worker  # a queue of our own, real worker processes
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def worker_alive() -> tuple[int, str]:
    """Run the probe in this process; return its exit code and what it printed."""
    out, err = StringIO(), StringIO()
    try:
        call_command("worker_alive", stdout=out, stderr=err)
    except SystemExit as stop:
        return int(stop.code or 0), err.getvalue()
    return 0, out.getvalue()


def test_waiting_tasks_that_nothing_finishes_are_a_stall_until_a_worker_drains_them(
    queue: str, start_worker: Callable[..., Worker], client: Client, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    settings.WORKER_STALL_SECONDS = 1
    monkeypatch.setenv("WORKER_STALL_SECONDS", "1")  # the worker's heartbeat throttle: 0.1 s
    Heartbeat.beat(workers.HEARTBEAT)  # a worker finished something just now, then went quiet
    for _ in range(3):
        tasks.check_source.delay(0)  # no such source: the task finishes at once

    code, said = worker_alive()
    assert code == 0 and said.startswith(f"ok: 3 tasks waiting in {queue!r}; a worker finished one ")
    assert client.get("/healthz").status_code == 200

    time.sleep(2.1)  # the stall window, and a second
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["problems"] == ["workers"]
    found = body["workers"]
    assert (found["state"], found["ok"], found["queue"], found["queued"]) == ("stalled", False, queue, 3)
    assert found["idle_seconds"] >= 2 and found["stall_after_seconds"] == 1 and found["last_finished"]
    code, said = worker_alive()
    assert code == 1
    assert said.startswith(f"stalled: 3 tasks waiting in {queue!r} and no worker has finished one for ")

    worker = start_worker()
    try:
        wait_until(lambda: workers.backlog().ready == 0, "the worker to drain the queue", timeout=15)
        assert worker_alive()[0] == 0
        assert client.get("/healthz").json()["workers"]["state"] == "ok"

        # Finishing a task, not only starting, keeps the heartbeat fresh.
        drained_at = Heartbeat.last(workers.HEARTBEAT)
        assert drained_at is not None
        time.sleep(0.2)
        tasks.check_source.delay(0)
        wait_until(lambda: (Heartbeat.last(workers.HEARTBEAT) or drained_at) > drained_at, "a task's heartbeat")
    finally:
        worker.stop()  # the tests below want no worker on this queue


def test_no_waiting_task_is_healthy_even_with_no_worker_ever_seen(queue: str, client: Client) -> None:
    assert worker_alive() == (0, f"ok: no task waiting in {queue!r}\n")
    assert client.get("/healthz").json()["workers"]["state"] == "ok"


def test_waiting_tasks_before_any_worker_started_cannot_be_judged(queue: str, client: Client) -> None:
    tasks.check_source.delay(0)
    try:
        assert worker_alive() == (2, f"unknown: 1 task waiting in {queue!r} and no worker has started yet\n")
        assert client.get("/healthz").status_code == 200  # the dispatcher check covers a fleet that never starts
    finally:
        with tasks.check_source.app.connection_for_write() as broker:
            broker.default_channel.queue_purge(queue)


def test_the_probe_cannot_tell_when_the_broker_does_not_answer(
    queue: str, client: Client, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(tasks.check_source.app.conf, "broker_url", "redis://127.0.0.1:1/0")
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    code, said = worker_alive()
    assert code == 2
    assert said.startswith("unknown: cannot reach the broker (OperationalError: ")
    body = client.get("/healthz").json()
    assert body["problems"] == ["broker"]  # the cause, not its consequence
    assert (body["workers"]["state"], body["workers"]["ok"]) == ("unknown", None)


def test_a_worker_heartbeat_is_written_at_most_once_per_interval(settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    settings.WORKER_STALL_SECONDS = 300  # interval: 30 s
    monkeypatch.setattr(workers, "_last_write", float("-inf"))
    workers.record_finished()
    first = Heartbeat.last(workers.HEARTBEAT)
    workers.record_finished()
    assert Heartbeat.last(workers.HEARTBEAT) == first
    monkeypatch.setattr(workers, "_last_write", time.monotonic() - 31)
    workers.record_finished()
    assert Heartbeat.last(workers.HEARTBEAT) > first  # type: ignore[operator]


# --- the embedded mode (`make run`): filesystem queue under var/, a solo worker ----------------------


@pytest.fixture
def embedded(tmp_path: Path) -> dict[str, str]:
    """The environment of `make run` (filesystem queue under a var/ of its own), on the test database."""
    database = connection.settings_dict
    dropped = {"REDIS_URL", "CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "COUNTERCLAIM_ENV"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        COUNTERCLAIM_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        DB_CONN_MAX_AGE="0",
        WORKER_STALL_SECONDS="1",
    )
    return env


def probe(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "worker_alive"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_probe_works_on_the_embedded_filesystem_queue(embedded: dict[str, str], tmp_path: Path) -> None:
    folder, control = tmp_path / "var" / "celery" / "queue", tmp_path / "var" / "celery" / "control"
    for path in (folder, control):
        path.mkdir(parents=True)
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "control_folder": str(control)}
    with Connection("filesystem://", transport_options=options) as broker:
        for _ in range(2):
            tasks.check_source.apply_async(args=(0,), connection=broker, queue="celery")
    assert len(list(folder.glob("*.celery.msg"))) == 2

    quiet_since = timezone.now() - dt.timedelta(seconds=10)
    Heartbeat.objects.create(name=workers.HEARTBEAT, at=quiet_since)
    stalled = probe(embedded)
    assert stalled.returncode == 1, stalled.stdout + stalled.stderr
    assert stalled.stderr.startswith("stalled: 2 tasks waiting in 'celery' and no worker has finished one for 1")

    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=embedded, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_until(lambda: not list(folder.glob("*.msg")), "the embedded worker to drain its queue", timeout=30)
        alive = probe(embedded)
        assert alive.returncode == 0, alive.stdout + alive.stderr + log.read_text()
        assert alive.stdout.startswith("ok: no task waiting in 'celery'")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(15)
    assert Heartbeat.last(workers.HEARTBEAT) > quiet_since  # type: ignore[operator]
