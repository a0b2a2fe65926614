"""Documents on the web and their history: outlets, sources, fetches, snapshots and quoted passages.

This app knows nothing of disputes (DESIGN §2). When a check changes a quote's or a source's state it
sends a signal (articles.signals) and `disputes` listens.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .urlnorm import normalise_url, registrable_domain


class Outlet(models.Model):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, unique=True, help_text="Registrable domain, e.g. bbc.co.uk")
    homepage = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SourceQuerySet(models.QuerySet["Source"]):
    def due(self, now: dt.datetime | None = None) -> SourceQuerySet:
        """Sources whose next check is due and which no worker holds a lease on."""
        now = now or timezone.now()
        return self.filter(next_check_at__lte=now).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))


class Source(models.Model):
    """A document at a URL, and how it stands the last time we looked."""

    class Liveness(models.TextChoices):
        UNKNOWN = "unknown", "Not yet checked"
        ALIVE = "alive", "Online"
        DEAD = "dead", "Gone"
        SOFT_404 = "soft_404", "Gone (the address now shows a “not found” page)"
        MOVED = "moved", "Moved to another address"
        ACCESS_RESTRICTED = "access_restricted", "Access restricted"
        BLOCKED = "blocked", "Blocked our checker"
        RATE_LIMITED = "rate_limited", "Asked us to slow down"
        TLS_ERROR = "tls_error", "Secure connection failed"
        UNREACHABLE = "unreachable", "Unreachable"
        ROBOTS_DISALLOWED = "robots_disallowed", "Not checked: the site asks robots to stay away"

    url = models.URLField(max_length=2000, unique=True, help_text="Normalised: tracking parameters removed")
    final_url = models.URLField(max_length=2000, blank=True)
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="sources", null=True, blank=True)
    title = models.CharField(max_length=500, blank=True)
    byline = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    modified_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=35, blank=True, help_text="BCP 47 tag, e.g. en, uk, ru")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    # Monitoring (DESIGN §5). Due-ness lives here, not in the broker.
    liveness = models.CharField(max_length=20, choices=Liveness, default=Liveness.UNKNOWN)
    liveness_detail = models.CharField(max_length=500, blank=True, help_text="The honest reason, in words")
    dead_signals = models.PositiveSmallIntegerField(default=0)
    first_dead_signal_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_changed_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    current_snapshot = models.ForeignKey("Snapshot", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["-added_at"]
        constraints = [
            models.CheckConstraint(condition=Q(url__startswith="http://") | Q(url__startswith="https://"),
                                   name="source_url_is_http"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.title or self.url

    @classmethod
    def for_url(cls, raw_url: str, *, added_by: object = None) -> tuple[Source, bool]:
        """Return the one Source for this address (normalised), creating it and its outlet if new."""
        url = normalise_url(raw_url)
        domain = registrable_domain(url)
        outlet, _ = Outlet.objects.get_or_create(domain=domain, defaults={"name": domain})
        return cls.objects.get_or_create(url=url, defaults={"outlet": outlet, "added_by": added_by})

    @property
    def state_text(self) -> str:
        """Describe, for a reader, how the source stands now."""
        if self.liveness == self.Liveness.UNKNOWN:
            return "Not yet checked"
        if self.liveness == self.Liveness.ALIVE:
            if self.last_changed_at and self.current_snapshot_id:
                return "Online, edited since it was captured"
            return "Online"
        return str(self.get_liveness_display())  # type: ignore[attr-defined]

    @property
    def state_tone(self) -> str:
        """Return a word the stylesheet uses to colour the state: ok, warn, bad or neutral."""
        if self.liveness == self.Liveness.ALIVE:
            return "ok"
        if self.liveness in {self.Liveness.DEAD, self.Liveness.SOFT_404}:
            return "bad"
        if self.liveness == self.Liveness.UNKNOWN:
            return "neutral"
        return "warn"


class Snapshot(models.Model):
    """An immutable, content-addressed version of a source as we fetched it."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="snapshots")
    captured_at = models.DateTimeField(default=timezone.now)
    raw_html = models.BinaryField(help_text="zlib-compressed bytes as served", editable=False)
    raw_sha256 = models.CharField(max_length=64)
    main_text = models.TextField(blank=True)
    main_sha256 = models.CharField(max_length=64, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, help_text="Hash of case-folded text, no punctuation")
    full_text = models.TextField(blank=True)
    title = models.CharField(max_length=500, blank=True)
    canonical_url = models.URLField(max_length=2000, blank=True)
    date_modified = models.DateTimeField(null=True, blank=True)
    extractor = models.CharField(max_length=100, blank=True, help_text="name@version")
    correction_notices = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-captured_at"]
        get_latest_by = "captured_at"
        constraints = [models.UniqueConstraint(fields=["source", "raw_sha256"], name="snapshot_unique_content")]

    def __str__(self) -> str:
        return f"{self.source} @ {self.captured_at:%Y-%m-%d %H:%M}"


class Fetch(models.Model):
    """One attempt to check a source. Unique per (source, slot) so a redelivered task writes once."""

    class Outcome(models.TextChoices):
        UNCHANGED = "unchanged", "Unchanged"
        NOT_MODIFIED = "not_modified", "Not modified (304)"
        CHANGED = "changed", "Changed"
        ERROR = "error", "Error"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="fetches")
    slot = models.DateTimeField(help_text="The scheduled check this attempt belongs to")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    requested_url = models.URLField(max_length=2000)
    final_url = models.URLField(max_length=2000, blank=True)
    redirect_chain = models.JSONField(default=list, blank=True)
    resolved_ip = models.GenericIPAddressField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    bytes_received = models.PositiveIntegerField(default=0)
    elapsed_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=20, choices=Outcome, blank=True)
    error_class = models.CharField(max_length=100, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    verdict = models.CharField(max_length=20, choices=Source.Liveness, blank=True)
    snapshot = models.ForeignKey(Snapshot, on_delete=models.SET_NULL, null=True, blank=True, related_name="fetches")

    class Meta:
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["source", "slot"], name="fetch_once_per_slot")]

    def __str__(self) -> str:
        return f"{self.source} {self.slot:%Y-%m-%d %H:%M} {self.outcome}"


class Quote(models.Model):
    """A passage of a source as an editor captured it. Immutable: a new wording is a new Quote.

    The selector follows the W3C Web Annotation model: TextQuoteSelector (exact, prefix, suffix) and
    TextPositionSelector (start, end) into the snapshot it was captured from.
    """

    class Status(models.TextChoices):
        NOT_CHECKED = "not_checked", "Not yet checked"
        PRESENT = "present", "Present as captured"
        PRESENT_MOVED = "present_moved", "Present, in another part of the article"
        PRESENT_NORMALISED = "present_normalised", "Present (only punctuation, case or spacing differ)"
        AMBIGUOUS = "ambiguous", "Present more than once"
        EDITED = "edited", "Reworded"
        EDITED_SUBSTANTIVE = "edited_substantive", "Changed in substance"
        UNCERTAIN = "uncertain", "Cannot be located with confidence"
        GONE = "gone", "Removed from the article"
        GONE_WITH_PAGE = "gone_with_page", "Gone with the page"

    # Statuses that mean the passage still reads as captured: these never flag a dispute.
    UNCHANGED_STATUSES = frozenset({Status.PRESENT, Status.PRESENT_MOVED, Status.PRESENT_NORMALISED})

    MAX_LENGTH = 5000
    CONTEXT_LENGTH = 32

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="quotes")
    snapshot = models.ForeignKey(
        Snapshot, on_delete=models.PROTECT, null=True, blank=True, related_name="quotes",
        help_text="The version the passage was captured from; empty for quotes entered by hand or imported",
    )  # fmt: skip
    exact = models.TextField()
    prefix = models.CharField(max_length=200, blank=True)
    suffix = models.CharField(max_length=200, blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    captured_at = models.DateTimeField(default=timezone.now)
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by",
        help_text="The earlier wording this quote replaces, when an editor accepted an edit",
    )  # fmt: skip
    status = models.CharField(max_length=20, choices=Status, default=Status.NOT_CHECKED)
    last_check = models.ForeignKey("QuoteCheck", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["source_id", "start", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(exact=""), name="quote_exact_not_empty"),
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(start__isnull=False, end__isnull=False, end__gt=models.F("start")),
                name="quote_position_is_a_span",
            ),
        ]

    def __str__(self) -> str:
        return f"“{self.exact[:60]}”"


class QuoteCheck(models.Model):
    """One attempt to locate a quote in the text a fetch brought back."""

    fetch = models.ForeignKey(Fetch, on_delete=models.CASCADE, related_name="quote_checks")
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=Quote.Status)
    match_start = models.PositiveIntegerField(null=True, blank=True)
    match_end = models.PositiveIntegerField(null=True, blank=True)
    matched_text = models.TextField(blank=True)
    score = models.FloatField(null=True, blank=True)
    runner_up_score = models.FloatField(null=True, blank=True)
    changed_tokens = models.JSONField(default=list, blank=True)
    searched_in = models.CharField(
        max_length=10, choices=[("main", "Main text"), ("full", "Full visible text")], blank=True
    )

    class Meta:
        ordering = ["-checked_at"]
        constraints = [models.UniqueConstraint(fields=["fetch", "quote"], name="quotecheck_once_per_fetch")]

    def __str__(self) -> str:
        return f"{self.quote} → {self.status}"
