"""A cited source for readers: how it stands, who cites it, every version we hold and how they differ, its checks.

Only a source that the approved revision of a public dispute cites has a page here; any other is not
ours to show (a draft's sources stay on the desk), and answers 404. What readers see of the disputes
and of their quotes comes from those revisions. Our copies are shown as the text we extracted, never as
the publisher's HTML: `Snapshot.raw_html` is not even read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from articles.comparing import compare
from articles.marking import mark_text
from articles.models import Fetch, Quote, Source
from disputes import caching
from disputes.models import Dispute, frozen_moment
from disputes.records import approved_source
from disputes.related import citing
from disputes.source_states import describe, describe_fetch, status_words
from disputes.templatetags.public_pages import resolution_label

from .public import Card, for_readers

FETCHES_READ = 200  # the latest checks, folded into runs of the same answer


@dataclass(frozen=True)
class Passage:
    """A statement quoted from the source, as the approved revision froze it, and its quote's live row."""

    card: Card
    quote: Quote | None

    @property
    def status(self) -> str:
        """Say where the quoted words stand in our latest copy ("Present as captured", "Reworded")."""
        return self.quote.get_status_display() if self.quote else ""  # type: ignore[attr-defined]

    @property
    def now_reads(self) -> str:
        """Give the words the article has now in the passage's place, when they differ from the quote."""
        check = self.quote.last_check if self.quote and self.quote.last_check_id else None
        # Only a passage found edited has new wording; an uncertain place is not the quote's words.
        if self.quote is None or self.quote.status not in (Quote.Status.EDITED, Quote.Status.EDITED_SUBSTANTIVE):
            return ""
        if check is None or not check.matched_text or check.matched_text == self.card.quote:
            return ""
        return check.matched_text


@dataclass(frozen=True)
class Citation:
    """A public dispute citing the source, with the statements it quotes from it."""

    dispute: Dispute
    claim: str
    resolution: str
    passages: list[Passage]

    @property
    def withdrawn(self) -> bool:
        return self.dispute.state == Dispute.State.WITHDRAWN


@dataclass(frozen=True)
class Run:
    """Consecutive checks that found the same thing; `first` and `last` are when the run began and ended."""

    first: dt.datetime
    last: dt.datetime
    found: str
    answer: str
    count: int


@require_safe
@for_readers
@caching.conditional(caching.source_validators)
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a cited source: its state, the disputes citing it, its versions and a word diff, its text, its checks."""
    disputes = citing(pk)
    if not disputes:
        raise Http404("No published dispute cites this source.")
    source = get_object_or_404(
        Source.objects.select_related("current_snapshot").defer(
            "current_snapshot__raw_html", "current_snapshot__full_text"
        ),
        pk=pk,
    )
    links = [
        (dispute, link) for dispute in disputes for link in dispute.public_revision.data.get("links", [])  # type: ignore[union-attr]
        if link["source"]["id"] == pk
    ]  # fmt: skip
    quote_ids = {link["quote"]["id"] for _, link in links if (link.get("quote") or {}).get("id")}
    quotes = (
        Quote.objects.select_related("last_check")
        .only("status", "source_id", "last_check__matched_text")
        .in_bulk(quote_ids)
    )
    passages = [link["quote"]["exact"] for _, link in links] + [
        quote.last_check.matched_text for quote in quotes.values() if quote.last_check_id and quote.last_check
    ]
    snapshots = list(
        source.snapshots.only("pk", "source_id", "captured_at", "correction_notices").order_by("-captured_at", "-pk")
    )
    current = source.current_snapshot
    details = approved_source(disputes, pk)  # as last approved in a dispute citing it, never the live row
    context = {
        "source": source,
        "details": details,
        "published_at": frozen_moment(details.get("published_at")),
        "state": describe(source),
        "citations": _citations(disputes, links, source, quotes),
        "snapshots": snapshots,
        "diff": compare(snapshots, request.GET.get("from"), request.GET.get("to"), passages),
        "text_pieces": mark_text(current.main_text, passages) if current else [],
        "runs": runs(
            source.fetches.exclude(outcome="")
            .only("source_id", "started_at", "status_code", "outcome", "verdict", "tier")
            .order_by("-started_at", "-pk")[:FETCHES_READ]
        ),
        "page_url": settings.SITE_URL + reverse("disputes:source-detail", args=[pk]),
    }
    return render(request, "disputes/public/source.html", context)


def _citations(
    disputes: list[Dispute], links: list[tuple[Dispute, dict]], source: Source, quotes: dict[int, Quote]
) -> list[Citation]:
    by_dispute: dict[int, list[Passage]] = {}
    for dispute, link in links:
        quote = quotes.get((link.get("quote") or {}).get("id"))
        by_dispute.setdefault(dispute.pk, []).append(Passage(Card.from_frozen(link, source, quote), quote))
    return [
        Citation(
            dispute=dispute,
            claim=dispute.public_revision.data.get("claim_text", ""),  # type: ignore[union-attr]
            resolution=resolution_label(dispute.public_revision.data.get("resolution")),  # type: ignore[union-attr]
            passages=by_dispute[dispute.pk],
        )
        for dispute in disputes
    ]


def runs(fetches: Iterable[Fetch]) -> list[Run]:
    """Fold checks (newest first) into runs that found the same thing with the same answer, newest first."""
    folded: list[Run] = []
    for fetch in fetches:
        found, answer = describe_fetch(fetch), _answer(fetch)
        if folded and (folded[-1].found, folded[-1].answer) == (found, answer):
            run = folded[-1]
            folded[-1] = Run(fetch.started_at, run.last, found, answer, run.count + 1)
        else:
            folded.append(Run(fetch.started_at, fetch.started_at, found, answer, 1))
    return folded


def _answer(fetch: Fetch) -> str:
    if fetch.verdict == Source.Liveness.ROBOTS_DISALLOWED:
        return "Not asked"
    return status_words(fetch.status_code)
