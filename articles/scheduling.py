"""When to look at a source again (DESIGN §5.10). Pure functions, no Django imports.

Young articles change often and old ones rarely, so the interval grows with the time since the
source was linked or last changed, whichever is later (NewsDiffs' `get_update_delay`). Every interval
is jittered by ±15 % so that sources added together drift apart instead of arriving as a herd
(changedetection.io #580, #3178).
"""

from __future__ import annotations

import datetime as dt
import random

MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

# (age below which, re-check every): source-monitoring.md §8.6.
INTERVALS: tuple[tuple[dt.timedelta, dt.timedelta], ...] = (
    (6 * HOUR, 30 * MINUTE),
    (2 * DAY, 2 * HOUR),
    (14 * DAY, 12 * HOUR),
    (90 * DAY, 3 * DAY),
    (365 * DAY, 14 * DAY),
)
OLDEST_INTERVAL = 30 * DAY
JITTER = 0.15

FAILURE_BASE = 30 * MINUTE
FAILURE_CAP = DAY
RETRY_AFTER_CAP = DAY
# A suspected change is confirmed by a second fetch this much later (CDN flaps, A/B tests).
CONFIRM_AFTER = (10 * MINUTE, 15 * MINUTE)


def base_interval(age: dt.timedelta) -> dt.timedelta:
    """Return the un-jittered interval for a source of this age."""
    for below, every in INTERVALS:
        if age < below:
            return every
    return OLDEST_INTERVAL


def jitter(interval: dt.timedelta, rng: random.Random | None = None) -> dt.timedelta:
    """Return the interval multiplied by a random factor in [0.85, 1.15]."""
    factor = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return interval * factor


def next_interval(
    *, added_at: dt.datetime, last_changed_at: dt.datetime | None, now: dt.datetime, rng: random.Random | None = None
) -> dt.timedelta:
    """Return how long to wait before the next routine check of a healthy source."""
    since = max(added_at, last_changed_at) if last_changed_at else added_at
    return jitter(base_interval(max(now - since, dt.timedelta(0))), rng)


def failure_interval(failures: int, rng: random.Random | None = None) -> dt.timedelta:
    """Return the wait after `failures` failed checks in a row: 30 min, 1 h, 2 h … capped at a day.

    This is independent of the routine interval on purpose: an old article checked monthly that
    starts failing is looked at again within a day, so the dead-link rule (three signals over
    48 hours) can conclude in days rather than months.
    """
    exponent = max(failures, 1) - 1
    wait = FAILURE_BASE * (2 ** min(exponent, 16))
    return jitter(min(wait, FAILURE_CAP), rng)


def retry_after_interval(seconds: float) -> dt.timedelta:
    """Return the wait a server asked for with Retry-After, capped at a day and never under a minute."""
    return min(max(dt.timedelta(seconds=seconds), MINUTE), RETRY_AFTER_CAP)


def confirm_interval(rng: random.Random | None = None) -> dt.timedelta:
    """Return when to fetch again to confirm a suspected change: 10 to 15 minutes from now."""
    low, high = CONFIRM_AFTER
    return dt.timedelta(seconds=(rng or random).uniform(low.total_seconds(), high.total_seconds()))


SPREAD_PER_SOURCE = dt.timedelta(seconds=10)


def spread_window(count: int, *, per_source: dt.timedelta = SPREAD_PER_SOURCE) -> dt.timedelta:
    """Return the window over which `count` newly added sources are spread for their first check.

    One new source is checked within seconds; a bulk import of hundreds is spread over the first
    routine interval (30 minutes) so that it does not arrive at the sites as one burst.
    """
    return min(per_source * count, INTERVALS[0][1])


def retry_countdown(retries: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Return seconds before retrying a transient failure: exponential backoff with full jitter."""
    ceiling = min(cap, base * (2**retries))
    return (rng or random).uniform(ceiling / 2, ceiling)
