"""Published disputes for anonymous readers: the list, and one dispute with its sources.

What a reader sees of a dispute comes from its latest approved Revision (`public_revision.data`), never
from the live fields, which an editor may be changing right now. Only each source's state is read live:
watching sources is the point, and a reader should learn at once that one has gone or changed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Min
from django.db.models.fields.json import KeyTextTransform
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe
from django_htmx.http import push_url

from articles.models import Quote, Source
from disputes import caching, search
from disputes.models import Dispute, DisputeLink, DisputeQuerySet, Event, PublicFacet, Statement
from disputes.related import related_to
from disputes.source_states import SourceState, describe
from disputes.templatetags.public_pages import http_url, resolution_label

DISPUTES_PER_PAGE = 20
FACETS_SHOWN = 100
FACETS_CACHE_SECONDS = 60 * 60
READER_CACHE_SECONDS = 60
READER_STALE_SECONDS = 300  # a cache may serve the page this much longer while it asks again

GROUP_HEADINGS = {
    DisputeLink.Role.APPEARANCE: "Appearances of the claim",
    DisputeLink.Role.REBUTTAL: "Rebuttals",
    DisputeLink.Role.SUPPORT: "Supporting evidence",
    DisputeLink.Role.CONTEXT: "Context from other sources",
    DisputeLink.Role.CORRECTION: "Correction notices",
}
OTHER_HEADING = "Other statements"
# Shown side by side on wide screens: where the claim appeared, and who answered it.
SIDE_BY_SIDE = (DisputeLink.Role.APPEARANCE, DisputeLink.Role.REBUTTAL)
# The current snapshot is read for its date only; its texts stay in the database.
SNAPSHOT_TEXTS = ("current_snapshot__raw_html", "current_snapshot__main_text", "current_snapshot__full_text")

# A sentence ends at . ! or ? followed by space and something that is not a lower-case letter, so
# "U.S. officials said" stays whole.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^a-z])")


def for_readers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let shared caches keep a reader's page for a minute; never let anyone store a signed-in person's."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        else:
            patch_cache_control(
                response, public=True, max_age=READER_CACHE_SECONDS, stale_while_revalidate=READER_STALE_SECONDS
            )
        return response

    return wrapper


@require_safe
@for_readers
@caching.conditional(caching.index_validators)
def index(request: HttpRequest) -> HttpResponse:
    """List published disputes, newest first, twenty to a page; search them and filter them."""
    wanted = _wanted(request)
    disputes = Dispute.objects.public()
    for kind in (PublicFacet.Kind.SPEAKER, PublicFacet.Kind.OUTLET):
        if wanted[kind]:
            disputes = disputes.filter(facets__kind=kind, facets__key=search.fold(wanted[kind]))
    if wanted["resolution"]:
        disputes = disputes.filter(public_revision__data__resolution=wanted["resolution"])
    if wanted["changed"]:
        disputes = disputes.filter(needs_recheck=True).exclude(state=Dispute.State.WITHDRAWN)
    if wanted["q"]:
        disputes = search.search(disputes, wanted["q"])
    else:
        disputes = disputes.order_by("-published_at", "-pk")
    # Page through ids alone (no join with the revisions, however many match), then load one page's rows.
    page = Paginator(disputes.values_list("pk", flat=True), DISPUTES_PER_PAGE).get_page(request.GET.get("page"))
    rows = listed(Dispute.objects.filter(pk__in=list(page.object_list))).in_bulk()
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    speakers, outlets = _facet_choices(request)
    context = {
        "page": page,
        "wanted": wanted,
        "filtering": any(wanted.values()),
        "speakers": speakers,
        "outlets": outlets,
        "resolutions": Dispute.Resolution.choices,
    }
    # The search form asks htmx for the results alone as one types; the full page otherwise.
    template = "disputes/public/index.html#results" if getattr(request, "htmx", False) else "disputes/public/index.html"
    response = render(request, template, context)
    if getattr(request, "htmx", False):
        query = caching.clean_query(request)
        push_url(response, f"?{query}" if query else request.path)  # an address to share: no empty fields
    patch_vary_headers(response, ["HX-Request"])
    return response


def _wanted(request: HttpRequest) -> dict[str, str]:
    get = {key: value.replace("\x00", "") for key, value in request.GET.items()}  # PostgreSQL refuses NUL
    resolution = get.get("resolution", "")
    return {
        "q": " ".join(get.get("q", "").split())[:200],
        PublicFacet.Kind.SPEAKER: get.get("speaker", "").strip()[:300],
        PublicFacet.Kind.OUTLET: get.get("outlet", "").strip()[:300],
        "resolution": resolution if resolution in Dispute.Resolution.values else "",
        "changed": "1" if get.get("changed") else "",
    }


def _facet_choices(request: HttpRequest) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The speakers and the outlets of disputes readers can see, the most disputed first.

    Kept in the cache under the public stamp (see `caching.public_stamp`), which moves whenever a
    dispute is published, withdrawn or changed: the lists are rebuilt only when they could differ.
    """
    stamp = caching.public_stamp(request)
    latest = stamp["latest"].isoformat() if stamp["latest"] else ""
    key = f"public-facets:{caching.release()}:{stamp['count']}:{stamp['revisions']}:{stamp['withdrawn']}:{latest}"
    choices = cache.get(key)
    if choices is None:
        shown = Dispute.objects.public().exclude(state=Dispute.State.WITHDRAWN).values("pk")
        choices = tuple(
            list(
                PublicFacet.objects.filter(kind=kind, dispute__in=shown)
                .values("key")
                .annotate(label=Min("label"), disputes=Count("dispute_id", distinct=True))
                .order_by("-disputes", "label")[:FACETS_SHOWN]
            )
            for kind in (PublicFacet.Kind.SPEAKER, PublicFacet.Kind.OUTLET)
        )
        cache.set(key, choices, FACETS_CACHE_SECONDS)
    return choices


@require_safe
@for_readers
@caching.conditional(caching.dispute_validators)
def dispute_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a published dispute as last approved, its sources as they stand now, and its public history."""
    dispute = get_object_or_404(Dispute.objects.public().select_related("public_revision"), slug=slug)
    revision = dispute.public_revision
    assert revision is not None  # public() guarantees it
    cards = cards_for(revision.data)
    page_url = settings.SITE_URL + dispute.get_absolute_url()
    withdrawn = dispute.state == Dispute.State.WITHDRAWN
    context = {
        "dispute": dispute,
        "revision": revision,
        "data": revision.data,
        "resolution": resolution_label(revision.data.get("resolution")),
        "description": first_sentence(revision.data.get("summary", "")),
        "groups": grouped(cards),
        "timeline": Event.objects.filter(dispute=dispute, public=True).order_by("created_at", "pk"),
        "public_notes": Event.PUBLIC_NOTES,
        "page_url": page_url,
        "withdrawn": withdrawn,
        "related": related_to(dispute, revision.data),
        "link_sources": True,  # every source of a public dispute has a public page; a preview's may not
        # A withdrawn dispute stays readable, but is no longer offered to aggregators as a review.
        "claim_review": None if withdrawn else claim_review(dispute, revision.data, cards, page_url),
    }
    return render(request, "disputes/public/dispute.html", context)


# --- what the pages show -------------------------------------------------------------------------


def listed(disputes: DisputeQuerySet) -> DisputeQuerySet:
    """Add what the list shows from each approved revision, without loading the rest of it."""
    return disputes.only("slug", "state", "needs_recheck", "published_at").annotate(
        public_claim=KeyTextTransform("claim_text", "public_revision__data"),
        public_resolution=KeyTextTransform("resolution", "public_revision__data"),
        public_summary=KeyTextTransform("summary", "public_revision__data"),
    )


@dataclass(frozen=True)
class Card:
    """One cited statement as the approved revision froze it, with its source's live row."""

    role: str
    quote: str
    speaker: dict[str, str] | None
    attribution: str
    outlet: str
    outlet_homepage: str
    title: str
    byline: str
    language: str  # the language tag the source was approved with, for the quote's `lang`
    url: str  # only ever an http(s) address, or empty
    date: dt.date | None
    note: str
    source: Source | None
    state: SourceState | None = None  # the source's state in words, with what became of the quoted words

    @classmethod
    def from_frozen(cls, link: dict[str, Any], source: Source | None, quote: Quote | None = None) -> Card:
        """Build a card from one link of `Revision.data` (see `DisputeLink.frozen`)."""
        frozen_source = link.get("source") or {}
        return cls(
            role=link.get("role", ""),
            quote=(link.get("quote") or {}).get("exact", ""),
            speaker=link.get("speaker"),
            attribution=link.get("attribution", ""),
            outlet=frozen_source.get("outlet", ""),
            outlet_homepage=http_url(frozen_source.get("outlet_homepage")),
            title=frozen_source.get("title", ""),
            byline=frozen_source.get("byline", ""),
            language=frozen_source.get("language", ""),
            url=http_url(frozen_source.get("url")),
            date=_statement_date(link.get("stated_on"), frozen_source.get("published_at")),
            note=link.get("note", ""),
            source=source,
            state=describe(source, quote) if source else None,
        )

    @property
    def role_label(self) -> str:
        return str(DisputeLink.Role(self.role).label) if self.role in DisputeLink.Role.values else "Statement"

    @property
    def who(self) -> str:
        """Name the speaker; else the outlet, for its own reporting; else the attribution ("Anonymous sources")."""
        if self.speaker:
            return self.speaker["name"]
        if self.attribution == Statement.Attribution.OUTLET_REPORTING and self.outlet:
            return self.outlet
        return self.attribution_label

    @property
    def who_detail(self) -> str:
        """Give the speaker's role and organisation, e.g. "spokesperson, Foreign ministry"."""
        if not self.speaker:
            return ""
        parts = [self.speaker.get("role"), self.speaker.get("organisation")]
        if self.attribution == Statement.Attribution.ANONYMOUS_OFFICIALS:
            parts.append("citing unnamed sources")  # "The Washington Post, citing unnamed sources"
        return ", ".join(part for part in parts if part)

    @property
    def attribution_label(self) -> str:
        if self.attribution in Statement.Attribution.values:
            return str(Statement.Attribution(self.attribution).label)
        return "Unattributed"

    @property
    def attribution_note(self) -> str:
        """Say how the words are reported, unless it is plain from `who` (a direct quote, anonymous sources)."""
        if self.speaker and self.attribution != Statement.Attribution.DIRECT_QUOTE:
            return self.attribution_label
        if not self.speaker and self.who == self.outlet:
            return self.attribution_label
        return ""


@dataclass(frozen=True)
class Group:
    heading: str
    role: str
    cards: list[Card]

    @property
    def side(self) -> bool:
        """Say whether the group is one of the two columns: appearances beside rebuttals."""
        return self.role in SIDE_BY_SIDE


def cards_for(data: dict[str, Any]) -> list[Card]:
    """Turn a revision's links into cards, loading every cited source, and every cited quote, in one query."""
    links = data.get("links", [])
    sources = (
        Source.objects.select_related("current_snapshot")
        .defer(*SNAPSHOT_TEXTS)
        .in_bulk({link["source"]["id"] for link in links})
    )
    quote_ids = {link["quote"]["id"] for link in links if (link.get("quote") or {}).get("id")}
    quotes = Quote.objects.only("status", "source_id").in_bulk(quote_ids) if quote_ids else {}
    return [
        Card.from_frozen(link, sources.get(link["source"]["id"]), quotes.get((link.get("quote") or {}).get("id")))
        for link in links
    ]


def grouped(cards: list[Card]) -> list[Group]:
    """Group cards by role, appearances first, then rebuttals, then the rest; keep the editors' order within."""
    by_role: dict[str, list[Card]] = {}
    for card in cards:
        by_role.setdefault(card.role, []).append(card)
    order = list(GROUP_HEADINGS)
    roles = sorted(by_role, key=lambda role: order.index(role) if role in order else len(order))
    return [Group(GROUP_HEADINGS.get(role, OTHER_HEADING), role, by_role[role]) for role in roles]


def first_sentence(text: str) -> str:
    """Return the first sentence of a text, with its whitespace collapsed."""
    text = " ".join(text.split())
    return _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""


def _statement_date(stated_on: str | None, published_at: str | None) -> dt.date | None:
    """Date a statement: when it was said, else when its source was published (in the newsroom's zone)."""
    if stated_on:
        return dt.date.fromisoformat(stated_on)
    if published_at:
        moment = dt.datetime.fromisoformat(published_at)
        return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    return None


# --- ClaimReview (schema.org) --------------------------------------------------------------------


def claim_review(dispute: Dispute, data: dict[str, Any], cards: list[Card], page_url: str) -> dict[str, Any]:
    """Describe the dispute as a schema.org ClaimReview (reference/fact-check-systems.md §3)."""
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": resolution_label(data.get("resolution"))}
    explanation = first_sentence(data.get("summary", ""))
    if explanation:
        rating["ratingExplanation"] = explanation
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": page_url,
        "claimReviewed": data.get("claim_text", ""),
        "itemReviewed": _claim(cards),
        "reviewRating": rating,
        "author": {"@type": "Organization", "name": settings.SITE_NAME, "url": settings.SITE_URL + "/"},
    }
    if dispute.published_at:
        review["datePublished"] = timezone.localdate(dispute.published_at).isoformat()
    return review


def _claim(cards: list[Card]) -> dict[str, Any]:
    """Describe the claim: who made it, and every place it appeared, the earliest first."""
    claim: dict[str, Any] = {"@type": "Claim"}
    # sorted() is stable, so appearances on the same day keep the editors' order.
    appearances = sorted(
        (card for card in cards if card.role == DisputeLink.Role.APPEARANCE),
        key=lambda card: (card.date is None, card.date or dt.date.min),
    )
    if not appearances:
        return claim
    first = appearances[0]
    author = _claim_author(first)
    if author:
        claim["author"] = author
    claim["appearance"] = [_creative_work(card) for card in appearances]
    claim["firstAppearance"] = _creative_work(first)
    if first.date:
        claim["datePublished"] = first.date.isoformat()
    return claim


def _claim_author(card: Card) -> dict[str, Any] | None:
    """Name who made the claim: the speaker if named, otherwise the outlet that reported it."""
    if card.speaker:
        is_organisation = card.speaker.get("kind") == "organisation"
        author: dict[str, Any] = {
            "@type": "Organization" if is_organisation else "Person",
            "name": card.speaker["name"],
        }
        if card.speaker.get("role") and not is_organisation:
            author["jobTitle"] = card.speaker["role"]
        if card.speaker.get("organisation"):
            key = "parentOrganization" if is_organisation else "affiliation"
            author[key] = {"@type": "Organization", "name": card.speaker["organisation"]}
        if card.speaker.get("wikidata_qid"):
            author["sameAs"] = f"https://www.wikidata.org/wiki/{card.speaker['wikidata_qid']}"
        return author
    if card.outlet:
        author = {"@type": "Organization", "name": card.outlet}
        if card.outlet_homepage:
            author["url"] = card.outlet_homepage
        return author
    return None


def _creative_work(card: Card) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork"}
    if card.url:
        work["url"] = card.url
    if card.title:
        work["headline"] = card.title
    if card.outlet:
        work["publisher"] = {"@type": "Organization", "name": card.outlet}
    if card.date:
        work["datePublished"] = card.date.isoformat()
    return work
