"""Atom feeds: every published dispute, and the public history of one.

Titles go out as Atom text, which feed readers show as it is; summaries are Atom "html", so what we did
not write is escaped here first, each text in a paragraph of its own, and reaches a reader as text,
never as markup. XML 1.0 cannot carry
most control characters at all, so those are dropped from anything we did not write.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F, OuterRef, Subquery
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_safe

from disputes.models import Dispute, DisputeQuerySet, Event
from disputes.records import absolute
from disputes.templatetags.public_pages import resolution_label
from disputes.views.api import open_data
from disputes.views.public import listed

FEED_LENGTH = 50

# Characters XML 1.0 forbids (Django's feed writer refuses the C0 controls rather than write bad XML).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: object) -> str:
    return _NOT_XML.sub("", str(value or ""))


class PublishedDisputesFeed(Feed):
    """The newest published disputes, each entry updated when readers last saw it change."""

    feed_type = Atom1Feed

    def title(self) -> str:
        return f"Disputed claims · {settings.SITE_NAME}"

    def subtitle(self) -> str:
        return "Claims reported in the news that someone on the record disputes, newest first."

    def link(self) -> str:
        return absolute(reverse("disputes:index"))

    def feed_url(self) -> str:
        return absolute(reverse("open-data:disputes-feed"))

    def author_name(self) -> str:
        return settings.SITE_NAME

    def items(self) -> DisputeQuerySet:
        last_public_event = Event.objects.filter(dispute=OuterRef("pk"), public=True).order_by("-created_at")
        return (
            listed(Dispute.objects.public().filter(published_at__isnull=False))
            .annotate(
                last_approved_at=F("public_revision__created_at"),
                last_public_event_at=Subquery(last_public_event.values("created_at")[:1]),
            )
            .order_by("-published_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, item: Dispute) -> str:
        return xml_text(item.public_claim)  # type: ignore[attr-defined]

    def item_link(self, item: Dispute) -> str:
        return absolute(item.get_absolute_url())

    def item_pubdate(self, item: Dispute) -> dt.datetime | None:
        return item.published_at

    def item_updateddate(self, item: Dispute) -> dt.datetime | None:
        """Date the entry by the last change readers saw: an approval, a flag, a withdrawal."""
        moments = [item.published_at, item.last_approved_at, item.last_public_event_at]  # type: ignore[attr-defined]
        return max((moment for moment in moments if moment), default=None)

    def item_description(self, item: Dispute) -> SafeString:
        notices = [resolution_label(item.public_resolution)]  # type: ignore[attr-defined]
        if item.state == Dispute.State.WITHDRAWN:
            notices.append("Withdrawn")
        if item.needs_recheck:
            notices.append("Needs re-check: a cited source changed")
        return format_html(
            "<p>{}</p>{}",
            xml_text(" · ".join(notices)),
            _paragraph(item.public_summary),  # type: ignore[attr-defined]
        )

    def item_categories(self, item: Dispute) -> list[str]:
        return [xml_text(resolution_label(item.public_resolution))]  # type: ignore[attr-defined]


class DisputeUpdatesFeed(Feed):
    """What readers were told about one dispute: publication, new approvals, flags, withdrawal."""

    feed_type = Atom1Feed

    def get_object(self, request: Any, slug: str) -> Dispute:
        return Dispute.objects.public().select_related("public_revision").get(slug=slug)

    def title(self, obj: Dispute) -> str:
        return xml_text(obj.public_revision.data.get("claim_text", ""))  # type: ignore[union-attr]

    def subtitle(self, obj: Dispute) -> str:
        return f"Updates to a disputed claim on {settings.SITE_NAME}."

    def link(self, obj: Dispute) -> str:
        return absolute(obj.get_absolute_url())

    def feed_url(self, obj: Dispute) -> str:
        return absolute(reverse("open-data:dispute-updates-feed", args=[obj.slug]))

    def author_name(self) -> str:
        return settings.SITE_NAME

    def items(self, obj: Dispute) -> list[Event]:
        events = list(Event.objects.filter(dispute=obj, public=True).order_by("-created_at", "-pk")[:FEED_LENGTH])
        for event in events:
            event.dispute = obj  # the entries name it and link to it: no query per entry
        return events

    def item_title(self, item: Event) -> str:
        return f"{item.public_text}: {self.title(item.dispute)}"  # type: ignore[arg-type]

    def item_link(self, item: Event) -> str:
        return absolute(item.dispute.get_absolute_url())  # type: ignore[union-attr]

    def item_guid(self, item: Event) -> str:
        return f"{self.item_link(item)}#event-{item.pk}"

    def item_pubdate(self, item: Event) -> dt.datetime:
        return item.created_at

    def item_updateddate(self, item: Event) -> dt.datetime:
        return item.created_at

    def item_description(self, item: Event) -> SafeString:
        note = item.note if item.kind in Event.PUBLIC_NOTES else ""
        changes = item.data.get("changes") if isinstance(item.data, dict) else None
        changes = changes if isinstance(changes, list) else []
        parts = [_paragraph(note)]
        if changes:
            parts.append(format_html("<p>What changed: {}.</p>", "; ".join(xml_text(c) for c in changes)))
        if not note and not changes:
            parts.append(format_html("<p>{}</p>", item.public_text))
        return format_html_join("", "{}", ((part,) for part in parts))


def _paragraph(text: object) -> SafeString:
    """Wrap text we did not write in a paragraph of its own, escaped; an empty text gives nothing.

    Its own paragraph, with its direction taken from its first letter, also keeps a stray right-to-left
    override inside it from turning our words around.
    """
    text = xml_text(text).strip()
    return format_html('<p dir="auto">{}</p>', text) if text else SafeString("")


published_disputes = require_safe(open_data(PublishedDisputesFeed()))
dispute_updates = require_safe(open_data(DisputeUpdatesFeed()))
