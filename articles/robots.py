"""What a site's robots.txt says about our checker (DESIGN §5.3, source-monitoring.md §8.6).

Rules are fetched through `articles.fetching.fetch` (so the same address vetting and limits apply),
parsed with protego, and kept in the database for a day per origin (`RobotsTxt`), so every worker
reads one copy. They are honoured for scheduled checks; a "check now" from an editor is a person's
request and skips them (DESIGN: the checker acts for the newsroom, like a reader following a link).

The answers that are not a robots.txt follow RFC 9309 where it is clear: a 4xx means there are no
rules (allow everything). A 5xx or a network failure means we do not know; the RFC says to assume
"disallow", but a site whose robots.txt is broken would then never be checked at all, and a site
that is down will fail the page fetch anyway and be counted by the dead-link rules. So we allow, and
keep that answer for an hour only, to ask again soon.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from protego import Protego

from . import fetching, politeness
from .urlnorm import registrable_domain

KEEP_RULES = dt.timedelta(hours=24)
KEEP_UNKNOWN = dt.timedelta(hours=1)
MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB


@dataclass(frozen=True)
class Rules:
    allowed: bool
    crawl_delay: float | None = None
    detail: str = ""


def origin_of(url: str) -> str:
    """Return scheme://host[:port], the scope of one robots.txt."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def agent_token() -> str:
    """Return the product token robots.txt groups are matched against ("CounterclaimBot")."""
    return settings.FETCH_USER_AGENT.split("/", 1)[0].strip()


def rules_from(status: int | None, body: str, url: str) -> Rules:
    """Return what a robots.txt answer says about fetching `url`."""
    if status is None or status >= 500:
        return Rules(True, None, "robots.txt could not be read; checked anyway.")
    if not 200 <= status < 300:
        return Rules(True, None, "")
    parser = Protego.parse(body)
    token = agent_token()
    delay = parser.crawl_delay(token)
    if parser.can_fetch(url, token):
        return Rules(True, float(delay) if delay else None, "")
    return Rules(False, float(delay) if delay else None, "The site's robots.txt asks robots not to fetch this page.")


def rules_for(url: str, *, owner: str, block_up_to: float) -> Rules:
    """Return the robots.txt rules for `url`, fetching the file when our copy is missing or old."""
    from .models import RobotsTxt

    origin = origin_of(url)
    now = timezone.now()
    cached = RobotsTxt.objects.filter(origin=origin, expires_at__gt=now).first()
    if cached is None:
        cached = _refresh(origin, owner=owner, block_up_to=block_up_to)
    return rules_from(cached.status_code, cached.body, url)


def _refresh(origin: str, *, owner: str, block_up_to: float):  # type: ignore[no-untyped-def]
    from .models import RobotsTxt

    domain = registrable_domain(origin)
    politeness.acquire(domain, owner, block_up_to=block_up_to)
    error = False
    try:
        page = fetching.fetch(f"{origin}/robots.txt", accept_any_type=True)
        status: int | None = page.status
        body = page.body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        error = page.status >= 500
    except fetching.FetchError:
        status, body, error = None, "", True
    finally:
        politeness.release(domain, owner, gap=politeness.gap_for(error=error))
    keep = KEEP_UNKNOWN if status is None or status >= 500 else KEEP_RULES
    now = timezone.now()
    row, _ = RobotsTxt.objects.update_or_create(
        origin=origin, defaults={"status_code": status, "body": body, "fetched_at": now, "expires_at": now + keep}
    )
    return row
