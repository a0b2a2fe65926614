"""Published disputes and the sources they cite, as plain data: what the JSON API, the bulk export and
the ClaimReview feed give out (docs/open-data.md; the shapes are in disputes/openapi.yaml).

The public pages' rule holds here too (disputes/views/public.py): what a dispute says comes from its
latest approved Revision, never from the live fields an editor may be changing; only the state of each
cited source and quote is read live. Addresses pass `http_url`, so nothing but http(s) ever comes out.
Each function costs the same number of queries however many disputes, statements or sources it covers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.urls import reverse

from articles.models import Quote, Source
from disputes.models import Dispute, DisputeLink, DisputeQuerySet, Event, frozen_moment
from disputes.templatetags.public_pages import http_url, resolution_label
from disputes.views.public import Card

# The shape of a dispute record in the API and the bulk files; raise it when a field changes meaning
# or goes away (adding a field does not need a new version). docs/open-data.md keeps the history.
SCHEMA_VERSION = 1


def absolute(path: str) -> str:
    """Return the public address of a path on this site."""
    return settings.SITE_URL + path


def dispute_summary(dispute: Dispute) -> dict[str, Any]:
    """Describe a dispute for a list, from `public.listed()` and a `last_approved_at` annotation."""
    return {
        "slug": dispute.slug,
        "url": absolute(dispute.get_absolute_url()),
        "api_url": absolute(reverse("api:dispute-detail", args=[dispute.slug])),
        "claim": dispute.public_claim or "",  # type: ignore[attr-defined]
        "summary": dispute.public_summary or "",  # type: ignore[attr-defined]
        "resolution": dispute.public_resolution or "",  # type: ignore[attr-defined]
        "resolution_label": resolution_label(dispute.public_resolution),  # type: ignore[attr-defined]
        "published_at": dispute.published_at,
        "last_approved_at": dispute.last_approved_at,  # type: ignore[attr-defined]
        "withdrawn": dispute.state == Dispute.State.WITHDRAWN,
        "needs_recheck": dispute.needs_recheck,
    }


def dispute_details(disputes: Sequence[Dispute]) -> list[dict[str, Any]]:
    """Describe disputes in full, each as its approved revision has it; three queries for any number.

    The disputes come with `public_revision` loaded (select_related).
    """
    datas = [dispute.public_revision.data for dispute in disputes]  # type: ignore[union-attr]
    links = [link for data in datas for link in data.get("links", [])]
    sources = Source.objects.only("pk", "liveness", "last_checked_at", "last_changed_at", "current_snapshot_id")
    sources_by_id = sources.in_bulk({_source_id(link) for link in links} - {None})
    quotes = Quote.objects.filter(pk__in={_quote_id(link) for link in links} - {None})
    statuses = dict(quotes.values_list("pk", "status"))
    history: dict[int, list[Event]] = defaultdict(list)
    events = Event.objects.filter(dispute__in=[d.pk for d in disputes], public=True).order_by("created_at", "pk")
    for event in events:
        history[event.dispute_id].append(event)  # type: ignore[index]
    return [
        _detail(dispute, data, sources_by_id, statuses, history[dispute.pk])
        for dispute, data in zip(disputes, datas, strict=True)
    ]


def _detail(
    dispute: Dispute,
    data: dict[str, Any],
    sources: dict[int, Source],
    statuses: dict[int, str],
    events: list[Event],
) -> dict[str, Any]:
    revision = dispute.public_revision
    assert revision is not None  # callers pass public disputes only
    return {
        "schema_version": SCHEMA_VERSION,
        "slug": dispute.slug,
        "url": absolute(dispute.get_absolute_url()),
        "api_url": absolute(reverse("api:dispute-detail", args=[dispute.slug])),
        "updates_feed_url": absolute(reverse("open-data:dispute-updates-feed", args=[dispute.slug])),
        "claim": data.get("claim_text", ""),
        "summary": data.get("summary", ""),
        "context": data.get("context", ""),
        "resolution": data.get("resolution", ""),
        "resolution_label": resolution_label(data.get("resolution")),
        "published_at": dispute.published_at,
        "last_approved_at": revision.created_at,
        "withdrawn": dispute.state == Dispute.State.WITHDRAWN,
        "withdrawal_reason": dispute.withdrawal_reason if dispute.state == Dispute.State.WITHDRAWN else "",
        "needs_recheck": dispute.needs_recheck,
        "recheck_reason": dispute.recheck_reason if dispute.needs_recheck else "",
        "statements": [_statement(link, sources, statuses) for link in data.get("links", [])],
        "history": [_event(event) for event in events],
    }


def _statement(link: dict[str, Any], sources: dict[int, Source], statuses: dict[int, str]) -> dict[str, Any]:
    source_id, quote_id = _source_id(link), _quote_id(link)
    # The card reads only the frozen link; the source's live row is described here, from its own fields.
    card = Card.from_frozen(link, None)
    source = sources.get(source_id) if source_id else None
    frozen_source = link.get("source") or {}
    speaker = link.get("speaker")
    status = statuses.get(quote_id) if quote_id else None
    return {
        "role": card.role,
        "role_label": card.role_label,
        "note": card.note,
        "quote": {
            "id": quote_id,
            "text": card.quote,
            "status": status,
            "status_label": _label(Quote.Status, status),
        },
        "speaker": None
        if not speaker
        else {
            "name": speaker.get("name", ""),
            "role": speaker.get("role", ""),
            "kind": speaker.get("kind", ""),
            "organisation": speaker.get("organisation", ""),
            "wikidata_qid": speaker.get("wikidata_qid", ""),
        },
        "who": card.who,
        "attribution": card.attribution,
        "attribution_label": card.attribution_label,
        "stated_on": link.get("stated_on"),
        "date": card.date,
        "source": {
            "id": source_id,
            "url": card.url or None,
            "title": card.title,
            "byline": card.byline,
            "language": card.language,
            "outlet": card.outlet,
            "outlet_homepage": card.outlet_homepage or None,
            "published_at": frozen_moment(frozen_source.get("published_at")),
            "api_url": absolute(reverse("api:source-detail", args=[source_id])) if source_id else None,
            "liveness": liveness(source) if source else None,
        },
    }


def _event(event: Event) -> dict[str, Any]:
    changes = (event.data or {}).get("changes") if isinstance(event.data, dict) else None
    return {
        "kind": event.kind,
        "text": event.public_text,
        "note": event.note if event.kind in Event.PUBLIC_NOTES else "",
        "changes": [str(change) for change in changes] if isinstance(changes, list) else [],
        "at": event.created_at,
    }


def liveness(source: Source) -> dict[str, Any]:
    """Describe how a source stands now, as the public pages say it."""
    return {
        "state": source.liveness,
        "state_label": source.state_text,
        "last_checked_at": source.last_checked_at,
        "last_changed_at": source.last_changed_at,
    }


# --- sources -------------------------------------------------------------------------------------


def citing(source_id: int) -> DisputeQuerySet:
    """Public disputes whose approved revision cites this source (not their drafts: only what readers see)."""
    disputes = Dispute.objects.public().select_related("public_revision")
    if connection.vendor == "postgresql":
        return disputes.filter(public_revision__data__links__contains=[{"source": {"id": source_id}}])
    # SQLite (the embedded default) has no JSON containment; its JSON1 functions read the same links.
    cites = RawSQL(
        "EXISTS (SELECT 1 FROM json_each(disputes_revision.data, '$.links') AS link"
        " WHERE json_extract(link.value, '$.source.id') = %s)",
        (source_id,),
        output_field=BooleanField(),
    )
    return disputes.filter(cites)


def approved_source(disputes: Sequence[Dispute], source_id: int) -> dict[str, Any]:
    """Return a source's details as last approved in a dispute citing it (`DisputeLink.frozen`'s "source").

    The most recent approval wins: a correction to a headline reaches readers with the first dispute a
    reviewer approves with it. The disputes come with `public_revision` (its data and creation time).
    """
    latest: tuple[Any, dict[str, Any]] | None = None
    for dispute in disputes:
        revision = dispute.public_revision
        if revision is None:
            continue
        for link in revision.data.get("links", []):
            if _source_id(link) == source_id and (latest is None or revision.created_at > latest[0]):
                latest = (revision.created_at, link.get("source") or {})
                break
    return latest[1] if latest else {}


def source_record(source_id: int) -> dict[str, Any] | None:
    """Describe a source cited by a published dispute, or return None; four queries at most.

    Versions are named by id and capture time only: our copies' HTML is never given out.
    """
    disputes = list(
        citing(source_id)
        .only("slug", "state", "public_revision__data", "public_revision__created_at")
        .order_by("-published_at", "-pk")
    )
    if not disputes:
        return None
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        return None
    details = approved_source(disputes, source_id)  # what readers see of it: as approved, never live
    cited: dict[int, dict[str, Any]] = {}
    for dispute in disputes:
        data = dispute.public_revision.data  # type: ignore[union-attr]
        for link in data.get("links", []):
            quote_id = _quote_id(link)
            if _source_id(link) != source_id or quote_id is None:
                continue
            quote = cited.setdefault(quote_id, {"text": (link.get("quote") or {}).get("exact", ""), "cited_in": []})
            quote["cited_in"].append(
                {
                    "slug": dispute.slug,
                    "claim": data.get("claim_text", ""),
                    "url": absolute(dispute.get_absolute_url()),
                    "api_url": absolute(reverse("api:dispute-detail", args=[dispute.slug])),
                    "role": link.get("role", ""),
                    "role_label": _label(DisputeLink.Role, link.get("role")),
                    "withdrawn": dispute.state == Dispute.State.WITHDRAWN,
                }
            )
    statuses = dict(Quote.objects.filter(pk__in=cited).values_list("pk", "status"))
    versions = source.snapshots.order_by("-captured_at", "-pk").values("pk", "captured_at", "title")
    return {
        "id": source.pk,
        "url": http_url(source.url) or None,
        "title": details.get("title", ""),
        "byline": details.get("byline", ""),
        "outlet": details.get("outlet", ""),
        "outlet_homepage": http_url(details.get("outlet_homepage")) or None,
        "published_at": frozen_moment(details.get("published_at")),
        "language": details.get("language", ""),
        "api_url": absolute(reverse("api:source-detail", args=[source.pk])),
        "liveness": liveness(source),
        "versions": [
            {
                "id": version["pk"],
                "captured_at": version["captured_at"],
                "title": version["title"],
                "current": version["pk"] == source.current_snapshot_id,
            }
            for version in versions
        ],
        "quotes": [
            {
                "id": quote_id,
                "text": quote["text"],
                "status": statuses.get(quote_id),
                "status_label": _label(Quote.Status, statuses.get(quote_id)),
                "cited_in": quote["cited_in"],
            }
            for quote_id, quote in sorted(cited.items())
        ],
    }


# --- helpers -------------------------------------------------------------------------------------


def _source_id(link: dict[str, Any]) -> int | None:
    value = (link.get("source") or {}).get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _quote_id(link: dict[str, Any]) -> int | None:
    value = (link.get("quote") or {}).get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _label(choices: type[Any], value: object) -> str:
    """Return a stored choice's label, or an empty string for a value the choices do not know."""
    return str(choices(value).label) if value in choices.values else ""
