"""How often a source is checked (DESIGN §5.10)."""

import datetime as dt
import random

import pytest

from articles import scheduling

NOW = dt.datetime(2024, 11, 11, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("age", "every"),
    [
        (dt.timedelta(0), 0.5 * H),
        (5.9 * H, 0.5 * H),
        (6 * H, 2 * H),
        (47 * H, 2 * H),
        (2 * D, 12 * H),
        (13 * D, 12 * H),
        (14 * D, 3 * D),
        (89 * D, 3 * D),
        (90 * D, 14 * D),
        (364 * D, 14 * D),
        (365 * D, 30 * D),
        (3000 * D, 30 * D),
    ],
)
def test_interval_grows_with_age(age: dt.timedelta, every: dt.timedelta) -> None:
    assert scheduling.base_interval(age) == every


def test_jitter_stays_within_fifteen_percent_and_spreads() -> None:
    rng = random.Random(7)
    waits = [
        scheduling.next_interval(added_at=NOW - 30 * D, last_changed_at=None, now=NOW, rng=rng) for _ in range(500)
    ]
    assert min(waits) >= 3 * D * 0.85
    assert max(waits) <= 3 * D * 1.15
    assert max(waits) - min(waits) > 3 * D * 0.2


def test_a_recent_change_makes_an_old_article_young_again() -> None:
    rng = random.Random(1)
    wait = scheduling.next_interval(added_at=NOW - 400 * D, last_changed_at=NOW - H, now=NOW, rng=rng)
    assert wait <= 0.5 * H * 1.15


def test_failures_back_off_exponentially_up_to_a_day() -> None:
    rng = random.Random(3)
    waits = [scheduling.failure_interval(n, rng) for n in range(1, 12)]
    assert 0.5 * H * 0.85 <= waits[0] <= 0.5 * H * 1.15
    assert 1 * H * 0.85 <= waits[1] <= 1 * H * 1.15
    assert all(wait <= D * 1.15 for wait in waits)
    assert waits[-1] >= D * 0.85


def test_retry_after_is_honoured_within_bounds() -> None:
    assert scheduling.retry_after_interval(600) == dt.timedelta(minutes=10)
    assert scheduling.retry_after_interval(1) == dt.timedelta(minutes=1)
    assert scheduling.retry_after_interval(10 * 86400) == D


def test_confirmation_comes_ten_to_fifteen_minutes_later() -> None:
    rng = random.Random(5)
    waits = [scheduling.confirm_interval(rng) for _ in range(100)]
    assert all(dt.timedelta(minutes=10) <= wait <= dt.timedelta(minutes=15) for wait in waits)


def test_bulk_imports_spread_over_the_first_interval() -> None:
    assert scheduling.spread_window(1) == dt.timedelta(seconds=10)
    assert scheduling.spread_window(10_000) == dt.timedelta(minutes=30)


def test_retry_countdown_grows_with_jitter_and_a_cap() -> None:
    rng = random.Random(9)
    assert 15 <= scheduling.retry_countdown(0, base=30, cap=600, rng=rng) <= 30
    assert 60 <= scheduling.retry_countdown(2, base=30, cap=600, rng=rng) <= 120
    assert 300 <= scheduling.retry_countdown(10, base=30, cap=600, rng=rng) <= 600
