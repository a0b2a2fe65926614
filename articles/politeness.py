"""One request at a time per site, and a gap between requests (DESIGN §5.3).

The limit is per registrable domain (`articles.urlnorm.registrable_domain`) and shared by every
worker on every machine: through Redis when settings.REDIS_URL is set, through the database in the
embedded mode (`DomainThrottle`). Celery's own `rate_limit` is per worker, so it cannot do this.

A turn is two facts, keyed by the Celery task id (which a redelivered message keeps): a lock naming
who is fetching from the domain now (so at most one request is in flight), and the earliest time the
next request may start (the last request's end + the gap). The gap
is settings.FETCH_MIN_GAP_SECONDS, raised to the site's robots.txt Crawl-delay (capped at 60 s),
multiplied after server errors and timeouts, and raised to a Retry-After the site sent (capped at
10 minutes here; the source's own next check honours the full value).

Waiting: `acquire` sleeps in-process while the wait is short (`block_up_to`, a second or two for a
worker; long for the operator's command) and raises `DomainBusy(wait)` otherwise, so that a Celery
task can give its worker back and retry with `countdown=wait` instead of holding it while asleep.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Greatest
from django.utils import timezone

CRAWL_DELAY_CAP = 60.0
RETRY_AFTER_CAP = 600.0
ERROR_FACTOR = 4.0
ERROR_GAP_CAP = 600.0
# A holder that died mid-request frees the domain after this long: the fetch's total deadline and slack.
HOLD_SLACK = 15.0
POLL = 0.05
KEY_PREFIX = "counterclaim:polite:"


class DomainBusy(Exception):
    """Another request to this site is in flight or too recent; try again in `wait` seconds."""

    def __init__(self, domain: str, wait: float) -> None:
        super().__init__(f"{domain} is busy for another {wait:.1f} s")
        self.domain = domain
        self.wait = wait


def gap_for(*, crawl_delay: float | None = None, error: bool = False, retry_after: float | None = None) -> float:
    """Return the seconds to leave before the next request to a site, after this one."""
    gap = float(settings.FETCH_MIN_GAP_SECONDS)
    if crawl_delay:
        gap = max(gap, min(crawl_delay, CRAWL_DELAY_CAP))
    if error:
        # Errors never shorten the gap (Scrapy AutoThrottle's rule); they lengthen it.
        gap = min(gap * ERROR_FACTOR, max(gap, ERROR_GAP_CAP))
    if retry_after:
        gap = max(gap, min(retry_after, RETRY_AFTER_CAP))
    return gap


def hold_seconds() -> float:
    """Return how long a turn is held at most before another worker may take it over."""
    return float(settings.FETCH_TOTAL_TIMEOUT) + HOLD_SLACK


# --- Redis ----------------------------------------------------------------------------------------

# Both scripts read the clock from Redis (TIME), so workers on machines with skewed clocks agree.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 0
end
if holder then
  return tonumber(ARGV[3])
end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nxt > now then
  return nxt - now
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
"""

_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
local nxt = now + tonumber(ARGV[2])
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
if nxt > cur then
  redis.call('SET', KEYS[2], nxt, 'PX', tonumber(ARGV[2]) + 3600000)
end
return 1
"""


@functools.cache
def _redis(url: str):  # type: ignore[no-untyped-def]  # redis-py's client type is generic
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


@functools.cache
def _scripts(url: str):  # type: ignore[no-untyped-def]
    client = _redis(url)
    return client.register_script(_ACQUIRE), client.register_script(_RELEASE)


def _keys(domain: str) -> list[str]:
    return [f"{KEY_PREFIX}{domain}:lock", f"{KEY_PREFIX}{domain}:next"]


@dataclass(frozen=True)
class RedisLimiter:
    url: str

    def try_acquire(self, domain: str, owner: str, *, hold: float, busy_hint: float) -> float:
        """Take the domain's turn and return 0, or return the seconds to wait."""
        acquire, _ = _scripts(self.url)
        waited = acquire(keys=_keys(domain), args=[owner, int(hold * 1000), int(busy_hint * 1000)])
        return int(waited) / 1000

    def release(self, domain: str, owner: str, *, gap: float) -> None:
        """Give the turn back; the next request may start `gap` seconds from now."""
        _, release = _scripts(self.url)
        release(keys=_keys(domain), args=[owner, int(gap * 1000)])


# --- Database (embedded mode) ---------------------------------------------------------------------


class DatabaseLimiter:
    """The same turn kept in a `DomainThrottle` row, claimed with a conditional UPDATE."""

    def try_acquire(self, domain: str, owner: str, *, hold: float, busy_hint: float) -> float:
        from .models import DomainThrottle

        now = timezone.now()
        DomainThrottle.objects.get_or_create(domain=domain, defaults={"next_allowed_at": now})
        # Conditional UPDATE: another worker may have taken the turn since we looked.
        free = Q(next_allowed_at__lte=now) & (Q(held_until__isnull=True) | Q(held_until__lt=now))
        # A task redelivered after its worker died carries the same id: it takes its own turn back.
        taken = (
            DomainThrottle.objects.filter(domain=domain)
            .filter(free | Q(holder=owner))
            .update(holder=owner, held_until=now + dt.timedelta(seconds=hold))
        )
        if taken:
            return 0.0
        row = DomainThrottle.objects.filter(domain=domain).values("held_until", "next_allowed_at").first()
        if row and row["held_until"] and row["held_until"] >= now:
            return busy_hint
        if row:
            return max((row["next_allowed_at"] - now).total_seconds(), POLL)
        return POLL

    def release(self, domain: str, owner: str, *, gap: float) -> None:
        from .models import DomainThrottle

        now = timezone.now()
        DomainThrottle.objects.filter(domain=domain).update(
            next_allowed_at=Greatest("next_allowed_at", now + dt.timedelta(seconds=gap))
        )
        DomainThrottle.objects.filter(domain=domain, holder=owner).update(holder="", held_until=None)


def limiter() -> RedisLimiter | DatabaseLimiter:
    """Return the limiter for this deployment: Redis when there is one, else the database."""
    if settings.REDIS_URL:
        return RedisLimiter(settings.REDIS_URL)
    return DatabaseLimiter()


def acquire(domain: str, owner: str, *, block_up_to: float) -> None:
    """Wait for this site's turn, sleeping at most `block_up_to` seconds; raise DomainBusy beyond that."""
    deadline = time.monotonic() + block_up_to
    busy_hint = max(float(settings.FETCH_MIN_GAP_SECONDS), POLL)
    current = limiter()
    while True:
        wait = current.try_acquire(domain, owner, hold=hold_seconds(), busy_hint=busy_hint)
        if wait <= 0:
            return
        remaining = deadline - time.monotonic()
        if wait > remaining:
            # Spread the waiters a little, so that they do not all come back at the same instant.
            raise DomainBusy(domain, wait + random.uniform(0, max(busy_hint, 1.0)))
        time.sleep(min(wait, max(remaining, POLL)))


def release(domain: str, owner: str, *, gap: float) -> None:
    """Give the site's turn back, leaving `gap` seconds before the next request may start."""
    limiter().release(domain, owner, gap=gap)
