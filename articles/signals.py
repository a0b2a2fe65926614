"""What a re-check announces, once a second fetch has confirmed it (DESIGN §5.9).

`articles` knows nothing of disputes (DESIGN §2): it sends these signals, and `disputes.receivers`
flags the disputes that cite the source or quote. Both are sent inside the transaction that records
the confirming check, so a receiver's writes commit or roll back with it.

- `quote_status_changed(sender=Source, source, fetch, changes: list[QuoteChange])`: cited passages
  that became edited, edited in substance, uncertain, gone, gone with the page, or ambiguous.
- `source_changed(sender=Source, source, fetch, liveness)`: the page became dead, a soft 404, or moved.

The reasons are worded here, because they are about the article: "The Kyiv Independent article
(11 Nov 2024) no longer carries the quoted passage “Reports that …”".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.dispatch import Signal

if TYPE_CHECKING:
    from .models import Quote, QuoteCheck, Source

quote_status_changed = Signal()
source_changed = Signal()


@dataclass(frozen=True)
class QuoteChange:
    quote: Quote
    status: str
    check: QuoteCheck | None

    @property
    def reason(self) -> str:
        """Say, for an editor and a reader, what happened to the passage."""
        return quote_reason(self.quote.source, self.quote, self.status, self.check)


def quote_reason(source: Source, quote: Quote, status: str, check: QuoteCheck | None = None) -> str:
    """Word what happened to a cited passage."""
    label, passage = source.label, f"“{quote.excerpt()}”"
    if status == "gone":
        return f"{label} no longer carries the quoted passage {passage}"
    if status == "gone_with_page":
        return f"{label} has changed wholesale and no longer carries the quoted passage {passage}"
    if status == "edited":
        return f"{label} now words the quoted passage {passage} differently"
    if status == "edited_substantive":
        changed = ""
        tokens = (check.changed_tokens if check else None) or []
        if tokens:
            old, new = tokens[0]
            changed = f": “{old}” became “{new}”" if old and new else ""
        return f"{label} has changed the substance of the quoted passage {passage}{changed}"
    if status == "uncertain":
        return f"{label} has changed around the quoted passage {passage}: we cannot locate it with confidence"
    if status == "ambiguous":
        return f"{label} now carries the quoted passage {passage} more than once"
    return f"{label}: the quoted passage {passage} is now “{status.replace('_', ' ')}”"


def source_reason(source: Source, liveness: str) -> str:
    """Word what happened to a cited page."""
    label = source.label
    if liveness == "dead":
        return f"{label} is gone: its address has answered with errors for more than 48 hours"
    if liveness == "soft_404":
        return f"{label} is gone: its address now leads to a “not found” page or the site's front page"
    if liveness == "moved":
        return f"{label} has moved to {source.final_url}"
    return f"{label} is now “{liveness.replace('_', ' ')}”"
