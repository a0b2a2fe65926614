"""Cache validators for readers' pages: an ETag that changes exactly when what a page shows would.

A reader's browser or a shared cache keeps a public page for a minute, may serve it stale for five
more while it revalidates, and then asks again with `If-None-Match`. The answer is a 304 computed from
at most two small queries and no template rendering:

- the index (and its searches): one aggregate over public disputes — their number, the latest
  `public_changed_at`, which every change readers can see moves (see `Dispute`), and sums of what the
  list shows (approved revisions, flags, withdrawals), plus the query string;
- a dispute page: the dispute's row and its approved revision, then the cited quotes with their
  sources, described exactly as the page describes them (`disputes.source_states.describe`);
- a source page: the source's row with its latest version and check, then the public disputes citing
  it (through their source facets) with their stamps.

Validators read public data only (approved revisions, the public stamps, monitoring state): an editor
working on a new revision of a published dispute, or changing a source's details before a reviewer
approves them, moves no reader's ETag.

Every validator also carries the release: a hash of the templates and the stylesheet, so that a
deploy that changes how pages look is not hidden behind old ETags.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from functools import cache, wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag, urlencode

from articles.models import Fetch, Quote, Snapshot, Source
from disputes.models import Dispute, PublicFacet
from disputes.source_states import describe

Validators = tuple[str, dt.datetime | None] | None
ValidatorFunc = Callable[..., Validators]


@cache
def release() -> str:
    """Hash what shapes a page other than data: templates, static files, code, time zone (computed once)."""
    digest = hashlib.sha256(settings.TIME_ZONE.encode())  # times on pages are shown in this zone
    root = Path(settings.BASE_DIR)
    # Wording lives in code too (headings, the history's words, source states): hash it with the pages.
    files = [*(root / "templates").rglob("*"), *(root / "static").rglob("*")]
    files += [path for folder in ("articles", "disputes", "config") for path in (root / folder).rglob("*.py")]
    for path in sorted(files):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def etag_of(parts: Iterable[Any]) -> str:
    digest = hashlib.sha256(release().encode())
    for part in parts:
        digest.update(b"\x1f" + repr(part).encode())
    return quote_etag(digest.hexdigest()[:32])


def conditional(validators: ValidatorFunc) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Answer a revalidation with 304 when the page would not change; else render it with its validators.

    Signed-in people get private pages (see `public.for_readers`): no validators, always rendered.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
                return view(request, *args, **kwargs)
            found = validators(request, *args, **kwargs)
            if found is None:  # nothing there: let the view say so (404)
                return view(request, *args, **kwargs)
            etag, last_modified = found
            timestamp = int(last_modified.timestamp()) if last_modified else None
            response = get_conditional_response(request, etag=etag, last_modified=timestamp)
            if response is None:
                response = view(request, *args, **kwargs)
            if response.status_code in (200, 304):
                response["ETag"] = etag
                if timestamp is not None:
                    response["Last-Modified"] = http_date(timestamp)
            return response

        return wrapper

    return decorator


def clean_query(request: HttpRequest) -> str:
    """The query string without empty fields, in a stable order: one address (and ETag) per search."""
    return urlencode(sorted((key, value) for key, value in request.GET.items() if value.strip()))


def public_stamp(request: HttpRequest) -> dict[str, Any]:
    """How many disputes readers can see, and when any of them last changed: one query per request."""
    if not hasattr(request, "_public_stamp"):
        # The sums move with every change the list shows — a new approved revision (a higher id), a
        # flag raised or cleared, a withdrawal — even when a transaction that began earlier commits a
        # smaller public_changed_at than the latest one. Private work (a draft of a new revision, its
        # version bumps) moves none of them.
        stamp = Dispute.objects.public().aggregate(
            latest=Max("public_changed_at"),
            count=Count("pk"),
            revisions=Sum("public_revision_id"),
            flagged=Count("pk", filter=Q(needs_recheck=True)),
            withdrawn=Count("pk", filter=Q(state=Dispute.State.WITHDRAWN)),
        )
        request._public_stamp = stamp  # type: ignore[attr-defined]
    return request._public_stamp  # type: ignore[attr-defined,no-any-return]


def index_validators(request: HttpRequest) -> Validators:
    """The list changes when any public dispute changes in a way readers see, or one is added."""
    stamp = public_stamp(request)
    htmx = request.headers.get("HX-Request") == "true"
    shown = (stamp["count"], stamp["revisions"], stamp["flagged"], stamp["withdrawn"], stamp["latest"])
    parts = ("index", *shown, clean_query(request), htmx)
    return etag_of(parts), stamp["latest"]


def dispute_validators(request: HttpRequest, slug: str) -> Validators:
    """A dispute page changes with the dispute (its stamp) and with the state of each cited source."""
    dispute = (
        Dispute.objects.public()
        .filter(slug=slug)
        .values("pk", "public_changed_at", "public_revision_id", "public_revision__created_at", "public_revision__data")
        .first()
    )
    if dispute is None:
        return None
    links = (dispute["public_revision__data"] or {}).get("links", [])
    quote_ids = {(link.get("quote") or {}).get("id") for link in links} - {None}
    described = [  # exactly what describe() reads
        "pk", "status", "source__id", "source__liveness", "source__last_checked_at", "source__last_changed_at",
        "source__first_dead_signal_at", "source__current_snapshot__captured_at",
    ]  # fmt: skip
    quotes = (
        Quote.objects.filter(pk__in=quote_ids)
        .select_related("source__current_snapshot")
        .only(*described)
        .order_by("pk")
    )
    states = [(quote.pk, describe(quote.source, quote)) for quote in quotes]
    # Last-Modified errs late: any check of a cited source counts, so If-Modified-Since never misses a change.
    moments = [
        dispute["public_changed_at"],
        dispute["public_revision__created_at"],
        *(quote.source.last_checked_at for quote in quotes),
    ]
    last_modified = max((moment for moment in moments if moment), default=None)
    parts = ("dispute", dispute["pk"], dispute["public_changed_at"], dispute["public_revision_id"], states)
    return etag_of(parts), last_modified


# What a source page shows of the source row itself: its address and its monitoring state. Its details
# (headline, outlet, date…) come from the citing disputes' approved revisions, whose ids are below.
SOURCE_SHOWN = [
    "pk", "url", "final_url", "liveness", "last_checked_at", "last_changed_at", "first_dead_signal_at",
    "current_snapshot_id",
]  # fmt: skip


def source_validators(request: HttpRequest, pk: int) -> Validators:
    """A source page changes with the source, a new version or check of it, and the disputes citing it."""
    source = (
        Source.objects.filter(pk=pk)
        .annotate(
            latest_snapshot=Subquery(Snapshot.objects.filter(source=OuterRef("pk")).order_by("-pk").values("pk")[:1]),
            latest_fetch=Subquery(Fetch.objects.filter(source=OuterRef("pk")).order_by("-pk").values("pk")[:1]),
        )
        .values(*SOURCE_SHOWN, "latest_snapshot", "latest_fetch")
        .first()
    )
    if source is None:
        return None
    citing = list(
        Dispute.objects.public()
        .filter(facets__kind=PublicFacet.Kind.SOURCE, facets__key=str(pk))
        .order_by("pk")
        .values_list("pk", "public_changed_at", "public_revision_id")
    )
    if not citing:
        return None  # not a public page: the view answers 404
    parts = ("source", sorted(source.items()), citing, clean_query(request))
    moments = [source["last_checked_at"], source["last_changed_at"], *(stamp for _, stamp, _ in citing)]
    return etag_of(parts), max((moment for moment in moments if moment), default=None)
