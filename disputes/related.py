"""What ties public disputes together: the speakers and sources their approved revisions cite.

Found through `PublicFacet`, which `disputes.search.index` rewrites from each approved revision, so a
statement nobody has approved yet ties nothing together (and reveals nothing); and what two disputes
share is then read from their revisions, to say why they are related. One indexed query per lookup,
whatever the number of links, on PostgreSQL and SQLite alike. A speaker is matched by name, folded as
the filters fold it, so this list and the pages whose caches `search.touch_related` refreshes agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Q

from .models import Dispute, DisputeQuerySet, PublicFacet
from .search import fold

RELATED_SHOWN = 5
CITING_SHOWN = 50

T = TypeVar("T")


@dataclass(frozen=True)
class Related:
    """A dispute related to the one on the page, and what they share, to say why."""

    dispute: Dispute
    speakers: list[str]  # names of the shared speakers
    sources: list[tuple[str, str]]  # the shared sources: (title, or the address without one; outlet)

    @property
    def data(self) -> dict[str, Any]:
        return self.dispute.public_revision.data  # type: ignore[union-attr]


def related_to(dispute: Dispute, data: dict[str, Any], *, limit: int = RELATED_SHOWN) -> list[Related]:
    """Return published disputes that cite a speaker or a source this one cites, newest first.

    `data` is the dispute's approved revision. Withdrawn disputes are left out: they are notices now,
    not reading to recommend.
    """
    links = data.get("links", [])
    speakers = {fold(name) for name in _speakers(links)}
    sources = {link["source"]["id"] for link in links}
    if not speakers and not sources:
        return []
    facets = PublicFacet.objects.filter(
        Q(kind=PublicFacet.Kind.SPEAKER, key__in=speakers) | Q(kind=PublicFacet.Kind.SOURCE, key__in=map(str, sources))
    )
    candidates = (
        _public()
        .filter(pk__in=facets.values("dispute_id"))
        .exclude(pk=dispute.pk)
        .exclude(state=Dispute.State.WITHDRAWN)[:limit]
    )
    related = []
    for other in candidates:
        other_links = other.public_revision.data.get("links", [])  # type: ignore[union-attr]
        shared_speakers = _unique(name for name in _speakers(other_links) if fold(name) in speakers)
        shared_sources = _unique(_source_name(link) for link in other_links if link["source"]["id"] in sources)
        if shared_speakers or shared_sources:  # always, unless the facets are out of date
            related.append(Related(other, shared_speakers, shared_sources))
    return related


def citing(source_id: int, *, limit: int = CITING_SHOWN) -> list[Dispute]:
    """Return the public disputes (withdrawn ones too) whose approved revision cites the source, newest first."""
    facets = PublicFacet.objects.filter(kind=PublicFacet.Kind.SOURCE, key=str(source_id))
    return [
        dispute
        for dispute in _public().filter(pk__in=facets.values("dispute_id"))[:limit]
        if any(link["source"]["id"] == source_id for link in dispute.public_revision.data.get("links", []))  # type: ignore[union-attr]
    ]


def _public() -> DisputeQuerySet:
    return (
        Dispute.objects.public()
        .select_related("public_revision")
        .only("slug", "state", "needs_recheck", "published_at", "public_revision__data", "public_revision__created_at")
        .order_by("-published_at", "-pk")
    )


def _speakers(links: list[dict[str, Any]]) -> list[str]:
    return [link["speaker"]["name"] for link in links if link.get("speaker")]


def _source_name(link: dict[str, Any]) -> tuple[str, str]:
    source = link["source"]
    return (source.get("title") or source.get("url", ""), source.get("outlet", ""))


def _unique(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))
