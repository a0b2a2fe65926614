"""The pipeline on real Celery workers (separate processes), real Redis and PostgreSQL (reference §A.5).

Each worker is `celery worker` in its own process, pointed at pytest-django's test database; the
dispatcher runs here, in the test, as beat would run it. Pages come from a server on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from articles import tasks
from articles.models import Fetch, Quote, Snapshot, Source
from articles.tests import test_checking as shared
from articles.tests.test_checking import PATH, QUOTE, flags, make_source, page, publish_citing, serve

server, site = shared.server, shared.site  # the page server's fixtures
ROOT = Path(__file__).resolve().parents[2]
# The workers use their own connections, so rows must be committed; serialized_rollback puts back
# what migrations created (the groups) after each test empties the tables.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Run a worker with transport options a test needs (a short visibility timeout, quick restore sweeps).
# Each test session (each xdist worker) has its own queue, so workers never take another's tasks.
LAUNCH = """
import json, sys
from config.celery import app
options = json.loads(sys.argv[1])
app.conf.task_default_queue = options.pop("queue")
app.conf.broker_transport_options = {**app.conf.broker_transport_options, **options}
app.worker_main(["worker", *sys.argv[2:]])
"""


class Worker:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process, self.log = process, log

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def queue() -> Iterator[str]:
    """Send this session's tasks to a queue of its own, and empty it afterwards."""
    name = f"counterclaim-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:6]}"
    app = tasks.check_source.app
    default = app.conf.task_default_queue
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = default
    redis.Redis.from_url(settings.REDIS_URL).delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")


@pytest.fixture(scope="module")
def start_worker(
    django_db_setup: None, queue: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []
    database = connection.settings_dict

    def start(*, concurrency: int = 2, gap: int = 1, transport: dict[str, int] | None = None) -> Worker:
        log = tmp_path_factory.mktemp("worker") / "worker.log"
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "FETCH_ALLOWED_NETWORKS": "127.0.0.0/8",
            "FETCH_MIN_GAP_SECONDS": str(gap),
            "CHECK_RETRY_BASE_SECONDS": "1",
            "DB_CONN_MAX_AGE": "0",
        }
        options = json.dumps({"queue": queue, **(transport or {})})
        args = [sys.executable, "-c", LAUNCH, options, f"--queues={queue}", "--pool=prefork", f"--concurrency={concurrency}",
                "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                f"--hostname=test-{uuid.uuid4().hex[:8]}@%h"]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)  # fmt: skip
        worker = Worker(process, log)
        started.append(worker)
        deadline = time.monotonic() + 30
        while " ready." not in worker.text():
            assert process.poll() is None, worker.text()
            assert time.monotonic() < deadline, worker.text()
            time.sleep(0.1)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def worker(start_worker: Callable[..., Worker]) -> Worker:
    return start_worker()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def succeeded(worker: Worker, task_id: str) -> str:
    """Return what a task returned, from the worker's log ("" until it has finished)."""
    for line in worker.text().splitlines():
        if task_id in line and "succeeded" in line:
            return line.rsplit(":", 1)[-1].strip().strip("'")
    return ""


def dispatch(source: Source, expected_fetches: int) -> None:
    """Make the source due, run the dispatcher as beat would, and wait for the worker's check."""
    Source.objects.exclude(pk=source.pk).update(next_check_at=timezone.now() + dt.timedelta(days=1))
    Source.objects.filter(pk=source.pk).update(next_check_at=timezone.now() - dt.timedelta(seconds=1))
    assert tasks.enqueue_due_sources() == 1
    wait_until(lambda: Fetch.objects.filter(source=source).count() >= expected_fetches, "the check")
    wait_until(lambda: Source.objects.get(pk=source.pk).lease_until is None, "the lease to be released")


def test_an_article_edited_then_stripped_of_the_quote_flags_its_dispute_once(
    site: HTTPServer, worker: Worker, editor, reviewer
) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=QUOTE)
    dispatch(source, 1)
    dispute = publish_citing(quote, editor, reviewer)

    serve(site, page("v2-copyedit"))
    dispatch(source, 2)
    assert flags(dispute) == []
    assert Quote.objects.get(pk=quote.pk).status == Quote.Status.PRESENT

    serve(site, page("v3-quote-removed"))
    dispatch(source, 3)
    assert flags(dispute) == []  # suspected: a second fetch must agree
    assert Source.objects.get(pk=source.pk).pending_change == {"quotes": {str(quote.pk): "gone"}}

    dispatch(source, 4)
    dispatch(source, 5)
    dispute.refresh_from_db()
    assert dispute.needs_recheck
    assert "no longer carries the quoted passage “Reports that" in dispute.recheck_reason
    assert len(flags(dispute)) == 1

    fetches = list(Fetch.objects.filter(source=source).order_by("started_at"))
    assert [(f.outcome, f.tier) for f in fetches] == [
        ("changed", "first"), ("changed", "changed"), ("changed", "changed"),
        ("unchanged", "same_raw"), ("unchanged", "same_raw"),
    ]  # fmt: skip
    snapshots = Snapshot.objects.filter(source=source)
    assert snapshots.count() == 3
    assert {s.raw_sha256 for s in snapshots} == {f.raw_sha256 for f in fetches}
    assert [f.snapshot_id for f in fetches[2:]] == [Source.objects.get(pk=source.pk).current_snapshot_id] * 3
    assert len(site.log) == 5


def test_a_redelivered_task_writes_nothing_twice(site: HTTPServer, worker: Worker) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    slot = timezone.now().isoformat()
    first = tasks.check_source.delay(source.pk, slot=slot)
    wait_until(lambda: succeeded(worker, first.id), "the first delivery")
    again = tasks.check_source.delay(source.pk, slot=slot)
    wait_until(lambda: succeeded(worker, again.id), "the redelivery")
    assert (succeeded(worker, first.id), succeeded(worker, again.id)) == ("checked", "duplicate")
    assert Fetch.objects.filter(source=source).count() == 1
    assert len(site.log) == 1


def test_two_workers_never_fetch_one_source_at_once(site: HTTPServer, worker: Worker) -> None:
    body = page("v1")

    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(body, content_type="text/html")

    site.expect_request(PATH).respond_with_handler(slow)
    source = make_source(site)
    now = timezone.now()
    one = tasks.check_source.delay(source.pk, slot=now.isoformat())
    two = tasks.check_source.delay(source.pk, slot=(now + dt.timedelta(seconds=1)).isoformat())
    wait_until(lambda: succeeded(worker, one.id) and succeeded(worker, two.id), "both tasks")
    assert sorted([succeeded(worker, one.id), succeeded(worker, two.id)]) == ["checked", "leased"]
    assert len(site.log) == 1
    assert Fetch.objects.filter(source=source).count() == 1
    assert Source.objects.get(pk=source.pk).lease_until is None


@pytest.fixture
def own_site(settings) -> Iterator[HTTPServer]:  # type: ignore[no-untyped-def]
    """A server on 127.0.0.3, a site no other test uses, so no other test's requests share its turn."""
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    server = HTTPServer(host="127.0.0.3", port=0)
    server.start()
    shared.clear_politeness("127.0.0.3")
    yield server
    server.clear()
    server.stop()


def test_two_workers_keep_the_gap_between_requests_to_one_site(own_site: HTTPServer, worker: Worker) -> None:
    site = own_site
    arrivals: list[float] = []
    lock = threading.Lock()
    body = page("v1")

    def record(request: Request) -> Response:
        with lock:
            arrivals.append(time.monotonic())
        return Response(body, content_type="text/html")

    for n in range(4):
        site.expect_request(f"/story-{n}").respond_with_handler(record)
    sources = [make_source(site, f"/story-{n}", host="127.0.0.3") for n in range(4)]
    # Queued all at once, as "check now" would (the dispatcher spaces them out itself): the workers keep the gap.
    for source in sources:
        tasks.check_source.delay(source.pk, slot=timezone.now().isoformat())
    wait_until(lambda: Fetch.objects.filter(source__in=sources).count() == 4, "four checks", timeout=40)

    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(arrivals) == 4
    assert min(gaps) >= 1 - 0.05, gaps


def test_a_killed_workers_task_is_done_again_exactly_once(
    site: HTTPServer, start_worker: Callable[..., Worker], worker: Worker
) -> None:
    worker.stop()  # only the workers of this test consume
    body = page("v1")
    calls: list[float] = []

    def slow_once(request: Request) -> Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(5)
        return Response(body, content_type="text/html")

    site.expect_request(PATH).respond_with_handler(slow_once)
    source = make_source(site)
    transport = {"visibility_timeout": 3, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
    doomed = start_worker(concurrency=1, gap=0, transport=transport)
    task = tasks.check_source.delay(source.pk, slot=timezone.now().isoformat())
    wait_until(lambda: len(calls) == 1, "the first worker's request")
    doomed.kill()
    assert not Fetch.objects.filter(source=source).exists()

    rescuer = start_worker(concurrency=1, gap=0, transport=transport)
    wait_until(lambda: succeeded(rescuer, task.id), "the redelivered task", timeout=30)
    assert succeeded(rescuer, task.id) == "checked"
    assert Fetch.objects.filter(source=source).count() == 1
    assert len(calls) == 2
    source.refresh_from_db()
    assert (source.lease_until, source.attempts) == (None, 0)
    rescuer.stop()  # its one-second restore sweeps would take other tests' held messages


def test_a_worker_stopped_with_sigterm_hands_back_the_check_it_holds(
    site: HTTPServer, start_worker: Callable[..., Worker], worker: Worker
) -> None:
    """A deploy stops workers with SIGTERM (warm shutdown). A check waiting out its countdown in the
    worker, as the dispatcher's spaced checks do, goes back to Redis at once (reference A-T10), not
    after the hour-long visibility timeout, and the next worker does it, once."""
    worker.stop()  # only the workers of this test consume
    serve(site, page("v1"))
    source = make_source(site)
    stopping = start_worker(concurrency=1, gap=0)
    task = tasks.check_source.apply_async(args=(source.pk, timezone.now().isoformat()), countdown=6)
    wait_until(lambda: f"[{task.id}] received" in stopping.text(), "the worker to take the message")

    stopping.process.send_signal(signal.SIGTERM)  # the main process only, as systemd's KillMode=mixed
    stopping.process.wait(30)

    assert "Restoring 1 unacknowledged message(s)" in stopping.text()
    assert not Fetch.objects.filter(source=source).exists()
    successor = start_worker(concurrency=1, gap=0)
    wait_until(lambda: succeeded(successor, task.id), "the handed-back check", timeout=30)
    assert succeeded(successor, task.id) == "checked"
    assert Fetch.objects.filter(source=source).count() == 1
    assert len(site.log) == 1
    successor.stop()


def test_celery_settings_keep_tasks_from_being_lost_or_run_twice() -> None:
    from config.celery import app

    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert not conf.task_always_eager
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    visibility = settings.CELERY_VISIBILITY_TIMEOUT
    assert conf.broker_transport_options["visibility_timeout"] == visibility
    assert conf.task_soft_time_limit < conf.task_time_limit < settings.CHECK_LEASE_SECONDS
    assert conf.task_time_limit + settings.CHECK_RETRY_MAX_SECONDS < visibility
    for task in (tasks.check_source, tasks.enqueue_due_sources):
        assert task.name.startswith("articles.tasks.")
        assert "kwargs" in task.run.__code__.co_varnames
