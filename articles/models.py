"""Documents on the web and their history: outlets, sources, fetches, snapshots and quoted passages.

This app knows nothing of disputes (DESIGN §2). When a check changes a quote's or a source's state it
sends a signal (articles.signals) and `disputes` listens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Greatest
from django.utils import timezone

from . import signals
from .signals import DetailChange
from .urlnorm import normalise_url, registrable_domain


class Outlet(models.Model):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, unique=True, help_text="Registrable domain, e.g. bbc.co.uk")
    homepage = models.URLField(max_length=500, blank=True)

    # What readers see of an outlet, and what people call each field.
    DETAILS = {"name": "outlet name", "homepage": "outlet homepage"}

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @transaction.atomic
    def update_details(self, *, by: Any, **fields: str) -> list[DetailChange]:
        """Rename the outlet or change its homepage, and announce it; return what changed.

        Every dispute citing one of its sources shows the outlet, so `disputes` sends those back to
        review (signals.details_changed); readers keep the approved name until a reviewer approves.
        """
        # Lock the row: two people renaming at once each record what they changed, in turn.
        current = Outlet.objects.select_for_update().get(pk=self.pk)
        changes = signals.changed_details(current, fields, self.DETAILS)
        if not changes:
            return []
        written = {change.field: fields[change.field] for change in changes}
        Outlet.objects.filter(pk=self.pk).update(**written)
        for name, value in written.items():
            setattr(self, name, value)
        signals.details_changed.send(sender=Outlet, instance=self, by=by, changes=changes)
        return changes


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
    failures = models.PositiveSmallIntegerField(default=0, help_text="Failed checks in a row; the next one backs off")
    last_unconditional_at = models.DateTimeField(
        null=True, blank=True, help_text="Last full GET without validators: at least weekly, because validators lie"
    )
    # Second-fetch confirmation (DESIGN §5.9): what the last check suspected, and what disputes were told.
    pending_change = models.JSONField(
        default=dict, blank=True, help_text="Suspected changes awaiting a confirming fetch: liveness and quote statuses"
    )
    flagged_liveness = models.CharField(
        max_length=20, choices=Liveness, blank=True, help_text="The liveness the disputes citing this were last told of"
    )

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

    # What readers see of a source besides its address and its monitoring state, as people call it.
    DETAILS = {
        "title": "headline", "byline": "byline", "outlet": "outlet", "published_at": "publication date",
        "language": "language",
    }  # fmt: skip

    @transaction.atomic
    def update_details(self, *, by: Any, **fields: Any) -> list[DetailChange]:
        """Change the source's descriptive details by hand, and announce it; return what changed.

        Takes any of title, byline, language (text), outlet (an Outlet or None), published_at (an
        aware datetime or None). The disputes citing the source show these, so `disputes` sends them
        back to review (signals.details_changed); readers keep the approved details meanwhile.
        """
        # Lock the row: two people editing at once each record what they changed, in turn.
        current = Source.objects.select_related("outlet").select_for_update(of=("self",)).get(pk=self.pk)
        changes = signals.changed_details(current, fields, self.DETAILS)
        if not changes:
            return []
        written = {change.field: fields[change.field] for change in changes}
        Source.objects.filter(pk=self.pk).update(**written)
        for name, value in written.items():
            setattr(self, name, value)
        signals.details_changed.send(sender=Source, instance=self, by=by, changes=changes)
        return changes

    @property
    def label(self) -> str:
        """Name the article for a sentence: "The Kyiv Independent article (11 Nov 2024)"."""
        return signals.article_label(self.outlet.name if self.outlet_id else "", self.published_at, self.url)

    # --- the re-check pipeline (DESIGN §5): lease, schedule, record -------------------------------

    @classmethod
    def claim(cls, source_id: int, owner: str, *, lease_seconds: int) -> bool:
        """Take the lease on a source for one check; return False when another worker holds it.

        The owner is the Celery task id, which a redelivered message keeps: a task redelivered after
        its worker died takes its own lease back at once instead of waiting for it to expire.
        """
        now = timezone.now()
        # Conditional UPDATE: another worker may have claimed this source a moment ago.
        claimed = (
            cls.objects.filter(pk=source_id)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
            .update(lease_until=now + dt.timedelta(seconds=lease_seconds), lease_owner=owner,
                    attempts=models.F("attempts") + 1)
        )  # fmt: skip
        return bool(claimed)

    def release_lease(self, owner: str, *, count_attempt: bool = True) -> None:
        """Give the lease back; `count_attempt=False` when the check stepped aside without failing."""
        changes: dict[str, object] = {"lease_until": None, "lease_owner": ""}
        if not count_attempt:
            changes["attempts"] = Greatest(models.F("attempts") - 1, 0)
        Source.objects.filter(pk=self.pk, lease_owner=owner).update(**changes)

    def postpone(self, until: dt.datetime) -> None:
        """Keep the dispatcher away until `until`: a retry of this check is already queued for then."""
        Source.objects.filter(pk=self.pk).update(next_check_at=until)
        self.next_check_at = until

    @transaction.atomic
    def record_check(
        self,
        *,
        fetch: Fetch,
        snapshot: Snapshot | None,
        quote_checks: list[QuoteCheck],
        quotes: list[Quote],
        changes: dict[str, Any],
        announce_liveness: str = "",
        announce_quotes: list[tuple[Quote, QuoteCheck | None]] | None = None,
    ) -> Fetch:
        """Write one check: its Fetch, a new Snapshot, QuoteChecks, quotes' and the source's new state.

        The caller holds the lease; it is given back here. `quotes` are those whose state changed.

        Raises IntegrityError when this (source, slot) was recorded already (a redelivered task):
        everything is rolled back, so a check is written once. Confirmed changes are announced with
        the signals of `articles.signals` inside the same transaction, so a flag is never lost
        between the record and the announcement.
        """
        from . import signals

        if snapshot is not None and snapshot.pk is None:
            snapshot.source = self
            snapshot.save(force_insert=True)
        fetch.source, fetch.snapshot = self, snapshot
        fetch.save(force_insert=True)  # a duplicate slot fails here, and the transaction undoes the rest
        for check in quote_checks:
            check.fetch = fetch
        if quote_checks:
            QuoteCheck.objects.bulk_create(quote_checks)
        by_quote = {check.quote_id: check for check in quote_checks}
        for quote in quotes:
            check = by_quote.get(quote.pk)
            if check is not None and check.status != Quote.Status.NOT_CHECKED:
                quote.last_check = check
        if quotes:
            Quote.objects.bulk_update(quotes, Quote.PIPELINE_FIELDS)
        for name, value in changes.items():
            setattr(self, name, value)
        self.attempts, self.lease_until, self.lease_owner = 0, None, ""
        # The check is written: give the lease back in the same statement.
        Source.objects.filter(pk=self.pk).update(attempts=0, lease_until=None, lease_owner="", **changes)
        if announce_quotes:
            signals.quote_status_changed.send(
                sender=Source, source=self, fetch=fetch,
                changes=[signals.QuoteChange(quote, quote.status, check) for quote, check in announce_quotes],
            )  # fmt: skip
        if announce_liveness:
            signals.source_changed.send(sender=Source, source=self, fetch=fetch, liveness=announce_liveness)
        return fetch

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
    language = models.CharField(
        max_length=8, blank=True, help_text="ISO 639-1, declared by the page or detected; chooses the substance rules"
    )

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

    class Tier(models.TextChoices):
        """How the content compared with our copy, cheapest test first (DESIGN §5.7)."""

        FIRST = "first", "First copy"
        NOT_MODIFIED = "not_modified", "Not modified (304)"
        SAME_RAW = "same_raw", "Same bytes"
        MARKUP_NOISE = "markup_noise", "Markup only: the text is the same"
        COSMETIC = "cosmetic", "Cosmetic: only case, punctuation or spacing"
        FLIP_FLOP = "flip_flop", "Back to a version we had seen"
        CHANGED = "changed", "Text changed"
        NEEDS_RENDER = "needs_render", "Text could not be read (JavaScript page or extraction failure)"

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
    detail = models.CharField(max_length=500, blank=True, help_text="The verdict in words")
    tier = models.CharField(max_length=20, choices=Tier, blank=True, help_text="How the content compared")
    raw_sha256 = models.CharField(max_length=64, blank=True)
    manual = models.BooleanField(default=False, help_text="Asked for by a person (“check now”), not the schedule")
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

    # Statuses a confirmed re-check announces to the disputes citing the quote (DESIGN §5.9).
    FLAGGED_STATUSES = frozenset(
        {Status.EDITED, Status.EDITED_SUBSTANTIVE, Status.UNCERTAIN, Status.GONE, Status.GONE_WITH_PAGE,
         Status.AMBIGUOUS}
    )  # fmt: skip
    # What a re-check may write on a quote: its state, and the context of a quote imported with only
    # its exact words. Never `exact`, and never a prefix, suffix or position an editor captured.
    PIPELINE_FIELDS = ["status", "last_check", "flagged_status", "prefix", "suffix", "start", "end", "snapshot"]

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
    flagged_status = models.CharField(
        max_length=20, choices=Status, blank=True, help_text="The status the disputes citing this were last told of"
    )

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

    @property
    def needs_context(self) -> bool:
        """Say whether the quote came with only its exact words (an import), so a check may add context."""
        return not self.prefix and not self.suffix and self.start is None

    def excerpt(self, length: int = 60) -> str:
        """Return the start of the passage for a sentence, cut at a word."""
        if len(self.exact) <= length:
            return self.exact
        return self.exact[:length].rsplit(" ", 1)[0] + " …"


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
    note = models.CharField(
        max_length=300, blank=True, help_text="Why the locator said what it said, where the words alone do not"
    )

    class Meta:
        ordering = ["-checked_at"]
        constraints = [models.UniqueConstraint(fields=["fetch", "quote"], name="quotecheck_once_per_fetch")]

    def __str__(self) -> str:
        return f"{self.quote} → {self.status}"


class DomainThrottle(models.Model):
    """One site's turn for fetching, in the embedded mode without Redis (articles.politeness)."""

    domain = models.CharField(max_length=253, unique=True)
    holder = models.CharField(max_length=200, blank=True)
    held_until = models.DateTimeField(null=True, blank=True)
    next_allowed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.domain


class RobotsTxt(models.Model):
    """A site's robots.txt as we last read it, kept for a day (articles.robots)."""

    origin = models.CharField(max_length=300, unique=True, help_text="scheme://host[:port]")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: no answer")
    body = models.TextField(blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.origin}/robots.txt"


class Heartbeat(models.Model):
    """When a periodic job last ran, for /healthz: "dispatcher" is the beat's enqueue_due_sources."""

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name: str) -> None:
        """Record that the job `name` ran just now."""
        cls.objects.update_or_create(name=name, defaults={"at": timezone.now()})

    @classmethod
    def last(cls, name: str) -> dt.datetime | None:
        """Return when the job `name` last ran, or None."""
        return cls.objects.filter(name=name).values_list("at", flat=True).first()
