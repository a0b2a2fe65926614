"""How a cited source stands now, in words a reader takes in at a glance.

"Online, unchanged since 11 Nov 2024", "Edited 12 Nov 2024 — see what changed", "Gone since 20 Nov 2024 —
our copy of 11 Nov 2024". Pure functions of rows a page has already loaded (a Source with its current
snapshot's date, a Quote's status, a Fetch): no queries, and the same output for the same rows, so a page
can hash what it shows into its ETag. Colour comes from `tone`, but the words alone always say it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from http import HTTPStatus

from django.urls import reverse
from django.utils import dateformat, timezone

from articles.models import Fetch, Quote, Source

Liveness = Source.Liveness
Status = Quote.Status

# The page answered, but said nothing about the article: these neither prove it gone nor show it there.
_AT_LAST_CHECK = {
    Liveness.ACCESS_RESTRICTED: "Behind a login or paywall at our last check",
    Liveness.BLOCKED: "Our checker was turned away at its last visit",
    Liveness.RATE_LIMITED: "The site asked us to slow down at our last check",
    Liveness.TLS_ERROR: "Secure connection failed at our last check",
    Liveness.UNREACHABLE: "Unreachable at our last check",
}

# What an edit did to the quoted passage, said after the page's own state.
_QUOTE_WORDS = {
    Status.PRESENT: "the quoted words are unchanged",
    Status.PRESENT_MOVED: "the quoted words are unchanged, in another part of the article",
    Status.PRESENT_NORMALISED: "the quoted words are unchanged but for punctuation or spacing",
    Status.AMBIGUOUS: "the quoted words now appear more than once",
    Status.EDITED: "the quoted words were reworded",
    Status.EDITED_SUBSTANTIVE: "the quoted passage changed in substance",
    Status.UNCERTAIN: "we cannot find the quoted words with confidence",
    Status.GONE: "the quoted passage was removed",
}
_QUOTE_BAD = frozenset({Status.GONE})
_QUOTE_WARN = frozenset({Status.AMBIGUOUS, Status.EDITED, Status.EDITED_SUBSTANTIVE, Status.UNCERTAIN})

# One check as a reader would put it: what we found, by the source's liveness that check gave.
_FOUND = {
    Liveness.MOVED: "Moved to another address",
    Liveness.DEAD: "Not found",
    Liveness.SOFT_404: "Showed a “not found” page",
    Liveness.ACCESS_RESTRICTED: "Needed a login or subscription",
    Liveness.BLOCKED: "Turned our checker away",
    Liveness.RATE_LIMITED: "Asked us to slow down",
    Liveness.TLS_ERROR: "Secure connection failed",
    Liveness.UNREACHABLE: "Could not be reached",
    Liveness.ROBOTS_DISALLOWED: "Not checked: the site asks robots to stay away",
}
_FOUND_ONLINE = {
    Fetch.Tier.FIRST: "Online: our first copy",
    Fetch.Tier.CHANGED: "Online: the text changed",
    Fetch.Tier.FLIP_FLOP: "Online: the text went back to an earlier version",
    Fetch.Tier.NEEDS_RENDER: "Online, but we could not read the text",
}


@dataclass(frozen=True)
class SourceState:
    """A source's state for readers: a sentence, a tone for the stylesheet, and where to read more."""

    text: str  # "Gone since 20 Nov 2024"
    tone: str  # ok | warn | bad | neutral
    link: str = ""  # a path on this site ("/sources/12/#text"), or empty
    link_text: str = ""  # "our copy of 11 Nov 2024"
    checked_on: dt.date | None = None  # the day of the last check, in the newsroom's time zone


def describe(source: Source, quote: Quote | None = None) -> SourceState:
    """Say how the source stands now and, given the quote cited from it, what became of the quoted words.

    Reads `liveness`, `last_checked_at`, `last_changed_at`, `first_dead_signal_at`, `current_snapshot_id`
    and the current snapshot's `captured_at` (load it with `select_related`), and the quote's `status`.
    Everything a page shows of a source's state is in the result, so hashing it tells when that changed.
    """
    state = _describe(source, quote)
    checked = source.last_checked_at
    return dataclasses.replace(state, checked_on=timezone.localdate(checked) if checked else None)


def _describe(source: Source, quote: Quote | None) -> SourceState:
    copy = source.current_snapshot.captured_at if source.current_snapshot_id else None  # type: ignore[union-attr]
    page = reverse("disputes:source-detail", args=[source.pk])
    our_copy = {"link": f"{page}#text", "link_text": f"our copy of {day(copy)}"} if copy else {}
    checked = source.last_checked_at

    if source.liveness == Liveness.UNKNOWN:
        return SourceState("Not checked yet", "neutral")
    if source.liveness in {Liveness.DEAD, Liveness.SOFT_404}:
        since = source.first_dead_signal_at or checked
        text = f"Gone since {day(since)}" if since else "Gone"
        if source.liveness == Liveness.SOFT_404:
            text += " (the address now shows a “not found” page)"
        return SourceState(text, "bad", **our_copy)
    if source.liveness == Liveness.MOVED:
        text = f"Moved to another address, seen {day(checked)}" if checked else "Moved to another address"
        return SourceState(text, "warn", link=page, link_text="see where")
    if source.liveness == Liveness.ROBOTS_DISALLOWED:
        return SourceState("Not re-checked: the site asks robots to stay away", "warn", **our_copy)
    if source.liveness in _AT_LAST_CHECK:
        text = _AT_LAST_CHECK[source.liveness] + (f", {day(checked)}" if checked else "")
        return SourceState(text, "warn", **our_copy)

    # Online.
    status = quote.status if quote is not None else ""
    about_quote = _QUOTE_WORDS.get(status, "")
    tone = "bad" if status in _QUOTE_BAD else "warn" if status in _QUOTE_WARN else "ok"
    if source.last_changed_at and copy:
        text = f"Edited {day(source.last_changed_at)}"
        if not about_quote:
            tone = "warn"  # an edit we cannot place: the reader should look
        return SourceState(_join(text, about_quote), tone, link=f"{page}#changes", link_text="see what changed")
    if copy:
        text = f"Online, unchanged since {day(copy)}"
        if tone == "ok":
            return SourceState(text, tone)
        # The page did not change, so the passage was never in our copy as quoted: nothing was "removed".
        if status != Status.AMBIGUOUS:
            about_quote = "we cannot find the quoted words in it"
        return SourceState(_join(text, about_quote), "warn")
    return SourceState(f"Online, checked {day(checked)}" if checked else "Online", "ok")


def describe_fetch(fetch: Fetch) -> str:
    """Say what one check found, for the public liveness history ("Online: the text changed")."""
    if fetch.verdict in _FOUND:
        return _FOUND[fetch.verdict]
    if fetch.verdict == Liveness.ALIVE or fetch.outcome != Fetch.Outcome.ERROR:
        return _FOUND_ONLINE.get(fetch.tier, "Online, text unchanged")
    return "Could not be checked"


def status_words(code: int | None) -> str:
    """Name an HTTP status the way servers do, e.g. 404 → "404 Not Found"; no answer → "No answer"."""
    if code is None:
        return "No answer"
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def day(moment: dt.datetime | None) -> str:
    """Date a moment in the newsroom's time zone, as the pages do: "11 Nov 2024"."""
    if moment is None:
        return ""
    return dateformat.format(timezone.localdate(moment), "j M Y")


def _join(text: str, about_quote: str) -> str:
    return f"{text}; {about_quote}" if about_quote else text
