"""The sitemap: every page readers can reach, with when it last changed, for search engines."""

from __future__ import annotations

import datetime as dt

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from disputes.models import Dispute, DisputeQuerySet, PublicFacet


class HomeSitemap(Sitemap):
    changefreq = "hourly"
    priority = 1.0

    def items(self) -> list[str]:
        return ["disputes:index"]

    def location(self, item: str) -> str:
        return reverse(item)

    def lastmod(self, item: str) -> dt.datetime | None:
        return Dispute.objects.public().aggregate(latest=Max("public_changed_at"))["latest"]


class DisputeSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8
    limit = 5000

    def items(self) -> DisputeQuerySet:
        return Dispute.objects.public().only("slug", "public_changed_at").order_by("-published_at", "-pk")

    def lastmod(self, dispute: Dispute) -> dt.datetime | None:
        return dispute.public_changed_at


class SourceSitemap(Sitemap):
    """Public source pages: those an approved revision cites (their source facets)."""

    changefreq = "daily"
    priority = 0.5
    limit = 5000

    def items(self) -> list[int]:
        keys = PublicFacet.objects.filter(kind=PublicFacet.Kind.SOURCE, dispute__in=Dispute.objects.public())
        return sorted({int(key) for key in keys.values_list("key", flat=True)})

    def location(self, source_id: int) -> str:
        return reverse("disputes:source-detail", args=[source_id])


SITEMAPS = {"home": HomeSitemap, "disputes": DisputeSitemap, "sources": SourceSitemap}
