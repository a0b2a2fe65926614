"""Is the page still there? Per-fetch verdicts and the dead-link state machine (DESIGN §5.5).

Pure functions, no Django imports. The names below are the values of `Source.Liveness`.

A single failed fetch proves little: CDNs flap, servers restart, sites block robots. So a fetch gives
a *verdict* and a *signal*, and only the state machine turns signals into "dead":

- 2xx (and 304) is alive and resets the count of dead signals;
- 404 and 410 are strong dead signals;
- 5xx and network failures (DNS, refused connection, timeout, redirect loop) are weak dead signals.
  They count towards the three like the strong ones (a site whose name stopped resolving is as gone
  as a 404, as InternetArchiveBot also judges), and the detail says which kind each was;
- blocked, access restricted, rate limited, TLS failures and robots.txt refusals say nothing about
  the page: they neither advance nor reset the count.

A source is dead only after three dead signals spanning at least 48 hours. Below that it reads as
"unreachable", with the honest reason and the count in `detail`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

UNKNOWN = "unknown"
ALIVE = "alive"
DEAD = "dead"
SOFT_404 = "soft_404"
MOVED = "moved"
ACCESS_RESTRICTED = "access_restricted"
BLOCKED = "blocked"
RATE_LIMITED = "rate_limited"
TLS_ERROR = "tls_error"
UNREACHABLE = "unreachable"
ROBOTS_DISALLOWED = "robots_disallowed"

# Signals a verdict sends to the state machine.
RESETS = "alive"
STRONG = "strong"
WEAK = "weak"
NEUTRAL = ""

DEAD_AFTER_SIGNALS = 3
DEAD_AFTER_SPAN = dt.timedelta(hours=48)

# IABot's paywall list, plus 451 (unavailable for legal reasons): the page exists, we may not read it.
RESTRICTED_STATUSES = frozenset({401, 402, 403, 407, 412, 428, 440, 449, 451})
# Liveness states that flag the disputes citing a source, once a second fetch agrees.
FLAGGED = frozenset({DEAD, SOFT_404, MOVED})
# Verdicts that tell us nothing about the page: they neither confirm nor refute a suspected change.
INCONCLUSIVE = frozenset({ACCESS_RESTRICTED, BLOCKED, RATE_LIMITED, TLS_ERROR, UNREACHABLE, ROBOTS_DISALLOWED})

# Bot-wall signatures (Cloudflare, reCAPTCHA, hCaptcha, DataDome, PerimeterX), looked for as plain
# substrings of the lower-cased head of the page: a regex over every fetched page cost milliseconds.
_CHALLENGE_TITLES = (
    b"just a moment", b"attention required", b"access denied", b"are you a robot", b"security check",
    b"please verify you are a human", b"pardon our interruption",
)  # fmt: skip
_CHALLENGE_MARKERS = (
    b"cf-chl-", b"challenge-platform", b"/cdn-cgi/challenge", b"g-recaptcha", b"h-captcha", b"hcaptcha.com",
    b"captcha-delivery.com", b"px-captcha", b"datadome",
)  # fmt: skip
_NOT_FOUND_PATH = re.compile(r"/404(?:[/.]|$)|404\.html?|notfound|not-found|page-not-found", re.IGNORECASE)
_INDEX_PAGES = frozenset({"", "/", "/index.html", "/index.htm", "/index.php", "/home", "/home/"})
_ERROR_WORDS = {
    "dns": "its name does not resolve",
    "connect": "the server refused or dropped the connection",
    "timeout": "the server did not answer in time",
    "too_many_redirects": "it redirects in a loop",
    "protocol": "the server's answer was not valid HTTP",
}


@dataclass(frozen=True)
class Verdict:
    """What one fetch says about a page."""

    liveness: str
    detail: str
    signal: str = NEUTRAL
    retry_after: float | None = None

    @property
    def has_content(self) -> bool:
        """Say whether the response carries the article, so its text can be extracted and compared."""
        return self.liveness in {ALIVE, MOVED}


@dataclass(frozen=True)
class DeadLinkState:
    """The part of a source the state machine reads and writes."""

    liveness: str
    dead_signals: int = 0
    first_dead_signal_at: dt.datetime | None = None
    detail: str = ""


def parse_retry_after(value: str, now: dt.datetime) -> float | None:
    """Return the seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - now).total_seconds(), 0.0)


def is_bot_block(status: int, headers: dict[str, str], body: bytes) -> bool:
    """Say whether the answer is a bot-protection challenge rather than the page (or its absence)."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    if status not in {200, 403, 429, 503}:
        return False
    head = body[:20000].lower()
    at = head.find(b"<title")
    title = head[at : at + 200] if at >= 0 else b""
    return any(words in title for words in _CHALLENGE_TITLES) or any(mark in head for mark in _CHALLENGE_MARKERS)


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def redirected_to_root(requested_url: str, final_url: str) -> bool:
    """Say whether a deep link now lands on a site's front page (a soft 404, DeadlinkChecker's rule)."""
    return _path(final_url).lower() in _INDEX_PAGES and _path(requested_url).lower() not in _INDEX_PAGES


def moved_to(requested_url: str, final_url: str) -> bool:
    """Say whether the redirects ended on another document, not just another spelling of this one.

    http→https, www. and a trailing slash are the same document; another path is another one.
    """
    if not final_url or final_url == requested_url:
        return False
    before, after = urlsplit(requested_url), urlsplit(final_url)
    return (before.path.rstrip("/") or "/") != (after.path.rstrip("/") or "/") or before.query != after.query


def classify_response(
    *,
    requested_url: str,
    final_url: str,
    status: int,
    headers: dict[str, str],
    body: bytes = b"",
    not_found_page: bool = False,
    now: dt.datetime | None = None,
) -> Verdict:
    """Return the verdict for an HTTP answer; `not_found_page` is the extractor's opinion of a 2xx page."""
    now = now or dt.datetime.now(dt.UTC)
    retry_after = parse_retry_after(headers.get("retry-after", ""), now)
    if is_bot_block(status, headers, body):
        server = headers.get("server", "")
        by = f" ({server})" if server else ""
        return Verdict(BLOCKED, f"The site{by} answered {status} with a bot check instead of the page.")
    if status == 429 or (status == 503 and retry_after is not None):
        wait = f" and asked us to wait {round(retry_after)} s" if retry_after is not None else ""
        return Verdict(RATE_LIMITED, f"The site answered {status}{wait}.", retry_after=retry_after)
    if status == 304:
        return Verdict(ALIVE, "Online, unchanged since our last copy (304 Not Modified).", RESETS)
    if 200 <= status < 300:
        if redirected_to_root(requested_url, final_url):
            return Verdict(SOFT_404, f"The address now redirects to the site's front page ({final_url}).")
        if _NOT_FOUND_PATH.search(_path(final_url)) and not _NOT_FOUND_PATH.search(_path(requested_url)):
            return Verdict(SOFT_404, f"The address now redirects to a “not found” page ({final_url}).")
        if not_found_page:
            return Verdict(SOFT_404, "The address answers with a “page not found” message.")
        if moved_to(requested_url, final_url):
            return Verdict(MOVED, f"The article now lives at {final_url}.", RESETS)
        return Verdict(ALIVE, "Online.", RESETS)
    if status in {404, 410}:
        words = "404 Not Found" if status == 404 else "410 Gone"
        return Verdict(DEAD, f"The address answered {words}.", STRONG)
    if status in RESTRICTED_STATUSES:
        return Verdict(ACCESS_RESTRICTED, f"The site answered {status}: the page needs a login or subscription.")
    if status >= 500:
        return Verdict(UNREACHABLE, f"The server answered {status} (a server error).", WEAK)
    # Other 4xx (400, 405, 406…): the server refuses this request, not the page; say so, count nothing.
    return Verdict(UNREACHABLE, f"The server answered {status} to our request.")


def classify_error(error_class: str, message: str, retry_after: float | None = None) -> Verdict:
    """Return the verdict for a fetch that got no HTTP answer (articles.fetching.FetchError)."""
    if error_class == "tls":
        return Verdict(TLS_ERROR, message or "The secure connection failed (certificate or TLS error).")
    if error_class in _ERROR_WORDS:
        detail = message or f"We could not reach the page: {_ERROR_WORDS[error_class]}."
        return Verdict(UNREACHABLE, detail, WEAK, retry_after=retry_after)
    # Our own refusals (forbidden address or port, invalid URL) and answers we do not read (too large,
    # not HTML) say nothing about whether the page is there.
    return Verdict(UNREACHABLE, message or "We did not fetch the page.", retry_after=retry_after)


def advance(state: DeadLinkState, verdict: Verdict, now: dt.datetime) -> DeadLinkState:
    """Apply one verdict to a source's dead-link state and return the new state."""
    if verdict.signal == RESETS:
        return DeadLinkState(verdict.liveness, 0, None, verdict.detail)
    if verdict.signal not in {STRONG, WEAK}:
        return DeadLinkState(verdict.liveness, state.dead_signals, state.first_dead_signal_at, verdict.detail)
    count = state.dead_signals + 1
    first = state.first_dead_signal_at or now
    strength = "" if verdict.signal == STRONG else " (a weak signal: the server or network may recover)"
    if state.liveness == DEAD or (count >= DEAD_AFTER_SIGNALS and now - first >= DEAD_AFTER_SPAN):
        detail = f"{verdict.detail}{strength} {count} failed checks since {first:%d %b %Y %H:%M} UTC."
        return DeadLinkState(DEAD, count, first, detail)
    detail = (
        f"{verdict.detail}{strength} Failed check {count}: we call a page gone after "
        f"{DEAD_AFTER_SIGNALS} failed checks over at least {DEAD_AFTER_SPAN.days * 24} hours."
    )
    return DeadLinkState(UNREACHABLE, count, first, detail)
