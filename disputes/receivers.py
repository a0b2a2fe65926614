"""Flag the published disputes whose sources changed (DESIGN §5.9), and send back to review those
whose sources or outlets were changed by hand (DESIGN §4).

`articles` announces a confirmed change with a signal (articles.signals) and knows nothing of
disputes; here each public dispute citing the quote or the page is flagged for re-check with a
reason in words, and one Event records the change on the source's own history. These receivers run
inside the transaction that records the confirming check.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.dispatch import receiver

from articles import signals
from articles.models import Fetch, Outlet, Source

from .models import Dispute, DisputeLink, Event, SharedRowChange, frozen_moment


def _public_disputes() -> Any:
    # Readers see every approved dispute that is not withdrawn, including one whose next revision
    # is in progress (its public page still shows the last approved revision).
    return Dispute.objects.public().exclude(state=Dispute.State.WITHDRAWN)


def _labels(dispute_ids: set[int], source: Source) -> dict[int, str]:
    """Name the source in each dispute's reason as its readers know it: as approved, never the live row.

    A flag's reason is shown to readers, so an outlet renamed on the desk, and not yet approved, must
    not reach them through it. One query for any number of disputes.
    """
    labels = {}
    revisions = Dispute.objects.filter(pk__in=dispute_ids).values_list("pk", "public_revision__data")
    for pk, data in revisions:
        frozen = next(
            (link.get("source") or {} for link in (data or {}).get("links", [])
             if (link.get("source") or {}).get("id") == source.pk),
            None,
        )  # fmt: skip
        if frozen is None:  # cited by a revision in progress only: its address, which never changes
            labels[pk] = signals.article_label("", None, source.url)
        else:
            published_at = frozen_moment(frozen.get("published_at"))
            labels[pk] = signals.article_label(frozen.get("outlet", ""), published_at, frozen.get("url", source.url))
    return labels


@receiver(signals.quote_status_changed, dispatch_uid="disputes.flag_for_quote_changes")
def flag_disputes_citing_quotes(
    sender: type, *, source: Source, fetch: Fetch, changes: list[signals.QuoteChange], **kwargs: Any
) -> None:
    """Flag every public dispute that cites one of the changed quotes, once, with the reasons."""
    by_quote = {change.quote.pk: change for change in changes}
    reasons: dict[int, list[str]] = defaultdict(list)
    links = (
        DisputeLink.objects.filter(statement__quote__in=by_quote, dispute__in=_public_disputes())
        .order_by("dispute_id", "position", "pk")
        .values_list("dispute_id", "statement__quote_id")
    )
    links = list(links)
    labels = _labels({dispute_id for dispute_id, _ in links}, source)
    for dispute_id, quote_id in links:
        reason = by_quote[quote_id].reason_for(labels[dispute_id])
        if reason not in reasons[dispute_id]:
            reasons[dispute_id].append(reason)
    flagged = Dispute.objects.flag_for_recheck({pk: "; ".join(texts) + "." for pk, texts in reasons.items()})
    Event.objects.create(
        source=source, kind="quotes_changed", note="; ".join(change.reason for change in changes) + ".",
        data={"fetch": fetch.pk, "quotes": {str(c.quote.pk): c.status for c in changes}, "flagged": flagged},
    )  # fmt: skip


@receiver(signals.source_changed, dispatch_uid="disputes.flag_for_source_changes")
def flag_disputes_citing_source(sender: type, *, source: Source, fetch: Fetch, liveness: str, **kwargs: Any) -> None:
    """Flag every public dispute that cites the page, once, saying what became of it."""
    reason = signals.source_reason(source, liveness)
    citing = set(_public_disputes().filter(links__statement__quote__source=source).values_list("pk", flat=True))
    labels = _labels(citing, source)
    flagged = Dispute.objects.flag_for_recheck(
        {pk: signals.source_reason(source, liveness, label=labels[pk]) + "." for pk in citing}
    )
    Event.objects.create(
        source=source, kind="source_changed", note=reason + ".",
        data={"fetch": fetch.pk, "liveness": liveness, "final_url": source.final_url, "flagged": flagged},
    )  # fmt: skip


@receiver(signals.details_changed, dispatch_uid="disputes.review_changed_details")
def review_disputes_showing_details(
    sender: type, *, instance: Source | Outlet, by: Any, changes: list[signals.DetailChange], **kwargs: Any
) -> None:
    """Record a hand-made change to a source or an outlet on every dispute that shows it; back to review.

    The source's own history records it too. Readers keep the approved details until a reviewer
    approves each dispute again.
    """
    data: dict[str, Any] = {"changes": [change.as_data() for change in changes]}
    if sender is Outlet:
        showing = Dispute.objects.filter(links__statement__quote__source__outlet=instance)
        note = f"Outlet details changed ({instance.domain}): {signals.described(changes)}."  # type: ignore[union-attr]
        data["outlet"] = instance.pk
        what = "changed a cited outlet's details"
    else:
        showing = Dispute.objects.filter(links__statement__quote__source=instance)
        note = f"Source details changed: {signals.described(changes)}."
        data["source"] = instance.pk
        what = "changed a cited source's details"
    row = {"outlet": instance} if sender is Outlet else {"source": instance}
    SharedRowChange.objects.create(**row, user=by, note=note, changes=data["changes"])
    recorded = showing.review_changed_details(by=by, note=note, data=data, what=what)
    if sender is Source:
        Event.objects.create(
            source=instance, actor=by, kind="details_changed", note=note, data={**data, "disputes": recorded}
        )
