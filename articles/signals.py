"""What a re-check announces, once a second fetch has confirmed it (DESIGN §5.9).

`articles` knows nothing of disputes (DESIGN §2): it sends these signals, and `disputes.receivers`
flags the disputes that cite the source or quote. Both are sent inside the transaction that records
the confirming check, so a receiver's writes commit or roll back with it.

- `quote_status_changed(sender=Source, source, fetch, changes: list[QuoteChange])`: cited passages
  that became edited, edited in substance, uncertain, gone, gone with the page, or ambiguous.
- `source_changed(sender=Source, source, fetch, liveness)`: the page became dead, a soft 404, or moved.

And what a person changes by hand, sent by `Source.update_details` and `Outlet.update_details`:

- `details_changed(sender=Source | Outlet, instance, by, changes: list[DetailChange])`: a source's
  descriptive details (headline, byline, outlet, date, language) or an outlet's name or homepage. The
  disputes that show them go back to review (`disputes.receivers`); readers keep the approved words.

The reasons are worded here, because they are about the article: "The Kyiv Independent article
(11 Nov 2024) no longer carries the quoted passage “Reports that …”".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Model
from django.dispatch import Signal
from django.utils import timezone

if TYPE_CHECKING:
    from .models import Quote, QuoteCheck, Source

quote_status_changed = Signal()
source_changed = Signal()
details_changed = Signal()


@dataclass(frozen=True)
class DetailChange:
    """One descriptive field changed by hand, as a reviewer reads it: headline “A” → “B”."""

    field: str  # the model field, e.g. "title"
    label: str  # how people call it, e.g. "headline"
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label} {_shown(self.old)} → {_shown(self.new)}"

    def as_data(self) -> dict[str, str]:
        return {"field": self.field, "label": self.label, "old": self.old, "new": self.new}


def changed_details(current: Model, fields: dict[str, Any], labels: dict[str, str]) -> list[DetailChange]:
    """Compare wanted values with a row's own and list what differs (related rows compare by id)."""
    unknown = set(fields) - set(labels)
    if unknown:
        raise ValueError(f"Not a detail shown to readers: {', '.join(sorted(unknown))}")
    changes = []
    for name, label in labels.items():
        if name not in fields:
            continue
        old, new = getattr(current, name), fields[name]
        same = getattr(old, "pk", old) == getattr(new, "pk", new) if isinstance(old or new, Model) else old == new
        if not same:
            changes.append(DetailChange(name, label, detail_text(old), detail_text(new)))
    return changes


def detail_text(value: Any) -> str:
    """Word a detail for a change record: a row by its name, a moment by its day."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localdate(value).strftime("%-d %b %Y")
    return str(value)


def _shown(value: str) -> str:
    return f"“{value}”" if value else "(empty)"


def described(changes: list[DetailChange]) -> str:
    """Join changes for a sentence: headline “A” → “B”; byline (empty) → “C”."""
    return "; ".join(str(change) for change in changes)


@dataclass(frozen=True)
class QuoteChange:
    quote: Quote
    status: str
    check: QuoteCheck | None

    @property
    def reason(self) -> str:
        """Say, for an editor, what happened to the passage."""
        return quote_reason(self.quote.source, self.quote, self.status, self.check)

    def reason_for(self, label: str) -> str:
        """Say it for readers, naming the article as they know it (`label`)."""
        return quote_reason(self.quote.source, self.quote, self.status, self.check, label=label)


def article_label(outlet: str, published_at: dt.datetime | None, url: str) -> str:
    """Name an article for a sentence: "The Kyiv Independent article (11 Nov 2024)"."""
    if not outlet:
        what = f"The article at {url}"
    elif outlet.lower().startswith("the "):
        what = f"{outlet} article"
    else:
        what = f"The {outlet} article"
    if published_at:
        day = timezone.localtime(published_at)
        what += f" ({day.day} {day:%b %Y})"
    return what


def quote_reason(source: Source, quote: Quote, status: str, check: QuoteCheck | None = None, *, label: str = "") -> str:
    """Word what happened to a cited passage; `label` names the article as the reader knows it."""
    label, passage = label or source.label, f"“{quote.excerpt()}”"
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
            if old and new:
                changed = f": “{old}” became “{new}”"
            elif new:
                changed = f": “{new}” was added"
            elif old:
                changed = f": “{old}” was taken out"
        return f"{label} has changed the substance of the quoted passage {passage}{changed}"
    if status == "uncertain":
        return f"{label} has changed around the quoted passage {passage}: we cannot locate it with confidence"
    if status == "ambiguous":
        return f"{label} now carries the quoted passage {passage} more than once"
    return f"{label}: the quoted passage {passage} is now “{status.replace('_', ' ')}”"


def source_reason(source: Source, liveness: str, *, label: str = "") -> str:
    """Word what happened to a cited page; `label` names the article as the reader knows it."""
    label = label or source.label
    if liveness == "dead":
        return f"{label} is gone: its address has answered with errors for more than 48 hours"
    if liveness == "soft_404":
        return f"{label} is gone: its address now leads to a “not found” page or the site's front page"
    if liveness == "moved":
        return f"{label} has moved to {source.final_url}"
    return f"{label} is now “{liveness.replace('_', ' ')}”"
