"""One re-check of one source, and the dispatcher that decides which are due (DESIGN §5).

`run_check` is the whole pipeline for a source: lease → robots.txt → the site's turn → fetch →
liveness → extraction → change tiers → quote location → confirmation → record. The Celery task
(`articles.tasks.check_source`) and the operator's command (`manage.py recheck`) both call it; the
decisions live in pure modules (liveness, scheduling, extract, quotes) and the writes in model
methods (`Source.claim`, `Source.record_check`).

Confirmation (DESIGN §5.9). A check that finds a cited quote newly edited/uncertain/gone/ambiguous,
or the page newly dead/soft-404/moved, does not announce it: it notes the suspicion in
`Source.pending_change` and asks for another check 10–15 minutes later. Only when that next
conclusive check agrees are the `articles.signals` sent, and the status is remembered in
`Quote.flagged_status` / `Source.flagged_liveness` so the same news is not announced twice. A
return to the passage as captured clears both. Checks that say nothing (network errors, a bot
wall, a page that needs JavaScript) neither confirm nor cancel a suspicion. Cosmetic edits and a
return to a version we had already seen (flip-flop: A/B tests, CDN nodes out of step) never start
one.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from . import extract, fetching, languages, liveness, politeness, quotes, robots, scheduling
from .models import Fetch, Heartbeat, Quote, QuoteCheck, Snapshot, Source
from .urlnorm import registrable_domain

logger = logging.getLogger(__name__)

# A worker sleeps this long at most for a site's turn; longer waits give the worker back (DomainBusy).
BLOCK_IN_WORKER = 2.0
UNCONDITIONAL_EVERY = dt.timedelta(days=7)
MAX_DISPATCH_BATCHES = 50
MAX_SPREAD = 10_000

CONTENT_TIERS = {Fetch.Tier.FIRST, Fetch.Tier.CHANGED, Fetch.Tier.COSMETIC, Fetch.Tier.FLIP_FLOP}
SAME_TEXT_TIERS = {Fetch.Tier.NOT_MODIFIED, Fetch.Tier.SAME_RAW, Fetch.Tier.MARKUP_NOISE}
NEVER_SUSPECT_TIERS = {Fetch.Tier.COSMETIC, Fetch.Tier.FLIP_FLOP}


class TransientFailure(Exception):
    """The site failed in a way that may pass (5xx, timeout); nothing was written. Retry in `countdown` s."""

    def __init__(self, message: str, countdown: float) -> None:
        super().__init__(message)
        self.countdown = countdown


@dataclass
class CheckResult:
    """What one call of `run_check` did: checked, or why it did nothing."""

    source: Source | None
    state: str  # checked, duplicate, leased, missing, gave_up
    fetch: Fetch | None = None
    quote_checks: list[QuoteCheck] = field(default_factory=list)

    @property
    def snapshot_changed(self) -> bool:
        return bool(self.fetch and self.fetch.tier in CONTENT_TIERS)


# --- the dispatcher -------------------------------------------------------------------------------


def dispatch_due(enqueue: Callable[[int, str, float], Any], *, now: dt.datetime | None = None) -> int:
    """Queue a check of the due sources, once each, as many of each site as it can take; return how many.

    Rows are taken with SELECT … FOR UPDATE SKIP LOCKED (ignored on SQLite, where one worker runs),
    so two dispatchers running at once share the work instead of doubling it. Each source's
    `next_check_at` is pushed one lease (plus the longest countdown below) ahead in the same
    transaction: if the broker loses the message, the source is due again after that.
    `enqueue(source_id, slot, countdown)` runs inside the transaction and must defer the send to
    commit (`tasks.queue_scheduled_check`). The slot is the due time: a source queued twice for one
    due time is checked once (Fetch is unique per slot).

    At most `per_site_limit()` sources of one site are queued per run, oldest due first; the others
    stay due, untouched, for the next run, and a site that has had its share is left out of the
    run's later batches, so that one site with thousands of due pages cannot keep the others
    waiting. Those queued are spaced by FETCH_MIN_GAP_SECONDS (countdown 0, gap, 2 × gap …), so
    that each arrives when the site is free instead of all at once, bouncing off its politeness
    gap (DomainBusy) over and over. A site whose gap is longer (a robots.txt Crawl-delay, errors)
    still defers some of them; the workers' per-site turn remains the rule.
    """
    now = now or timezone.now()
    Heartbeat.beat("dispatcher")
    _spread_new_sources(now)
    lease = dt.timedelta(seconds=settings.CHECK_LEASE_SECONDS)
    batch = settings.DISPATCH_BATCH_SIZE
    per_site = per_site_limit()
    gap = max(float(settings.FETCH_MIN_GAP_SECONDS), 0.0)
    # A message waiting out its countdown must not find its source queued again meanwhile.
    hold = lease + dt.timedelta(seconds=gap * ((per_site or 1) - 1))
    taken_per_site: Counter[str] = Counter()
    full_outlets: set[int] = set()  # outlets (sites) that have had their share of this run
    after: tuple[dt.datetime, int] | None = None  # keyset: the last row looked at, taken or not
    queued = 0
    for _ in range(MAX_DISPATCH_BATCHES):
        with transaction.atomic():
            due = Source.objects.due(now)
            if after is not None:
                due = due.filter(Q(next_check_at__gt=after[0]) | Q(next_check_at=after[0], pk__gt=after[1]))
            if full_outlets:
                due = due.exclude(outlet_id__in=full_outlets)
            rows = list(
                due.order_by("next_check_at", "pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", "next_check_at", "url", "outlet_id")[:batch]
            )
            if not rows:
                break
            after = (rows[-1][1], rows[-1][0])
            take = []
            for pk, due_at, url, outlet_id in rows:
                site = registrable_domain(url)
                if per_site is None or taken_per_site[site] < per_site:
                    take.append((pk, due_at, taken_per_site[site] * gap))
                    taken_per_site[site] += 1
                elif outlet_id is not None:
                    full_outlets.add(outlet_id)
            Source.objects.filter(pk__in=[pk for pk, _, _ in take]).update(next_check_at=now + hold)
            for pk, due_at, countdown in take:
                enqueue(pk, due_at.isoformat(), countdown)
        queued += len(take)
        if len(rows) < batch:
            break
    return queued


def per_site_limit() -> int | None:
    """Return how many checks of one site a dispatcher run may queue (None: no limit).

    DISPATCH_PER_SITE when set; otherwise what the politeness gap lets through between two runs of
    the dispatcher: 12 a minute at the default 5 s gap, spaced 0 … 55 s, so that the next run's
    first one arrives as the last one is done. With no gap there is no limit.
    """
    if settings.DISPATCH_PER_SITE > 0:
        return settings.DISPATCH_PER_SITE
    gap = float(settings.FETCH_MIN_GAP_SECONDS)
    if gap <= 0:
        return None
    return max(1, math.ceil(settings.DISPATCH_EVERY_SECONDS / gap))


def _spread_new_sources(now: dt.datetime) -> None:
    """Give never-scheduled sources a first check time, spread so an import does not arrive as a burst."""
    new = list(
        Source.objects.filter(next_check_at__isnull=True).order_by("pk").values_list("pk", flat=True)[:MAX_SPREAD]
    )
    if not new:
        return
    step = scheduling.spread_window(len(new)) / len(new)
    Source.objects.bulk_update(
        [Source(pk=pk, next_check_at=now + step * index) for index, pk in enumerate(new)], ["next_check_at"], 500
    )


# --- one check ------------------------------------------------------------------------------------


def run_check(
    source_id: int,
    *,
    slot: dt.datetime,
    owner: str,
    scheduled: bool = True,
    final_attempt: bool = True,
    retry_countdown: float = 60.0,
    block_up_to: float = BLOCK_IN_WORKER,
) -> CheckResult:
    """Check one source for one slot, at most once, and record what was found.

    Returns without writing when the slot, or a later one, was recorded already (a redelivered or a
    stale task) or another worker holds the source. Raises politeness.DomainBusy when the site's turn is further than
    `block_up_to` seconds away, and TransientFailure on a failure worth retrying unless this is the
    `final_attempt`; in both cases nothing is written and the source is kept from the dispatcher
    until the retry. The lease is always given back.
    """
    if _slot_done(source_id, slot):
        return CheckResult(None, "duplicate")
    if not Source.claim(source_id, owner, lease_seconds=settings.CHECK_LEASE_SECONDS):
        exists = Source.objects.filter(pk=source_id).exists()
        return CheckResult(None, "leased" if exists else "missing")
    source = (
        Source.objects.select_related("outlet", "current_snapshot")
        .defer("current_snapshot__raw_html")
        .get(pk=source_id)
    )
    stepped_aside = False
    result: CheckResult | None = None
    try:
        if source.attempts > settings.CHECK_MAX_ATTEMPTS:
            result = _give_up(source, slot, scheduled)
        else:
            result = _check(source, slot=slot, owner=owner, scheduled=scheduled, final_attempt=final_attempt,
                            retry_countdown=retry_countdown, block_up_to=block_up_to)  # fmt: skip
        return result
    except politeness.DomainBusy as busy:
        stepped_aside = True
        source.postpone(timezone.now() + dt.timedelta(seconds=busy.wait + settings.CHECK_LEASE_SECONDS))
        raise
    except TransientFailure as failure:
        stepped_aside = True
        source.postpone(timezone.now() + dt.timedelta(seconds=failure.countdown + settings.CHECK_LEASE_SECONDS))
        raise
    finally:
        if result is None or result.fetch is None:  # a recorded check gave the lease back as it wrote
            source.release_lease(owner, count_attempt=not stepped_aside)


def _slot_done(source_id: int, slot: dt.datetime) -> bool:
    """Whether this slot, or a later one, was recorded already: then this message has nothing to do.

    "Later" covers a message that comes back long after its slot was taken over: a worker killed
    with its messages unacknowledged gets them delivered again only after the broker's visibility
    timeout (an hour), by when the dispatcher has queued the source again (a lease later) and that
    check is recorded. Checking again then would be a second check for one due time.
    """
    return Fetch.objects.filter(source_id=source_id, slot__gte=slot).exists()


def record_failure(source_id: int, *, slot: dt.datetime, owner: str, error_class: str, message: str) -> CheckResult:
    """Record a check that could not finish (the task's time limit): a Fetch with the reason, and a backoff."""
    if _slot_done(source_id, slot):
        return CheckResult(None, "duplicate")
    if not Source.claim(source_id, owner, lease_seconds=settings.CHECK_LEASE_SECONDS):
        return CheckResult(None, "leased")
    source = Source.objects.select_related("outlet").get(pk=source_id)
    result: CheckResult | None = None
    try:
        verdict = liveness.classify_error(error_class, message)
        now = timezone.now()
        fetch = Fetch(slot=slot, requested_url=source.url, finished_at=now, outcome=Fetch.Outcome.ERROR,
                      error_class=error_class, error_message=message[:500], verdict=verdict.liveness,
                      detail=verdict.detail[:500])  # fmt: skip
        result = _record(source, fetch, verdict=verdict, now=now)
    finally:
        if result is None or result.fetch is None:
            source.release_lease(owner)
    return result


def _give_up(source: Source, slot: dt.datetime, scheduled: bool) -> CheckResult:
    """Record that checks of this source keep dying mid-way (a poison source), and back off."""
    now = timezone.now()
    message = (
        f"The check stopped {source.attempts - 1} times without finishing; "
        "we will try again at the next scheduled time."
    )
    fetch = Fetch(slot=slot, requested_url=source.url, finished_at=now, outcome=Fetch.Outcome.ERROR,
                  error_class="gave_up", error_message=message, manual=not scheduled)  # fmt: skip
    failures = source.failures + 1
    changes = {"last_checked_at": now, "failures": failures,
               "next_check_at": now + scheduling.failure_interval(failures)}  # fmt: skip
    return _save(source, fetch, changes=changes)


def _check(
    source: Source,
    *,
    slot: dt.datetime,
    owner: str,
    scheduled: bool,
    final_attempt: bool,
    retry_countdown: float,
    block_up_to: float,
) -> CheckResult:
    started = timezone.now()
    rules = robots.rules_for(source.url, owner=owner, block_up_to=block_up_to) if scheduled else None
    if rules is not None and not rules.allowed:
        verdict = liveness.Verdict(liveness.ROBOTS_DISALLOWED, rules.detail)
        fetch = Fetch(slot=slot, started_at=started, finished_at=timezone.now(), requested_url=source.url,
                      outcome=Fetch.Outcome.ERROR, error_class="robots_disallowed", error_message=rules.detail,
                      verdict=verdict.liveness, detail=verdict.detail)  # fmt: skip
        return _record(source, fetch, verdict=verdict, now=started)

    current = source.current_snapshot
    conditional = bool(
        current
        and (source.etag or source.last_modified)
        and source.last_unconditional_at
        and started - source.last_unconditional_at < UNCONDITIONAL_EVERY
    )
    domain = registrable_domain(source.url)
    politeness.acquire(domain, owner, block_up_to=block_up_to)
    page: fetching.FetchedPage | None = None
    error: fetching.FetchError | None = None
    try:
        page = fetching.fetch(
            source.url,
            etag=source.etag if conditional else "",
            last_modified=source.last_modified if conditional else "",
        )
    except fetching.FetchError as exc:
        error = exc
    finally:
        failed = error is not None or (page is not None and page.status >= 500)
        retry_after = error.retry_after if error else liveness.parse_retry_after(
            page.headers.get("retry-after", "") if page else "", started
        )  # fmt: skip
        politeness.release(domain, owner, gap=politeness.gap_for(
            crawl_delay=rules.crawl_delay if rules else None, error=failed, retry_after=retry_after
        ))  # fmt: skip
    now = timezone.now()

    if error is not None:
        if not error.permanent and not final_attempt:
            raise TransientFailure(error.message, retry_countdown)
        verdict = liveness.classify_error(error.error_class, error.message, error.retry_after)
        fetch = Fetch(slot=slot, started_at=started, finished_at=now, requested_url=source.url,
                      outcome=Fetch.Outcome.ERROR, error_class=error.error_class, error_message=error.message[:500],
                      verdict=verdict.liveness, detail=verdict.detail[:500], manual=not scheduled)  # fmt: skip
        return _record(source, fetch, verdict=verdict, now=now)

    assert page is not None
    fetch = Fetch(
        slot=slot, started_at=started, finished_at=now, requested_url=source.url, final_url=page.final_url,
        redirect_chain=[[status, url] for status, url in page.redirect_chain], resolved_ip=page.resolved_ip or None,
        status_code=page.status, headers=page.headers, bytes_received=len(page.body), elapsed_ms=page.elapsed_ms,
        manual=not scheduled,
    )  # fmt: skip
    verdict = liveness.classify_response(
        requested_url=source.url, final_url=page.final_url, status=page.status, headers=page.headers, body=page.body,
        now=now,
    )  # fmt: skip
    if page.status >= 500 and verdict.signal == liveness.WEAK and not final_attempt:
        raise TransientFailure(verdict.detail, retry_countdown)
    if page.status == 304 and current is not None:
        fetch.tier, fetch.outcome, fetch.snapshot = Fetch.Tier.NOT_MODIFIED, Fetch.Outcome.NOT_MODIFIED, current
    elif 200 <= page.status < 300 and verdict.has_content:
        return _compare(source, fetch, page, verdict, now=now, conditional=conditional)
    else:
        fetch.outcome = Fetch.Outcome.ERROR
    fetch.verdict, fetch.detail = verdict.liveness, verdict.detail[:500]
    return _record(source, fetch, verdict=verdict, now=now, page=page, conditional=conditional)


def _compare(
    source: Source, fetch: Fetch, page: fetching.FetchedPage, verdict: liveness.Verdict, *, now: dt.datetime,
    conditional: bool,
) -> CheckResult:  # fmt: skip
    """Compare a 2xx page with our copies, cheapest test first (DESIGN §5.7)."""
    current = source.current_snapshot
    raw_sha = extract.sha256(page.body)
    fetch.raw_sha256 = raw_sha
    if current is not None and current.raw_sha256 == raw_sha:
        known: Snapshot | None = current  # the commonest answer by far, and no query to find it
    else:
        known = Snapshot.objects.filter(source=source, raw_sha256=raw_sha).defer("raw_html").first()
    extracted = None
    if known is None:
        previous_length = len(current.main_text) if current else None
        extracted = extract.extract(page.body, page.final_url, previous_main_length=previous_length)
        if extract.looks_like_not_found(extracted):
            verdict = liveness.classify_response(
                requested_url=source.url, final_url=page.final_url, status=page.status, headers=page.headers,
                not_found_page=True, now=now,
            )  # fmt: skip
    fetch.verdict, fetch.detail = verdict.liveness, verdict.detail[:500]
    if not verdict.has_content:  # a soft 404: the page is not the article, so there is nothing to compare
        fetch.outcome = Fetch.Outcome.ERROR
        return _record(source, fetch, verdict=verdict, now=now, page=page, conditional=conditional)

    snapshot: Snapshot | None = None
    if known is not None:
        tier = Fetch.Tier.SAME_RAW if current is not None and known.pk == current.pk else Fetch.Tier.FLIP_FLOP
        snapshot = known
    else:
        assert extracted is not None
        main_sha = extract.sha256(extracted.main_text)
        if extracted.needs_render:
            tier = Fetch.Tier.NEEDS_RENDER
        elif current is None:
            tier, snapshot = Fetch.Tier.FIRST, _new_snapshot(page, extracted, raw_sha, main_sha, now)
        elif main_sha == current.main_sha256:
            tier, snapshot = Fetch.Tier.MARKUP_NOISE, current
        else:
            seen = (
                Snapshot.objects.filter(source=source, main_sha256=main_sha)
                .exclude(pk=current.pk)
                .defer("raw_html")
                .first()
            )
            if seen is not None:
                tier, snapshot = Fetch.Tier.FLIP_FLOP, seen
            elif current.fingerprint and extract.fingerprint(extracted.main_text) == current.fingerprint:
                tier, snapshot = Fetch.Tier.COSMETIC, _new_snapshot(page, extracted, raw_sha, main_sha, now)
            else:
                tier, snapshot = Fetch.Tier.CHANGED, _new_snapshot(page, extracted, raw_sha, main_sha, now)
    fetch.tier = tier
    fetch.snapshot = snapshot
    if tier == Fetch.Tier.NEEDS_RENDER:
        fetch.outcome, fetch.error_class = Fetch.Outcome.ERROR, "needs_render"
        fetch.error_message = (
            "We could not read the article's text: the page may need JavaScript, or the extractor failed. "
            "Its quotes were not checked this time."
        )
    elif tier in {Fetch.Tier.SAME_RAW, Fetch.Tier.MARKUP_NOISE, Fetch.Tier.FLIP_FLOP}:
        fetch.outcome = Fetch.Outcome.UNCHANGED
    else:
        fetch.outcome = Fetch.Outcome.CHANGED
    return _record(source, fetch, verdict=verdict, now=now, page=page, conditional=conditional, extracted=extracted)


def _new_snapshot(
    page: fetching.FetchedPage, extracted: extract.Extracted, raw_sha: str, main_sha: str, now: dt.datetime
) -> Snapshot:
    return Snapshot(
        captured_at=now,
        raw_html=zlib.compress(page.body),
        raw_sha256=raw_sha,
        main_text=extracted.main_text,
        main_sha256=main_sha,
        fingerprint=extract.fingerprint(extracted.main_text),
        full_text=extracted.full_text,
        title=extracted.title[:500],
        canonical_url=extracted.canonical_url[:2000],
        date_modified=extracted.date_modified,
        extractor=extract.EXTRACTOR,
        correction_notices=list(extracted.correction_notices),
        language=extracted.language,
    )


# --- quotes, confirmation and the record ----------------------------------------------------------


def _locate_quotes(
    source: Source, fetch: Fetch, all_quotes: list[Quote], now: dt.datetime
) -> tuple[list[QuoteCheck], dict[int, str | None]]:
    """Locate the source's quotes in what this fetch brought; return the checks and each quote's observed status.

    An observed status of None means this fetch says nothing about the quote.
    """
    tier, snapshot, current = fetch.tier, fetch.snapshot, source.current_snapshot
    observed: dict[int, str | None] = {quote.pk: None for quote in all_quotes}
    checks: list[QuoteCheck] = []
    if tier == Fetch.Tier.NEEDS_RENDER:
        checks = [QuoteCheck(quote=q, checked_at=now, status=Quote.Status.NOT_CHECKED) for q in all_quotes]
        return checks, observed
    if snapshot is None:
        return checks, observed
    if tier in SAME_TEXT_TIERS:
        # The text is the one the quotes were last located in: their statuses stand. Only quotes
        # never located yet (added since, or imported) are looked for.
        to_locate = [q for q in all_quotes if q.status == Quote.Status.NOT_CHECKED]
        for quote in all_quotes:
            if quote.status != Quote.Status.NOT_CHECKED:
                observed[quote.pk] = quote.status
    else:
        to_locate = all_quotes
    previous_text = current.main_text if current is not None and current.pk != snapshot.pk else None
    language = _language(snapshot, source.language)
    for quote in to_locate:
        check = _locate(quote, snapshot, previous_text=previous_text, now=now, language=language)
        checks.append(check)
        if check.status != Quote.Status.NOT_CHECKED:
            observed[quote.pk] = check.status
    return checks, observed


def _locate(
    quote: Quote, snapshot: Snapshot, *, previous_text: str | None, now: dt.datetime, language: str = ""
) -> QuoteCheck:
    """Locate one quote in a snapshot's text; set its status (and an import's context) and return the check.

    The check is not saved and has no fetch yet. A text that says nothing about the quote (an empty
    extraction) gives a `not_checked` check and leaves the quote's status as it was.
    """
    selector = quotes.Selector(exact=quote.exact, prefix=quote.prefix, suffix=quote.suffix, start=quote.start,
                               end=quote.end)  # fmt: skip
    location = quotes.locate(
        selector, snapshot.main_text, snapshot.full_text, previous_text=previous_text, language=language
    )
    check = QuoteCheck(
        quote=quote, checked_at=now, status=location.status, match_start=location.start, match_end=location.end,
        matched_text=location.matched_text, score=location.score, runner_up_score=location.runner_up_score,
        changed_tokens=[list(pair) for pair in location.changed_tokens], searched_in=location.searched_in,
        note=location.note,
    )  # fmt: skip
    if location.status != Quote.Status.NOT_CHECKED:
        quote.status = location.status
        if quote.needs_context and location.status in Quote.UNCHANGED_STATUSES and location.start is not None:
            _add_context(quote, snapshot, location)
    return check


def _with_checks(announced: list[Quote], by_quote: dict[int, QuoteCheck]) -> list[tuple[Quote, QuoteCheck | None]]:
    """Pair each announced quote with this fetch's check of it, else the check that found its change (one query)."""
    missing = [q.last_check_id for q in announced if q.pk not in by_quote and q.last_check_id]
    earlier = QuoteCheck.objects.in_bulk(missing) if missing else {}
    return [(q, by_quote.get(q.pk) or earlier.get(q.last_check_id)) for q in announced]  # type: ignore[arg-type]


def _language(snapshot: Snapshot, source_language: str) -> str:
    """Return the language whose substance rules apply: the page's, else the one the desk gave the source."""
    # Snapshots taken before languages were recorded have none: their text tells.
    return snapshot.language or languages.declared(source_language) or languages.detect(snapshot.main_text)


def _add_context(quote: Quote, snapshot: Snapshot, location: quotes.Location) -> None:
    """Give a quote imported with only its exact words the context it was found in (never its words)."""
    assert location.start is not None and location.end is not None
    text = snapshot.main_text if location.searched_in != "full" else snapshot.full_text
    selector = quotes.build_selector(text, location.start, location.end, Quote.CONTEXT_LENGTH)
    quote.prefix, quote.suffix = selector.prefix[:200], selector.suffix[:200]
    if location.searched_in != "full":
        quote.start, quote.end = location.start, location.end
    quote.snapshot = snapshot


# --- a quote captured between checks ------------------------------------------------------------

# What locating a quote outside a check writes on it: `Quote.PIPELINE_FIELDS` (by column), less the
# flag that only a confirming re-check changes.
LOCATED_FIELDS = ["status", "last_check_id", "prefix", "suffix", "start", "end", "snapshot_id"]


def locate_in_current_snapshot(quote: Quote) -> QuoteCheck | None:
    """Locate a quote in the copy of its source we hold now, and record what was found as a check does.

    For a quote captured after the source's last fetch (perhaps from an older copy, which the current
    one may show edited or without the passage) or imported: its status says at once what readers
    will see, instead of "not yet checked" until the next re-check. No network: only the stored
    snapshot is read, so a request may call it. Nothing is announced (`articles.signals`): a first
    location is not a change, and a re-check still confirms any before disputes are flagged.

    The check belongs to the latest fetch that brought the current snapshot, since a QuoteCheck is a
    search of the text a fetch brought back; making up a Fetch would show readers a visit to the site
    that never happened. A snapshot held without a fetch (test and demo data) gets the status alone.

    Safe on any quote and idempotent: a quote located already keeps its status (a check that changes
    the current snapshot locates every quote again, so that status is this copy's), and a source with
    no snapshot, or a copy with no text, leaves it as it is. Returns the check recorded, or None.
    """
    with transaction.atomic():
        # Lock the quote row (not its source's): of two calls at once, the second finds it located.
        status, current_id = (
            Quote.objects.select_for_update(of=("self",))
            .filter(pk=quote.pk)
            .values_list("status", "source__current_snapshot_id")
            .get()
        )
        quote.status = status
        if status != Quote.Status.NOT_CHECKED or current_id is None:
            return None
        snapshot = (
            Snapshot.objects.only("main_text", "full_text", "language", "source__language")
            .select_related("source")
            .get(pk=current_id)
        )
        previous_text = None
        if quote.snapshot_id is not None and quote.snapshot_id != current_id:
            # The text it was captured from tells a removed passage from a page rewritten wholesale.
            previous_text = Snapshot.objects.filter(pk=quote.snapshot_id).values_list("main_text", flat=True).get()
        check = _locate(
            quote,
            snapshot,
            previous_text=previous_text,
            now=timezone.now(),
            language=_language(snapshot, snapshot.source.language),
        )
        if check.status == Quote.Status.NOT_CHECKED:
            return None
        fetch = Fetch.objects.filter(snapshot_id=current_id).order_by("-started_at", "-pk").only("pk").first()
        if fetch is not None:
            check.fetch = fetch
            check.save(force_insert=True)
            quote.last_check = check
        Quote.objects.filter(pk=quote.pk).update(**{name: getattr(quote, name) for name in LOCATED_FIELDS})
        return check if fetch is not None else None


@dataclass
class Confirmation:
    pending: dict[str, Any]
    flagged_liveness: str
    announce_liveness: str = ""
    announce_quotes: list[int] = field(default_factory=list)
    flagged_statuses: dict[int, str] = field(default_factory=dict)


def confirm(
    *,
    pending: dict[str, Any],
    liveness_before: str,
    liveness_after: str,
    flagged_liveness: str,
    observed: dict[int, str | None],
    flagged_statuses: dict[int, str],
    may_suspect: bool,
) -> Confirmation:
    """Decide what this check suspects, confirms or clears (pure: see the module docstring)."""
    pending_quotes: dict[str, str] = dict(pending.get("quotes", {}))
    pending_liveness: str = pending.get("liveness", "")
    result = Confirmation(pending={}, flagged_liveness=flagged_liveness)

    if liveness_after in liveness.FLAGGED and liveness_after != flagged_liveness:
        if liveness_before == liveness.UNKNOWN and liveness_after == liveness.MOVED:
            result.flagged_liveness = liveness.MOVED  # the address an editor pasted redirects: not news
            pending_liveness = ""
        elif pending_liveness == liveness_after:
            result.announce_liveness = result.flagged_liveness = liveness_after
            pending_liveness = ""
        else:
            pending_liveness = liveness_after
    elif liveness_after in liveness.INCONCLUSIVE:
        pass
    else:
        pending_liveness = ""
        if liveness_after == liveness.ALIVE:
            result.flagged_liveness = ""

    new_pending_quotes: dict[str, str] = {}
    for quote_id, status in observed.items():
        key = str(quote_id)
        flagged = flagged_statuses.get(quote_id, "")
        if status is None:
            if key in pending_quotes:
                new_pending_quotes[key] = pending_quotes[key]
        elif status in Quote.FLAGGED_STATUSES:
            if status == flagged:
                continue
            if key in pending_quotes:
                result.announce_quotes.append(quote_id)
                result.flagged_statuses[quote_id] = status
            elif may_suspect:
                new_pending_quotes[key] = status
        elif flagged:
            result.flagged_statuses[quote_id] = ""
    if pending_liveness:
        result.pending["liveness"] = pending_liveness
    if new_pending_quotes:
        result.pending["quotes"] = new_pending_quotes
    return result


def _record(
    source: Source,
    fetch: Fetch,
    *,
    verdict: liveness.Verdict,
    now: dt.datetime,
    page: fetching.FetchedPage | None = None,
    conditional: bool = False,
    extracted: extract.Extracted | None = None,
) -> CheckResult:
    """Work out the source's new state from this fetch and write it all in one transaction."""
    before = liveness.DeadLinkState(source.liveness, source.dead_signals, source.first_dead_signal_at)
    after = liveness.advance(before, verdict, now)
    all_quotes = list(source.quotes.all())
    before_quotes = {quote.pk: _pipeline_state(quote) for quote in all_quotes}
    checks, observed = _locate_quotes(source, fetch, all_quotes, now)
    decision = confirm(
        pending=source.pending_change or {}, liveness_before=source.liveness, liveness_after=after.liveness,
        flagged_liveness=source.flagged_liveness, observed=observed,
        flagged_statuses={q.pk: q.flagged_status for q in all_quotes},
        may_suspect=fetch.tier not in NEVER_SUSPECT_TIERS,
    )  # fmt: skip
    for quote in all_quotes:
        if quote.pk in decision.flagged_statuses:
            quote.flagged_status = decision.flagged_statuses[quote.pk]
    by_quote = {check.quote_id: check for check in checks}
    changed_quotes = [
        quote for quote in all_quotes
        if quote.pk in by_quote or before_quotes[quote.pk] != _pipeline_state(quote)
    ]  # fmt: skip

    changes: dict[str, Any] = {
        "liveness": after.liveness, "liveness_detail": after.detail[:500], "dead_signals": after.dead_signals,
        "first_dead_signal_at": after.first_dead_signal_at, "last_checked_at": now,
        "pending_change": decision.pending, "flagged_liveness": decision.flagged_liveness,
    }  # fmt: skip
    if page is not None and 200 <= page.status < 300 and verdict.has_content:
        changes["final_url"] = page.final_url[:2000]
        changes["etag"], changes["last_modified"] = (
            page.headers.get("etag", "")[:500],
            page.headers.get("last-modified", "")[:100],
        )
        if not conditional:
            changes["last_unconditional_at"] = now
    if fetch.snapshot is not None and fetch.tier in CONTENT_TIERS:
        changes["current_snapshot"] = fetch.snapshot
    if fetch.tier == Fetch.Tier.CHANGED:
        changes["last_changed_at"] = now
    if extracted is not None and fetch.tier in CONTENT_TIERS:
        if not source.title and extracted.title:
            changes["title"] = extracted.title[:500]
        if extracted.date_modified:
            changes["modified_at"] = extracted.date_modified
    failed = verdict.signal in {liveness.STRONG, liveness.WEAK} or (
        verdict.liveness in liveness.INCONCLUSIVE and verdict.liveness != liveness.ROBOTS_DISALLOWED
    )
    changes["failures"] = source.failures + 1 if failed else 0
    changes["next_check_at"] = now + _next_interval(source, decision, verdict, after, changes, now)

    fetch_record = _save(
        source, fetch, snapshot=fetch.snapshot, checks=checks, quotes=changed_quotes, changes=changes,
        announce_liveness=decision.announce_liveness,
        # A confirming fetch of the same text locates nothing anew: the words that changed are in
        # the check that first found the change, which the reason quotes ("“nicht” was added").
        announce_quotes=_with_checks(
            [q for q in all_quotes if q.pk in decision.announce_quotes], by_quote
        ),
    )  # fmt: skip
    return CheckResult(source, fetch_record.state, fetch_record.fetch, checks if fetch_record.fetch else [])


def _pipeline_state(quote: Quote) -> tuple[Any, ...]:
    return tuple(getattr(quote, name if name not in {"last_check", "snapshot"} else f"{name}_id")
                 for name in Quote.PIPELINE_FIELDS)  # fmt: skip


def _next_interval(
    source: Source,
    decision: Confirmation,
    verdict: liveness.Verdict,
    after: liveness.DeadLinkState,
    changes: dict[str, Any],
    now: dt.datetime,
) -> dt.timedelta:
    if decision.pending:
        return scheduling.confirm_interval()
    if verdict.liveness == liveness.RATE_LIMITED and verdict.retry_after:
        return scheduling.retry_after_interval(verdict.retry_after)
    routine = scheduling.next_interval(
        added_at=source.added_at, last_changed_at=changes.get("last_changed_at", source.last_changed_at), now=now
    )
    if changes["failures"] and after.liveness != liveness.DEAD:
        return scheduling.failure_interval(changes["failures"])
    return routine


def _save(
    source: Source,
    fetch: Fetch,
    *,
    changes: dict[str, Any],
    snapshot: Snapshot | None = None,
    checks: Iterable[QuoteCheck] = (),
    quotes: list[Quote] | None = None,
    announce_liveness: str = "",
    announce_quotes: list[tuple[Quote, QuoteCheck | None]] | None = None,
) -> CheckResult:
    try:
        source.record_check(
            fetch=fetch, snapshot=snapshot, quote_checks=list(checks), quotes=quotes or [], changes=changes,
            announce_liveness=announce_liveness, announce_quotes=announce_quotes,
        )  # fmt: skip
    except IntegrityError:
        if Fetch.objects.filter(source=source, slot=fetch.slot).exists():
            logger.info("Check of source %s for slot %s was recorded already", source.pk, fetch.slot)
            return CheckResult(source, "duplicate")
        raise
    return CheckResult(source, "checked", fetch)
