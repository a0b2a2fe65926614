"""Finding published disputes: the full-text index, the facets readers filter by, and the search itself.

What is searched is what readers see: the approved revision (claim, summary, background, quoted words,
speakers, outlets), written into the index when a revision is approved or imported. Sources and quotes
are often not in English (a Ukrainian ministry statement, a Russian wire), so the index uses
PostgreSQL's `simple` configuration (no stemming for one language only) over text folded here, in
Python, to lower case without accents; queries are folded the same way. That spares the `unaccent`
extension, which a managed database may not offer.

PostgreSQL: a stored `tsvector` with a GIN index, queried with web-search syntax ("quoted phrases",
OR, -word) and ranked. SQLite (the embedded default): every word or phrase must appear in the folded
text, none of the -words may, newest first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.utils import timezone

from disputes.models import Dispute, DisputeQuerySet, PublicFacet

CONFIG = "simple"
_TERMS = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')


def fold(text: str) -> str:
    """Lower-case the text and drop accents and other combining marks: "Zelenskyy’s" ~ "zelenskyy’s"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def searchable() -> bool:
    return connection.vendor == "postgresql"


# --- writing the index --------------------------------------------------------------------------------


def index(dispute: Dispute, data: dict[str, Any]) -> None:
    """Index an approved revision's content for search and filters, and refresh its related disputes.

    Three statements plus one per changed facet set; called inside the transaction that approves.
    """
    links = data.get("links", [])
    speakers = {(link.get("speaker") or {}).get("name", "") for link in links} - {""}
    outlets = {(link.get("source") or {}).get("outlet", "") for link in links} - {""}
    quotes = [(link.get("quote") or {}).get("exact", "") for link in links]
    parts = {
        "A": data.get("claim_text", ""),
        "B": " ".join(sorted(speakers | outlets)),
        "C": " ".join([data.get("summary", ""), *quotes]),
        "D": data.get("context", ""),
    }
    folded = {weight: fold(text) for weight, text in parts.items()}
    changes: dict[str, Any] = {"search_text": " \n".join(folded.values())}
    if searchable():
        vector = None
        for weight, text in folded.items():
            part = SearchVector(Value(text), config=CONFIG, weight=weight)
            vector = part if vector is None else vector + part
        changes["search_vector"] = vector
    # Neither column is shown to readers or tracked by the version: the history trigger ignores them
    # (on SQLite only when they do not change, hence the exclude: an identical index is not rewritten).
    Dispute.objects.filter(pk=dispute.pk).exclude(search_text=changes["search_text"]).update(**changes)

    wanted = {(PublicFacet.Kind.SPEAKER, fold(name), name) for name in speakers}
    wanted |= {(PublicFacet.Kind.OUTLET, fold(name), name) for name in outlets}
    wanted |= {
        (PublicFacet.Kind.SOURCE, str(link["source"]["id"]), link["source"].get("title", ""))
        for link in links
        if (link.get("source") or {}).get("id")
    }
    touch_related([dispute.pk], keys=[(kind, key) for kind, key, _ in wanted])  # before the old facets go
    dispute.facets.all().delete()
    PublicFacet.objects.bulk_create(
        [PublicFacet(dispute=dispute, kind=kind, key=key[:300], label=label[:300]) for kind, key, label in wanted]
    )


def touch_related(dispute_ids: list[int], *, keys: Iterable[tuple[str, str]] = ()) -> None:
    """Tell the pages that share a speaker or a source with these disputes that they changed.

    Their "related disputes" lists show these, so their cache validators must move too. The shared
    speakers and sources are the disputes' facets as stored, plus `keys` (the facets about to be
    written, when a dispute is indexed again). Two statements however many disputes; matching on the
    key may touch a page too many (a speaker named like a source id), which is harmless.
    """
    if not dispute_ids:
        return
    kinds = [PublicFacet.Kind.SPEAKER, PublicFacet.Kind.SOURCE]
    stored = PublicFacet.objects.filter(dispute_id__in=dispute_ids, kind__in=kinds).values("key")
    shared = Q(kind__in=kinds, key__in=stored)
    for kind, key in keys:
        if kind in kinds:
            shared |= Q(kind=kind, key=key)
    related = PublicFacet.objects.filter(shared).exclude(dispute_id__in=dispute_ids)
    # SKIP LOCKED: this runs while the caller holds its own disputes' rows; waiting here for another
    # dispute's row (held by a change to a source they share, which locks in its own order) could
    # deadlock. A row skipped is one another transaction is changing; only its cache validator lags.
    free = Dispute.objects.filter(pk__in=related.values("dispute_id")).order_by()
    if transaction.get_connection().in_atomic_block:  # outside one (a reindex), nothing of ours is held
        free = free.select_for_update(skip_locked=True, of=("self",))
    Dispute.objects.filter(pk__in=free.values("pk")).update(public_changed_at=timezone.now())


# --- searching ------------------------------------------------------------------------------------------


def search(disputes: DisputeQuerySet, query: str) -> DisputeQuerySet:
    """Filter public disputes by a reader's query, best match first (PostgreSQL) or newest first."""
    query = fold(" ".join(query.split()))[:300]
    if not query:
        return disputes
    if searchable():
        terms = SearchQuery(query, search_type="websearch", config=CONFIG)
        return (
            disputes.filter(search_vector=terms)
            .annotate(rank=SearchRank(F("search_vector"), terms))
            .order_by("-rank", "-published_at", "-pk")
        )
    for negated, phrase, negated_word, word in _TERMS.findall(query):
        term = phrase or word
        if term.lower() == "or" and not phrase:
            continue  # substring search has no OR: every other term must still match
        if negated or negated_word:
            disputes = disputes.exclude(search_text__contains=term)
        else:
            disputes = disputes.filter(search_text__contains=term)
    return disputes
