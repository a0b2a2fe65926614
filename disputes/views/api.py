"""Open data: the read-only JSON API, its OpenAPI schema, the ClaimReview feed and the bulk files.

Everything here is the same for everyone, so every answer may be kept by shared caches and read from
any origin (CORS `*`); none reads the session, so none sets a cookie or varies on one. The records
come from disputes.records; their shapes are documented in disputes/openapi.yaml and docs/open-data.md.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import re
from collections.abc import Callable
from functools import cache, wraps
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, Q
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

from disputes import exports, records
from disputes.models import Dispute
from disputes.views.public import Card, claim_review, listed

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"

# With <, > and & escaped, no string in our JSON can be read as markup, even by a browser that sniffs.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


class _Encoder(DjangoJSONEncoder):
    def encode(self, o: Any) -> str:
        return super().encode(o).translate(_JSON_ESCAPES)


def open_data(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let anyone cache the answer for a minute (and serve it stale while refreshing), from any origin."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = CACHE_CONTROL
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


def data_response(data: Any, *, content_type: str = "application/json") -> JsonResponse:
    return JsonResponse(data, encoder=_Encoder, safe=False, content_type=content_type)


def problem(status: int, detail: str, **extra: Any) -> JsonResponse:
    """Answer an error as RFC 9457 problem details: the status, its phrase and what to do about it."""
    body = {"title": HTTPStatus(status).phrase, "status": status, "detail": detail, **extra}
    return JsonResponse(body, encoder=_Encoder, status=status, content_type="application/problem+json")


class BadParameter(ValueError):
    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail)
        self.parameter, self.detail = parameter, detail


# --- disputes ------------------------------------------------------------------------------------


@require_safe
@open_data
def dispute_list(request: HttpRequest) -> HttpResponse:
    """List published disputes, newest first, a page at a time; `next` continues after the last one."""
    try:
        size = _page_size(request.GET.get("page_size"))
        after = _decode_cursor(request.GET["cursor"]) if "cursor" in request.GET else None
    except BadParameter as exc:
        return problem(400, exc.detail, parameter=exc.parameter)
    # Every public dispute has a first publication time; one without would have no place in the order.
    disputes = listed(Dispute.objects.public().filter(published_at__isnull=False)).annotate(
        last_approved_at=F("public_revision__created_at")
    )
    if after is not None:
        published_at, pk = after
        disputes = disputes.filter(Q(published_at__lt=published_at) | Q(published_at=published_at, pk__lt=pk))
    # One row more than the page: whether it exists says whether there is a next page.
    rows = list(disputes.order_by("-published_at", "-pk")[: size + 1])
    page, more = rows[:size], len(rows) > size
    next_url = None
    if more:
        query = {"cursor": _encode_cursor(page[-1].published_at, page[-1].pk)}  # type: ignore[arg-type]
        if "page_size" in request.GET:
            query["page_size"] = str(size)
        next_url = records.absolute(reverse("api:dispute-list")) + "?" + urlencode(query)
    return data_response({"results": [records.dispute_summary(d) for d in page], "next": next_url, "page_size": size})


@require_safe
@open_data
def dispute_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Give one published dispute as last approved, with its sources' state now and its public history."""
    dispute = Dispute.objects.public().select_related("public_revision").filter(slug=slug).first()
    if dispute is None:
        return problem(404, f"No published dispute has the address “{slug}”.")
    return data_response(records.dispute_details([dispute])[0])


@require_safe
@open_data
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a source cited by a published dispute: its state, its versions and the passages cited from it."""
    record = records.source_record(pk)
    if record is None:
        return problem(404, f"No published dispute cites a source numbered {pk}.")
    return data_response(record)


@require_safe
@open_data
def claim_review_feed(request: HttpRequest) -> HttpResponse:
    """List every published dispute that stands (not withdrawn) as schema.org ClaimReview, in one DataFeed."""
    disputes = (
        Dispute.objects.public()
        .exclude(state=Dispute.State.WITHDRAWN)
        .select_related("public_revision")
        .only("slug", "published_at", "public_revision__data", "public_revision__created_at")
        .order_by("-published_at", "-pk")
    )
    reviews, modified = [], None
    for dispute in disputes:
        revision = dispute.public_revision
        assert revision is not None  # public() guarantees it
        # The sources' live rows are not part of a ClaimReview: cards without them cost no query.
        cards = [Card.from_frozen(link, None) for link in revision.data.get("links", [])]
        review = claim_review(dispute, revision.data, cards, records.absolute(dispute.get_absolute_url()))
        review.pop("@context", None)  # the feed's own context covers it
        reviews.append(review)
        modified = max(modified or revision.created_at, revision.created_at)
    feed: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "name": f"{settings.SITE_NAME}: disputed claims as ClaimReview",
        "url": records.absolute(reverse("api:claim-review-feed")),
        "dataFeedElement": reviews,
    }
    if modified:
        feed["dateModified"] = modified
    return data_response(feed, content_type="application/ld+json")


@require_safe
@open_data
def schema(request: HttpRequest) -> HttpResponse:
    """Serve the OpenAPI 3.1 description of this API, as written by hand in disputes/openapi.yaml."""
    return HttpResponse(_schema_text(), content_type="application/vnd.oai.openapi; charset=utf-8")


@cache
def _schema_text() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


# --- the bulk files --------------------------------------------------------------------------------


@require_safe
@open_data
def export_file(request: HttpRequest, kind: str) -> HttpResponse:
    """Serve the latest bulk file of published disputes as a download, or say it is not written yet."""
    path = exports.path(kind)
    try:
        # Open before looking at the date: a file replaced meanwhile is either wholly old or wholly new.
        handle = path.open("rb")
    except FileNotFoundError:
        return problem(
            503,
            "This file has not been generated yet. It is written every hour by the export task "
            "(or by `manage.py export_open_data`); try again later.",
        )
    modified = os.fstat(handle.fileno()).st_mtime
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), int(modified)):
        handle.close()
        return HttpResponseNotModified()
    response = FileResponse(handle, as_attachment=True, filename=path.name, content_type=exports.CONTENT_TYPES[kind])
    response["Last-Modified"] = http_date(modified)
    return response


# --- parameters ------------------------------------------------------------------------------------


def _page_size(value: str | None) -> int:
    """Read the page size: a whole number from 1; larger than the maximum gives the maximum."""
    if value is None:
        return PAGE_SIZE
    if not re.fullmatch(r"[0-9]{1,18}", value) or int(value) < 1:
        raise BadParameter("page_size", f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}, not “{value}”.")
    return min(int(value), MAX_PAGE_SIZE)


def _encode_cursor(published_at: dt.datetime, pk: int) -> str:
    """Say where a page ended, opaquely: the last dispute's publication time and id."""
    raw = json.dumps([published_at.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(value: str) -> tuple[dt.datetime, int]:
    invalid = BadParameter(
        "cursor", "This cursor is not one this API gave out. Use the `next` address of a page, or start again."
    )
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        published_at, pk = json.loads(raw)
        moment = dt.datetime.fromisoformat(published_at)
    except (binascii.Error, ValueError, TypeError):
        raise invalid from None
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk < 2**63 or moment.tzinfo is None:
        raise invalid
    try:
        moment.astimezone(dt.UTC)  # a date at the edge of the calendar cannot be compared in UTC
    except OverflowError:
        raise invalid from None
    return moment, pk
