"""What changed in a dispute since readers last saw it: its text and its cited statements.

Both sides are `Revision.data`-shaped dictionaries (`Dispute.frozen()`), so the same comparison serves the
review page (the draft against the last approved revision) and, later, any two revisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from articles.diffing import Chunk, word_diff
from articles.models import Outlet, Source
from articles.signals import DetailChange, detail_text
from disputes.models import Actor, Dispute, DisputeLink, frozen_moment

TEXT_FIELDS = [("claim_text", "Claim"), ("summary", "Summary"), ("context", "Background")]


@dataclass(frozen=True)
class FieldChange:
    label: str
    chunks: list[Chunk]


@dataclass(frozen=True)
class LinkChange:
    """One cited statement that was added, removed or changed; `details` say how, in words."""

    kind: str  # "added" | "removed" | "changed"
    who: str
    quote: str
    url: str
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Changes:
    first_review: bool
    fields: list[FieldChange]
    resolution: tuple[str, str] | None
    links: list[LinkChange]
    reordered: bool

    @property
    def none(self) -> bool:
        return not (self.first_review or self.fields or self.resolution or self.links or self.reordered)

    def in_words(self) -> list[str]:
        """Say what changed in a few words a reader understands, e.g. ["summary edited", "1 statement added"]."""
        words = [f"{change.label.lower()} edited" for change in self.fields]
        if self.resolution:
            words.append(f"now “{self.resolution[1]}” (was “{self.resolution[0]}”)")
        for kind in ("added", "removed", "changed"):
            count = sum(1 for link in self.links if link.kind == kind)
            if count:
                words.append(f"{count} statement{'s' if count > 1 else ''} {kind}")
        if self.reordered:
            words.append("statements reordered")
        return words


def changes_since(approved: dict[str, Any] | None, current: dict[str, Any]) -> Changes:
    """Compare the dispute as it stands with the revision readers see (None: never approved)."""
    if approved is None:
        return Changes(first_review=True, fields=[], resolution=None, links=[], reordered=False)
    fields = [
        FieldChange(label, word_diff(approved.get(name, ""), current.get(name, "")))
        for name, label in TEXT_FIELDS
        if approved.get(name, "") != current.get(name, "")
    ]
    resolution = None
    if approved.get("resolution") != current.get("resolution"):
        resolution = (_resolution(approved.get("resolution")), _resolution(current.get("resolution")))
    before = {_key(link): link for link in approved.get("links", [])}
    after = {_key(link): link for link in current.get("links", [])}
    # A revision frozen before statements had ids in it matches on quote and speaker instead.
    if not all(key[0] == "statement" for key in before):
        before = {_key({**link, "statement": None}): link for link in approved.get("links", [])}
        after = {_key({**link, "statement": None}): link for link in current.get("links", [])}
    links = [_described("added", after[key]) for key in after if key not in before]
    links += [_described("removed", before[key]) for key in before if key not in after]
    for key in after.keys() & before.keys():
        details = _link_details(before[key], after[key])
        if details:
            links.append(_described("changed", after[key], details))
    kept_before = [key for key in before if key in after]
    kept_after = [key for key in after if key in before]
    return Changes(
        first_review=False, fields=fields, resolution=resolution, links=links, reordered=kept_before != kept_after
    )


def _key(link: dict[str, Any]) -> tuple[Any, ...]:
    """Identify a cited statement across revisions: its id, or (older revisions) its quote and speaker."""
    if link.get("statement"):
        return ("statement", link["statement"])
    speaker = link.get("speaker") or {}
    return ((link.get("quote") or {}).get("id"), speaker.get("name", ""), link.get("attribution", ""))


def _described(kind: str, link: dict[str, Any], details: list[str] | None = None) -> LinkChange:
    speaker = link.get("speaker") or {}
    source = link.get("source") or {}
    who = speaker.get("name") or source.get("outlet") or "Unattributed"
    return LinkChange(
        kind=kind,
        who=who,
        quote=(link.get("quote") or {}).get("exact", ""),
        url=source.get("url", ""),
        details=details or [f"as {_role(link.get('role'))}"],
    )


def _link_details(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    details = []
    if old.get("role") != new.get("role"):
        details.append(f"role: {_role(old.get('role'))} → {_role(new.get('role'))}")
    if old.get("note", "") != new.get("note", ""):
        details.append(f"note: “{old.get('note', '')}” → “{new.get('note', '')}”" if old.get("note") else "note added")
    if (old.get("quote") or {}).get("exact") != (new.get("quote") or {}).get("exact"):
        details.append("quoted words changed")
    if old.get("stated_on") != new.get("stated_on"):
        details.append("date changed")
    details += _field_changes(old.get("source") or {}, new.get("source") or {}, SOURCE_DETAILS)
    details += _field_changes(old.get("speaker") or {}, new.get("speaker") or {}, SPEAKER_DETAILS, prefix="speaker's ")
    return details


# What readers see of a cited source and a speaker, named as the desk's change records name them.
SOURCE_DETAILS = [*Source.DETAILS.items(), ("outlet_homepage", Outlet.DETAILS["homepage"])]
SPEAKER_DETAILS = list(Actor.DETAILS.items())


def _field_changes(
    old: dict[str, Any], new: dict[str, Any], fields: list[tuple[str, str]], prefix: str = ""
) -> list[str]:
    """Word each field that differs: headline “A” → “B”. A field an older revision lacks is not a change."""
    changes = []
    for name, label in fields:
        if name not in old or old.get(name) == new.get(name):
            continue
        change = DetailChange(name, label, _text(name, old.get(name)), _text(name, new.get(name)))
        if change.old != change.new:
            changes.append(f"{prefix}{change}")
    return changes


def _text(name: str, value: Any) -> str:
    """Word a frozen value as the desk's change records do (a date is frozen as ISO text)."""
    return detail_text(frozen_moment(value) if name == "published_at" else value or None)


def _role(role: Any) -> str:
    return str(DisputeLink.Role(role).label).lower() if role in DisputeLink.Role.values else "statement"


def _resolution(value: Any) -> str:
    return str(Dispute.Resolution(value).label) if value in Dispute.Resolution.values else "Unknown"
