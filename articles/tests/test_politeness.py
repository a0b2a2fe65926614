"""One request at a time per site, with a gap, shared by every worker (DESIGN §5.3)."""

import threading
import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection

from articles import politeness
from articles.models import DomainThrottle

# Threads use their own connections, so the rows must be committed; serialized_rollback puts back
# what migrations created (the groups) after the tables are emptied.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def clean_redis() -> Iterator[None]:
    # Sites of this test only: a test running beside it (xdist) keeps its own turns.
    client = politeness._redis(settings.REDIS_URL)
    keys = [f"{politeness.KEY_PREFIX}{site}.example:{part}" for site in ("news", "other") for part in ("lock", "next")]
    client.delete(*keys)
    yield
    client.delete(*keys)


@pytest.fixture(params=["redis", "database"])
def mode(request: pytest.FixtureRequest, settings, clean_redis: None) -> str:
    settings.FETCH_MIN_GAP_SECONDS = 0
    if request.param == "database":
        settings.REDIS_URL = ""
    return request.param


def test_a_busy_site_is_refused_to_another_owner_and_says_how_long(mode: str) -> None:
    politeness.acquire("news.example", "task-a", block_up_to=0)
    with pytest.raises(politeness.DomainBusy) as busy:
        politeness.acquire("news.example", "task-b", block_up_to=0)
    assert busy.value.wait > 0
    politeness.acquire("other.example", "task-b", block_up_to=0)  # another site is free


def test_the_gap_runs_from_the_end_of_the_last_request(mode: str) -> None:
    politeness.acquire("news.example", "task-a", block_up_to=0)
    politeness.release("news.example", "task-a", gap=0.4)
    with pytest.raises(politeness.DomainBusy) as busy:
        politeness.acquire("news.example", "task-b", block_up_to=0)
    assert 0.1 < busy.value.wait <= 0.4 + 1.0
    started = time.monotonic()
    politeness.acquire("news.example", "task-b", block_up_to=2)  # short waits are slept through
    assert time.monotonic() - started >= 0.25


def test_a_redelivered_task_takes_its_own_turn_back(mode: str) -> None:
    politeness.acquire("news.example", "task-a", block_up_to=0)
    politeness.acquire("news.example", "task-a", block_up_to=0)


def test_threads_take_turns_one_at_a_time(mode: str) -> None:
    inside, overlaps, done = [0], [], []
    lock = threading.Lock()

    def worker(name: str) -> None:
        try:
            for _ in range(3):
                politeness.acquire("news.example", name, block_up_to=10)
                with lock:
                    inside[0] += 1
                    overlaps.append(inside[0])
                time.sleep(0.02)
                with lock:
                    inside[0] -= 1
                politeness.release("news.example", name, gap=0.05)
            done.append(name)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"t{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(done) == 3
    assert max(overlaps) == 1


def test_the_embedded_limiter_keeps_one_row_per_site(settings) -> None:
    settings.REDIS_URL = ""
    politeness.acquire("news.example", "task-a", block_up_to=0)
    politeness.release("news.example", "task-a", gap=5)
    row = DomainThrottle.objects.get(domain="news.example")
    assert row.holder == "" and row.held_until is None


def test_gaps_grow_for_crawl_delay_errors_and_retry_after(settings) -> None:
    settings.FETCH_MIN_GAP_SECONDS = 5
    assert politeness.gap_for() == 5
    assert politeness.gap_for(crawl_delay=20) == 20
    assert politeness.gap_for(crawl_delay=3600) == 60
    assert politeness.gap_for(error=True) == 20
    assert politeness.gap_for(retry_after=120) == 120
    assert politeness.gap_for(retry_after=86400) == 600
