"""The journalism: who speaks, what they said where, the disputes that link a claim to its rebuttals,
and the review workflow that decides what readers see (DESIGN §3, §4).

Only the transition methods on `Dispute` change `state`; each one is a conditional UPDATE on
(state, version), so two people acting at once give one success and one clear conflict, and each
leaves an `Event`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from articles.checking import locate_in_current_snapshot
from articles.models import Outlet, Quote, Source
from articles.signals import DetailChange, changed_details, described

User = settings.AUTH_USER_MODEL
CLAIM_MAX_LENGTH = 75  # ClaimReview's claimReviewed should stay under 75 characters


class TransitionError(Exception):
    """A workflow step that cannot happen; the message says why, in words for the person who tried."""


class InvalidTransition(TransitionError):
    pass


class FourEyesViolation(TransitionError):
    pass


class StaleDispute(TransitionError):
    """Someone else changed the dispute since this person loaded it."""


CONTENT_MOVED = (
    "What readers would see has changed since you opened this page: the dispute itself, or a source, "
    "speaker or outlet it cites. Review it again before deciding."
)


def four_eyes_text(contributions: list[str]) -> str:
    """Say why this person may not decide: what they did to this version."""
    return f"You contributed to this version ({'; '.join(contributions)}), so another reviewer must decide on it."


class Actor(models.Model):
    """A person or organisation that speaks."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.PERSON)
    role = models.CharField(max_length=200, blank=True, help_text="e.g. foreign ministry spokesperson")
    organisation = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="members")
    wikidata_qid = models.CharField(max_length=20, blank=True, help_text="e.g. Q42")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "organisation"], name="actor_unique_in_organisation"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(organisation__isnull=True), name="actor_unique_without_organisation"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="actor_name_not_empty"),
            models.CheckConstraint(condition=Q(wikidata_qid="") | Q(wikidata_qid__regex=r"^Q[1-9][0-9]*$"),
                                   name="actor_wikidata_qid_format"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.name})" if self.organisation_id else self.name

    def clean(self) -> None:
        if self.organisation_id and self.organisation_id == self.pk:
            raise ValidationError({"organisation": "An actor cannot be its own organisation."})

    # What readers see of a speaker, and what people call each field. Of a speaker's organisation,
    # readers see the name only.
    DETAILS = {
        "name": "name", "kind": "kind", "role": "role", "organisation": "organisation",
        "wikidata_qid": "Wikidata item",
    }  # fmt: skip

    @transaction.atomic
    def update_details(self, *, by: AbstractBaseUser, **fields: Any) -> list[DetailChange]:
        """Change who this speaker is said to be, and send every dispute that shows it back to review.

        A dispute shows an actor when one of its statements is theirs, or (by name only) when it
        quotes a member of this organisation. Each such dispute records the change; a published one
        goes back to review, and readers keep the approved words until a reviewer approves.
        """
        current = Actor.objects.select_related("organisation").select_for_update(of=("self",)).get(pk=self.pk)
        changes = changed_details(current, fields, self.DETAILS)
        if not changes:
            return []
        written = {change.field: fields[change.field] for change in changes}
        for name, value in written.items():
            setattr(current, name, value)
        current.full_clean()  # the same names, the same organisation rules as a new speaker
        Actor.objects.filter(pk=self.pk).update(**written)
        for name, value in written.items():
            setattr(self, name, value)
        shows = Q(links__statement__speaker=self)
        if "name" in written:
            shows |= Q(links__statement__speaker__organisation=self)
        note = f"Details of {current.name} changed: {described(changes)}."
        SharedRowChange.objects.create(actor=self, user=by, note=note, changes=[c.as_data() for c in changes])
        Dispute.objects.filter(shows).review_changed_details(
            by=by, note=note, data={"actor": self.pk, "changes": [change.as_data() for change in changes]},
            what="changed a cited speaker's details",
        )  # fmt: skip
        return changes


class Statement(models.Model):
    """An attributed assertion as it appears in one source."""

    class Attribution(models.TextChoices):
        DIRECT_QUOTE = "direct_quote", "Direct quote"
        PARAPHRASE = "paraphrase", "Paraphrase"
        ANONYMOUS_OFFICIALS = "anonymous_officials", "Anonymous sources"
        OUTLET_REPORTING = "outlet_reporting", "The outlet's own reporting"

    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, related_name="statements")
    speaker = models.ForeignKey(Actor, on_delete=models.PROTECT, null=True, blank=True, related_name="statements")
    attribution = models.CharField(max_length=30, choices=Attribution, default=Attribution.DIRECT_QUOTE)
    stated_on = models.DateField(null=True, blank=True, help_text="When it was said or first published")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["stated_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(speaker__isnull=False) | Q(attribution__in=["anonymous_officials", "outlet_reporting"]),
                name="statement_quote_has_a_speaker",
            )
        ]

    def __str__(self) -> str:
        who = self.speaker.name if self.speaker_id else self.get_attribution_display()  # type: ignore[attr-defined]
        return f"{who}: {self.quote}"


class DisputeQuerySet(models.QuerySet["Dispute"]):
    def public(self) -> DisputeQuerySet:
        """Disputes readers can see: approved at least once (withdrawn ones stay up as notices)."""
        return self.filter(public_revision__isnull=False)

    def in_review(self) -> DisputeQuerySet:
        return self.filter(state=Dispute.State.IN_REVIEW)

    @transaction.atomic
    def flag_for_recheck(self, reasons: Mapping[int, str], *, by: AbstractBaseUser | None = None) -> list[int]:
        """Flag these public disputes (id → reason) that are not flagged yet; return the ids flagged.

        Three statements whatever the number of disputes, so a re-check of a source cited by many
        disputes costs the same as one cited by a single dispute.
        """
        # Lock the rows first: a flag raised at the same moment elsewhere must not write a second Event.
        ids = list(
            self.filter(pk__in=list(reasons), public_revision__isnull=False, needs_recheck=False)
            .select_for_update()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            return []
        now = timezone.now()
        Dispute.objects.filter(pk__in=ids).update(
            needs_recheck=True,
            recheck_reason=Case(*[When(pk=pk, then=Value(reasons[pk][:500])) for pk in ids]),
            version=F("version") + 1,
            updated_at=now,
            flagged_at=now,
            public_changed_at=now,
        )
        Event.objects.bulk_create(
            [Event(dispute_id=pk, actor=by, kind="flagged", note=reasons[pk], public=True) for pk in ids]
        )
        search.touch_related(ids)  # their "related disputes" lists show the re-check tag
        return ids

    @transaction.atomic
    def review_changed_details(
        self, *, by: AbstractBaseUser | None, note: str, data: dict[str, Any], what: str
    ) -> list[int]:
        """Record a change to a row these disputes show (a source's details, a speaker, an outlet).

        Readers keep the approved words: a published dispute goes back to review, with the change in
        its history and in what the reviewer compares; one in progress carries it into its next
        revision. Whoever changed the row contributed to each of them, so may not approve them
        (four-eyes). Withdrawn disputes are notices and stay as they are. Returns the disputes
        recorded; four statements whatever their number.
        """
        # Lock the rows first: a reviewer approving one of them right now either finishes before
        # (and the dispute goes back to review) or finds its version moved on (409).
        showing = Dispute.objects.filter(pk__in=self.values("pk")).exclude(state=Dispute.State.WITHDRAWN)
        rows = dict(showing.select_for_update().order_by("pk").values_list("pk", "state"))
        if not rows:
            return []
        now = timezone.now()
        published = [pk for pk, state in rows.items() if state == Dispute.State.PUBLISHED]
        Dispute.objects.filter(pk__in=published).update(
            state=Dispute.State.IN_REVIEW, submitted_at=now, approved_by=None, version=F("version") + 1, updated_at=now
        )
        # The others' versions move too, so a decision form opened before this change is refused.
        Dispute.objects.filter(pk__in=set(rows) - set(published)).update(version=F("version") + 1, updated_at=now)
        events = []
        for pk, state in rows.items():
            now_in = Dispute.State.IN_REVIEW if pk in published else state
            events.append(
                Event(dispute_id=pk, actor=by, kind="details_changed", note=note, data={**data, "state": now_in})
            )
        Event.objects.bulk_create(events)
        if by is not None:
            Contributor.record(list(rows), by, what)
        return list(rows)


class Dispute(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        REJECTED = "rejected", "Rejected"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Resolution(models.TextChoices):
        UNRESOLVED = "unresolved", "Unresolved"
        DENIED = "denied", "Denied by the subject"
        CONTRADICTED = "contradicted", "Contradicted by evidence"
        CORRECTED = "corrected", "Corrected by the outlet"
        RETRACTED = "retracted", "Retracted by the outlet"
        CONFIRMED = "confirmed", "Confirmed"

    slug = models.SlugField(max_length=80, unique=True, allow_unicode=False)
    claim_text = models.CharField(max_length=CLAIM_MAX_LENGTH, help_text="The claim in one short, neutral sentence")
    summary = models.TextField(blank=True)
    context = models.TextField(blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution, default=Resolution.UNRESOLVED)
    state = models.CharField(max_length=20, choices=State, default=State.DRAFT, db_index=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock: bumped by every change")
    needs_recheck = models.BooleanField(default=False)
    recheck_reason = models.CharField(max_length=500, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    last_edited_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, help_text="First publication")
    submitted_at = models.DateTimeField(null=True, blank=True, help_text="Last sent to review")
    public_changed_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When what readers see of this dispute last changed: its page's cache validator",
    )  # fmt: skip
    search_vector = SearchVectorField(null=True, editable=False, help_text="Full-text index of the approved revision")
    search_text = models.TextField(blank=True, editable=False, help_text="The same, folded, for substring search")
    flagged_at = models.DateTimeField(null=True, blank=True, help_text="When the current re-check flag was raised")
    public_revision = models.ForeignKey(
        "Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="What readers see: the latest approved revision",
    )  # fmt: skip

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        permissions = [("review_dispute", "Can approve, reject or withdraw disputes")]
        constraints = [
            # Four-eyes, enforced by the database as well as by the permission check.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("created_by")),
                name="dispute_approver_is_not_author",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("last_edited_by")),
                name="dispute_approver_is_not_last_editor",
            ),
            models.CheckConstraint(condition=~Q(claim_text=""), name="dispute_claim_not_empty"),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(public_revision__isnull=False),
                name="dispute_published_has_revision",
            ),
        ]

    def __str__(self) -> str:
        return self.claim_text

    def get_absolute_url(self) -> str:
        return reverse("disputes:dispute-detail", args=[self.slug])

    @classmethod
    def start_draft(cls, *, by: AbstractBaseUser, claim_text: str, **fields: Any) -> Dispute:
        """Open a new draft with a slug made from its claim, unique among all disputes."""
        base = slugify(claim_text)[:70].strip("-") or "dispute"
        for attempt in range(1, 50):
            slug = base if attempt == 1 else f"{base}-{attempt}"
            try:
                with transaction.atomic():
                    dispute = cls.objects.create(
                        slug=slug, claim_text=claim_text, created_by=by, last_edited_by=by, **fields
                    )
                    Event.objects.create(dispute=dispute, actor=by, kind="created")
                    return dispute
            except IntegrityError:
                if not cls.objects.filter(slug=slug).exists():
                    raise  # another constraint: let the caller see it
        raise InvalidTransition("Could not find a free address for this dispute; reword the claim.")

    # --- workflow -----------------------------------------------------------------------------

    def _transition(
        self,
        *,
        to: str,
        allowed_from: Iterable[str],
        by: AbstractBaseUser | None,
        kind: str,
        note: str = "",
        public: bool = False,
        fields: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Move to `to` with a conditional UPDATE on state and version, and record an Event."""
        allowed_from = list(allowed_from)
        if self.state not in allowed_from:
            raise InvalidTransition(
                f"A dispute that is {self.get_state_display().lower()} cannot be {kind.replace('_', ' ')}."  # type: ignore[attr-defined]
            )
        now = timezone.now()
        changes = {"state": to, "updated_at": now, **(fields or {})}
        if public:  # readers see this step: their page's cache validator moves
            changes["public_changed_at"] = now
        # Conditional UPDATE: someone else may have acted on this dispute since it was loaded.
        updated = Dispute.objects.filter(pk=self.pk, state__in=allowed_from, version=self.version).update(
            version=F("version") + 1, **changes
        )
        if not updated:
            raise StaleDispute("Someone else changed this dispute a moment ago. Reload it to see what they did.")
        for name, value in changes.items():
            setattr(self, name, value)
        self.version += 1
        Event.objects.create(
            dispute=self, actor=by, kind=kind, note=note, public=public, data={"state": to, **(data or {})}
        )

    def contributions_of(self, user: Any) -> list[str]:
        """Say what this person did to what the next approval covers; empty when they may decide on it.

        The author always counts; so do the last editor and everyone with an open `Contributor` row:
        editors of the text and links, writers of cited statements, capturers of cited quotes, and
        whoever changed a source, speaker or outlet the dispute shows since it was last approved.
        """
        key = (getattr(user, "pk", None), self.version)
        cached = getattr(self, "_contributions", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        done = []
        if user.pk is not None and user.pk == self.created_by_id:
            done.append("wrote this dispute")
        if user.pk is not None and user.pk == self.last_edited_by_id:
            done.append("edited it last")
        if user.pk is not None and self.pk is not None:
            rows = self.contributors.pending()
            if self.state == self.State.PUBLISHED and self.public_revision_id:
                # Nothing is pending: the decision (a re-confirmation) is about the version readers see.
                rows = self.contributors.filter(Q(approved_in__isnull=True) | Q(approved_in=self.public_revision_id))
            rows = rows.filter(user_id=user.pk).order_by("created_at", "pk")
            done += list(rows.values_list("what", flat=True))
        self._contributions = (key, done)
        return done

    def _check_four_eyes(self, by: AbstractBaseUser) -> None:
        done = self.contributions_of(by)
        if done:
            raise FourEyesViolation(four_eyes_text(done))

    def _require_comment(self, comment: str, what: str) -> str:
        comment = (comment or "").strip()
        if not comment:
            raise InvalidTransition(f"Say why you {what}: the editor needs to know what to do next.")
        return comment

    def _locate_unchecked_quotes(self) -> None:
        """Locate in our copy each cited quote never checked (imported, say): readers never see "not yet
        checked" for a passage we hold a copy of. Quotes whose source we hold no copy of stay as they are."""
        unchecked = Quote.objects.filter(statements__links__dispute=self, status=Quote.Status.NOT_CHECKED)
        for quote in unchecked.distinct():
            locate_in_current_snapshot(quote)

    def submission_problems(self) -> list[str]:
        """List what stops this dispute from going to review, in words for the editor."""
        problems = []
        links = list(self.links.select_related("statement__quote__source"))
        roles = {link.role for link in links}
        if DisputeLink.Role.APPEARANCE not in roles:
            problems.append("Add at least one appearance of the claim.")
        if DisputeLink.Role.REBUTTAL not in roles:
            problems.append("Add at least one rebuttal.")
        unsnapshotted = sorted(
            {link.statement.quote.source.url for link in links if not link.statement.quote.source.current_snapshot_id}
        )
        for url in unsnapshotted:
            problems.append(f"We have no copy of {url} yet: fetch it before submitting.")
        return problems

    @transaction.atomic
    def submit(self, *, by: AbstractBaseUser, note: str = "") -> None:
        """Send the dispute to reviewers."""
        problems = self.submission_problems()
        if problems:
            raise InvalidTransition(" ".join(problems))
        self._transition(
            to=self.State.IN_REVIEW,
            allowed_from=[self.State.DRAFT, self.State.CHANGES_REQUESTED],
            by=by,
            kind="submitted",
            note=note,
            fields={"submitted_at": timezone.now()},
        )

    @transaction.atomic
    def request_changes(self, *, by: AbstractBaseUser, comment: str) -> None:
        """Send the dispute back to its editor with a comment."""
        comment = self._require_comment(comment, "are asking for changes")
        self._check_four_eyes(by)
        version = self.version
        self._transition(
            to=self.State.CHANGES_REQUESTED, allowed_from=[self.State.IN_REVIEW], by=by,
            kind="changes_requested", note=comment,
        )  # fmt: skip
        Review.objects.create(
            dispute=self, dispute_version=version, reviewer=by, decision=Review.Decision.REQUEST_CHANGES,
            comment=comment,
        )  # fmt: skip

    @transaction.atomic
    def reject(self, *, by: AbstractBaseUser, comment: str) -> None:
        """Decide the dispute should not be published as it stands."""
        comment = self._require_comment(comment, "are rejecting it")
        self._check_four_eyes(by)
        version = self.version
        self._transition(to=self.State.REJECTED, allowed_from=[self.State.IN_REVIEW], by=by, kind="rejected",
                         note=comment)  # fmt: skip
        Review.objects.create(
            dispute=self, dispute_version=version, reviewer=by, decision=Review.Decision.REJECT, comment=comment
        )

    @transaction.atomic
    def publish(self, *, by: AbstractBaseUser, note: str = "", seen_hash: str | None = None) -> Revision:
        """Approve the dispute as it stands and show it to readers.

        `seen_hash` is the `content_hash` of the would-be revision the reviewer was shown: when any
        word of it has changed since (the dispute, its links, a statement, a speaker, a source's
        details), the approval is refused, so readers never see words nobody approved. None approves
        what stands now (imports, tests, the console).
        """
        self._check_four_eyes(by)
        if self.state != self.State.IN_REVIEW:
            raise InvalidTransition(
                f"Only a dispute in review can be published; this one is {self.get_state_display().lower()}."  # type: ignore[attr-defined]
            )
        # Before the dispute's lock: a check locks quotes, then disputes; this must not do the reverse.
        self._locate_unchecked_quotes()
        # Lock the row first: a second reviewer approving at the same moment waits here, then finds
        # the version moved on and gets a clear conflict instead of a duplicate revision.
        now_state = Dispute.objects.select_for_update().filter(pk=self.pk).values_list("state", "version").first()
        if now_state is None or now_state[0] != self.State.IN_REVIEW:
            raise StaleDispute("Someone else decided on this dispute a moment ago. Reload it to see what they did.")
        if now_state[1] != self.version:
            raise StaleDispute(CONTENT_MOVED)  # still in review, but not as the reviewer saw it
        version = self.version
        previous = self.public_revision.data if self.public_revision_id else None  # type: ignore[union-attr]
        data = self.frozen()
        digest = content_hash(data)
        if seen_hash is not None and seen_hash != digest:
            raise StaleDispute(CONTENT_MOVED)
        # The database refuses this row when the approver has an open contribution (migration 0007).
        revision = Revision.objects.create(
            dispute=self, dispute_version=version, data=data, content_hash=digest, approved_by=by,
            author=self.created_by, editor=self.last_edited_by,
        )  # fmt: skip
        self.contributors.pending().update(approved_in=revision)
        SharedRowChange.objects.pending().shown_in(self.links.all()).update(approved_in=revision)
        now = timezone.now()
        first = self.published_at is None
        # Readers see what changed since the version they could read before, in words, in the history.
        changed = changes_since(previous, revision.data).in_words() if previous is not None else []
        self._transition(
            to=self.State.PUBLISHED, allowed_from=[self.State.IN_REVIEW], by=by,
            kind="published" if first else "republished", note=note, public=True,
            fields={"approved_by": by, "public_revision": revision, "published_at": self.published_at or now,
                    "needs_recheck": False, "recheck_reason": ""},
            data={"changes": changed} if changed else None,
        )  # fmt: skip
        Review.objects.create(
            dispute=self, dispute_version=version, reviewer=by, decision=Review.Decision.APPROVE, comment=note
        )
        search.index(self, revision.data)
        return revision

    @transaction.atomic
    def start_revision(self, *, by: AbstractBaseUser, note: str = "") -> None:
        """Open a published dispute for editing; readers keep the last approved revision meanwhile."""
        if self.public_revision_id is None:
            raise InvalidTransition("Only a published dispute can be revised.")
        self._transition(
            to=self.State.DRAFT, allowed_from=[self.State.PUBLISHED, self.State.REJECTED], by=by,
            kind="revision_started", note=note,
            # The approval was of the last revision (its Revision row keeps who gave it); the next one
            # needs its own, and whoever approved the last may now edit this one.
            fields={"approved_by": None},
        )  # fmt: skip

    @transaction.atomic
    def withdraw(self, *, by: AbstractBaseUser, reason: str) -> None:
        """Take a published dispute down; its page stays up as a withdrawal notice."""
        reason = self._require_comment(reason, "are withdrawing it")
        if self.public_revision_id is None:
            raise InvalidTransition("Only a dispute readers can see can be withdrawn; reject a draft instead.")
        # A public dispute may be withdrawn while a new revision of it is being written or reviewed:
        # the withdrawal notice replaces what readers see at once.
        shown = [state for state in self.State.values if state != self.State.WITHDRAWN]
        self._transition(
            to=self.State.WITHDRAWN, allowed_from=shown, by=by, kind="withdrawn", note=reason, public=True,
            # The withdrawal settles any re-check: readers see one notice, the reason for withdrawal.
            fields={"withdrawal_reason": reason, "needs_recheck": False, "recheck_reason": ""},
        )  # fmt: skip
        search.touch_related([self.pk])  # their "related disputes" lists drop this one

    @transaction.atomic
    def send_back(self, *, by: AbstractBaseUser, comment: str) -> None:
        """Ask the editors to revise a published dispute (after a re-check); readers keep the approved text."""
        comment = self._require_comment(comment, "are sending it back")
        if not self.needs_recheck:
            raise InvalidTransition(
                "Only a dispute flagged by a re-check is sent back; otherwise start a new revision."
            )
        version = self.version
        self._transition(
            to=self.State.CHANGES_REQUESTED, allowed_from=[self.State.PUBLISHED], by=by, kind="sent_back",
            note=comment, fields={"approved_by": None},
        )  # fmt: skip
        Review.objects.create(
            dispute=self, dispute_version=version, reviewer=by, decision=Review.Decision.REQUEST_CHANGES,
            comment=comment,
        )  # fmt: skip

    def flag_for_recheck(self, *, reason: str, by: AbstractBaseUser | None = None) -> bool:
        """Mark a published dispute whose sources changed; return False if it was already flagged."""
        if not Dispute.objects.filter(pk=self.pk).flag_for_recheck({self.pk: reason}, by=by):
            return False
        self.refresh_from_db(fields=["needs_recheck", "recheck_reason", "version", "updated_at"])
        return True

    @transaction.atomic
    def reconfirm(self, *, by: AbstractBaseUser, note: str) -> None:
        """Clear the re-check flag after a reviewer has looked at what changed, saying what they found."""
        self._check_four_eyes(by)
        note = self._require_comment(note, "are confirming it still stands")
        updated = Dispute.objects.filter(pk=self.pk, needs_recheck=True, version=self.version).update(
            needs_recheck=False,
            recheck_reason="",
            version=F("version") + 1,
            updated_at=timezone.now(),
            public_changed_at=timezone.now(),
        )
        if not updated:
            raise StaleDispute("This dispute is not flagged any more, or someone else changed it. Reload it.")
        self.refresh_from_db(fields=["needs_recheck", "recheck_reason", "version", "updated_at", "public_changed_at"])
        Event.objects.create(dispute=self, actor=by, kind="reconfirmed", note=note, public=True)
        search.touch_related([self.pk])

    @transaction.atomic
    def update_content(self, *, by: AbstractBaseUser, version: int, **fields: Any) -> None:
        """Save an editor's changes to the text, refusing a save based on a stale version."""
        editable = {"claim_text", "summary", "context", "resolution"}
        unknown = set(fields) - editable
        if unknown:
            raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
        self._claim_edit(by=by, version=version, **fields)
        Event.objects.create(dispute=self, actor=by, kind="edited", data={"fields": sorted(fields)})

    def _claim_edit(self, *, by: AbstractBaseUser, version: int, **fields: Any) -> None:
        """Bump the version of an editable dispute from `version`, or raise: the one gate for every edit."""
        editable_states = [self.State.DRAFT, self.State.CHANGES_REQUESTED]
        if self.state not in editable_states:
            raise InvalidTransition("Start a new revision before editing a dispute that is in review or published.")
        now = timezone.now()
        # Conditional UPDATE: a save based on a version someone else has moved past is refused.
        updated = Dispute.objects.filter(pk=self.pk, version=version, state__in=editable_states).update(
            version=F("version") + 1, last_edited_by=by, updated_at=now, **fields
        )
        if not updated:
            raise StaleDispute("Someone else saved this dispute after you opened it. Reload to see their changes.")
        for name, value in fields.items():
            setattr(self, name, value)
        self.version = version + 1
        self.last_edited_by = by  # type: ignore[assignment]
        self.updated_at = now
        Contributor.record([self.pk], by, "edited the dispute")

    @transaction.atomic
    def add_link(
        self, *, by: AbstractBaseUser, version: int, statement: Statement, role: str, note: str = ""
    ) -> DisputeLink:
        """Cite a statement in this dispute, in a role, at the end of the list."""
        if role not in DisputeLink.Role.values:
            raise InvalidTransition(f"Unknown role: {role}.")
        if self.links.filter(statement=statement).exists():
            raise InvalidTransition("This statement is already part of the dispute.")
        # Lock the rows the statement shows before the dispute (the order `update_details` takes them
        # in): a change to one of them made at this moment is either seen below or sees this link.
        quote = Quote.objects.select_related("source").get(pk=statement.quote_id)
        Source.objects.select_for_update().filter(pk=quote.source_id).values("pk").first()
        Outlet.objects.select_for_update().filter(pk=quote.source.outlet_id).values("pk").first()
        speakers = [pk for pk in (statement.speaker_id, getattr(statement.speaker, "organisation_id", None)) if pk]
        list(Actor.objects.select_for_update().filter(pk__in=speakers).order_by("pk").values("pk"))
        self._claim_edit(by=by, version=version)
        position = (self.links.aggregate(models.Max("position"))["position__max"] or 0) + 1
        link = DisputeLink.objects.create(dispute=self, statement=statement, role=role, note=note, position=position)
        # The words come in with their authors: whoever attributed the statement and captured its quote,
        # and whoever changed the source, outlet or speaker it shows in a way no approval has covered yet.
        Contributor.record([self.pk], statement.created_by_id, "wrote a cited statement")
        Contributor.record([self.pk], statement.quote.captured_by_id, "captured a cited quote")
        for user_id, what in SharedRowChange.objects.pending().shown_by(DisputeLink.objects.filter(pk=link.pk)):
            Contributor.record([self.pk], user_id, what)
        Event.objects.create(dispute=self, actor=by, kind="link_added", data={"link": link.pk, "role": role})
        return link

    @transaction.atomic
    def remove_link(self, *, by: AbstractBaseUser, version: int, link_id: int) -> None:
        """Stop citing a statement in this dispute (the statement itself stays)."""
        link = self.links.filter(pk=link_id).first()
        if link is None:
            raise InvalidTransition("That statement is no longer part of this dispute.")
        self._claim_edit(by=by, version=version)
        link.delete()
        Event.objects.create(dispute=self, actor=by, kind="link_removed", data={"statement": link.statement_id})

    @transaction.atomic
    def reorder_links(self, *, by: AbstractBaseUser, version: int, link_ids: list[int]) -> None:
        """Put the dispute's links in this order (every link, each once)."""
        current = set(self.links.values_list("pk", flat=True))
        if set(link_ids) != current or len(link_ids) != len(current):
            raise InvalidTransition("The list of statements changed meanwhile. Reload to see it.")
        self._claim_edit(by=by, version=version)
        links = list(self.links.all())
        order = {pk: position for position, pk in enumerate(link_ids, start=1)}
        for link in links:
            link.position = order[link.pk]
        DisputeLink.objects.bulk_update(links, ["position"])
        Event.objects.create(dispute=self, actor=by, kind="links_reordered", data={"order": link_ids})

    @transaction.atomic
    def update_link(self, *, by: AbstractBaseUser, version: int, link_id: int, role: str, note: str) -> None:
        """Change the role or note of one link."""
        if role not in DisputeLink.Role.values:
            raise InvalidTransition(f"Unknown role: {role}.")
        if not self.links.filter(pk=link_id).exists():
            raise InvalidTransition("That statement is no longer part of this dispute.")
        self._claim_edit(by=by, version=version)
        DisputeLink.objects.filter(pk=link_id).update(role=role, note=note)
        Event.objects.create(dispute=self, actor=by, kind="link_changed", data={"link": link_id, "role": role})

    @transaction.atomic
    def restore_imported(
        self,
        *,
        state: str,
        published_at: Any = None,
        withdrawal_reason: str = "",
        needs_recheck: bool = False,
        recheck_reason: str = "",
        changed: Iterable[str] = (),
        content: Mapping[str, Any] | None = None,
    ) -> bool:
        """Put the dispute in the state an import file gives it; return False when nothing differed.

        `published_at` is an aware datetime, or None to keep the first publication time. `changed`
        names what the importer has already written (links), and `content` the text fields to write
        here, in the same UPDATE, so that one version bump and one Event record the whole import.
        An import is the system's act (actor None) and skips review: a published or withdrawn
        dispute gets a Revision of its content as it now stands, because public pages render only
        revisions. Nothing is written when the dispute already matches, so
        importing the same file twice leaves no trace.
        """
        if state not in self.State.values:
            raise InvalidTransition(f"“{state}” is not a state a dispute can be in.")
        shown = state in {self.State.PUBLISHED, self.State.WITHDRAWN}
        if shown and published_at is None:
            published_at = self.published_at or timezone.now()
        wanted = {
            "state": state,
            "published_at": published_at,
            "withdrawal_reason": withdrawal_reason,
            "needs_recheck": needs_recheck,
            "recheck_reason": recheck_reason,
        }
        fields: dict[str, Any] = {name: value for name, value in wanted.items() if getattr(self, name) != value}
        for name, value in (content or {}).items():
            if getattr(self, name) != value:
                fields[name] = value
                setattr(self, name, value)  # before frozen() below, which reads them
        revision = None
        if shown:
            self._locate_unchecked_quotes()
            data = self.frozen()
            if self.public_revision_id is None or self.public_revision.data != data:  # type: ignore[union-attr]
                # Work on the desk no reviewer has approved must not go out with the file's words.
                hands = self.contributors.pending().select_related("user")
                if hands:
                    who = "; ".join(f"{hand.user.get_username()} {hand.what}" for hand in hands)
                    raise InvalidTransition(
                        f"“{self.slug}” has changes on the desk that no reviewer has approved ({who}): "
                        "decide on them in the review queue first, or import this dispute as a draft."
                    )
                revision = Revision.objects.create(
                    dispute=self, dispute_version=self.version, data=data, content_hash=content_hash(data),
                    approved_by=None, author=self.created_by, editor=self.last_edited_by,
                )  # fmt: skip
                self.contributors.pending().update(approved_in=revision)
                fields["public_revision"] = revision
        names = sorted(set(changed) | set(fields))
        if not names:
            return False
        now = timezone.now()
        if shown or self.public_revision_id:
            fields["public_changed_at"] = now
        # Conditional UPDATE: someone may have acted on this dispute while the import ran.
        updated = Dispute.objects.filter(pk=self.pk, version=self.version).update(
            version=F("version") + 1, updated_at=now, **fields
        )
        if not updated:
            raise StaleDispute("Someone else changed this dispute during the import. Run the import again.")
        for name, value in fields.items():
            setattr(self, name, value)
        self.version += 1
        self.updated_at = now
        Event.objects.create(
            dispute=self, actor=None, kind="imported", public=revision is not None,
            data={"state": state, "fields": names},
        )  # fmt: skip
        if revision is not None:
            search.index(self, revision.data)
        return True

    # --- publication ----------------------------------------------------------------------------

    def frozen(self) -> dict[str, Any]:
        """Return the dispute as readers will see it, as plain JSON data for a Revision."""
        links = self.links.select_related(
            "statement__quote__source__outlet", "statement__speaker__organisation"
        ).order_by("position", "pk")
        return {
            "claim_text": self.claim_text,
            "summary": self.summary,
            "context": self.context,
            "resolution": self.resolution,
            "links": [link.frozen() for link in links],
        }


class DisputeLink(models.Model):
    """The edge between a dispute and a statement, with its own role and note."""

    class Role(models.TextChoices):
        APPEARANCE = "appearance", "Appearance of the claim"
        REBUTTAL = "rebuttal", "Rebuttal"
        SUPPORT = "support", "Supporting evidence"
        CONTEXT = "context", "Context"
        CORRECTION = "correction", "Correction notice"

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="links")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="links")
    role = models.CharField(max_length=20, choices=Role)
    note = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["dispute", "statement"], name="link_statement_once")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.statement}"  # type: ignore[attr-defined]

    def frozen(self) -> dict[str, Any]:
        statement, quote = self.statement, self.statement.quote
        source = quote.source
        speaker = statement.speaker
        return {
            "statement": statement.pk,
            "role": self.role,
            "note": self.note,
            "attribution": statement.attribution,
            "stated_on": statement.stated_on.isoformat() if statement.stated_on else None,
            "speaker": None
            if speaker is None
            else {
                "id": speaker.pk,
                "name": speaker.name,
                "role": speaker.role,
                "kind": speaker.kind,
                "organisation": speaker.organisation.name if speaker.organisation_id else "",
                "wikidata_qid": speaker.wikidata_qid,
            },
            # The words only: their context (prefix, suffix) anchors the quote for the checker, which may
            # re-anchor it; readers never see it, so it is not part of what a reviewer approves.
            "quote": {"id": quote.pk, "exact": quote.exact},
            "source": {
                "id": source.pk,
                "url": source.url,
                "title": source.title,
                "byline": source.byline,
                "language": source.language,
                "outlet": source.outlet.name if source.outlet_id else "",
                "outlet_homepage": source.outlet.homepage if source.outlet_id else "",
                "published_at": source.published_at.isoformat() if source.published_at else None,
            },
        }


class Review(models.Model):
    class Decision(models.TextChoices):
        APPROVE = "approve", "Approved"
        REQUEST_CHANGES = "request_changes", "Changes requested"
        REJECT = "reject", "Rejected"

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="reviews")
    dispute_version = models.PositiveIntegerField()
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "dispute_version"],
                condition=Q(decision="approve"),
                name="review_one_approval_per_version",
            ),
            models.CheckConstraint(condition=Q(decision="approve") | ~Q(comment=""), name="review_comment_required"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_decision_display()} v{self.dispute_version}"  # type: ignore[attr-defined]


class Revision(models.Model):
    """A frozen copy of a dispute as approved. Public pages render the latest one."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="revisions")
    dispute_version = models.PositiveIntegerField()
    data = models.JSONField()
    content_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the data: what was approved")
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    author = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    editor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "dispute_version"], name="revision_once_per_version"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("author")),
                name="revision_approver_is_not_author",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("editor")),
                name="revision_approver_is_not_editor",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.dispute} (v{self.dispute_version})"


def content_hash(data: Mapping[str, Any]) -> str:
    """Hash a would-be revision: equal hashes, equal words for readers (keys sorted, no spacing)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def frozen_moment(value: object) -> dt.datetime | None:
    """Read a time frozen as ISO text, so that it goes out spelled like every other time."""
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


class SharedRowChangeQuerySet(models.QuerySet["SharedRowChange"]):
    def pending(self) -> SharedRowChangeQuerySet:
        """Changes no reviewer has approved yet in a revision showing the row."""
        return self.filter(approved_in__isnull=True)

    def shown_in(self, links: models.QuerySet[DisputeLink]) -> SharedRowChangeQuerySet:
        """Changes to the rows these links show: their sources, outlets, speakers and organisations."""
        return self.filter(
            Q(source__in=links.values("statement__quote__source_id"))
            | Q(outlet__in=links.values("statement__quote__source__outlet_id"))
            | Q(actor__in=links.values("statement__speaker_id"))
            | Q(actor__in=links.values("statement__speaker__organisation_id"))
        )

    def shown_by(self, links: models.QuerySet[DisputeLink]) -> list[tuple[int, str]]:
        """Who made these changes to the rows the links show, and what to call their hand in it."""
        rows = self.shown_in(links).filter(user__isnull=False).values_list("user_id", "source_id", "outlet_id")
        return sorted(
            {
                (user_id, "changed a cited source's details" if source_id else
                 "changed a cited outlet's details" if outlet_id else "changed a cited speaker's details")
                for user_id, source_id, outlet_id in rows
            }
        )  # fmt: skip


class SharedRowChange(models.Model):
    """A change someone made by hand to a row many disputes show: a source's details, an outlet, a speaker.

    The record of every such change, whether or not a dispute shows the row yet, and the four-eyes
    memory of it: until a reviewer approves a revision showing the row (`approved_in`), whoever made the
    change contributed to every dispute that comes to show it, and may not approve that dispute.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outlet = models.ForeignKey("articles.Outlet", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(help_text="What changed, in words: headline “A” → “B”")
    changes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    approved_in = models.ForeignKey(
        Revision, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The first approval of a revision showing the row after this change",
    )  # fmt: skip

    objects = SharedRowChangeQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__isnull=False, outlet__isnull=True, actor__isnull=True)
                | Q(source__isnull=True, outlet__isnull=False, actor__isnull=True)
                | Q(source__isnull=True, outlet__isnull=True, actor__isnull=False),
                name="shared_row_change_of_one_row",
            )
        ]
        indexes = [models.Index(fields=["approved_in"], name="shared_row_change_pending")]

    def __str__(self) -> str:
        return self.note


class ContributorQuerySet(models.QuerySet["Contributor"]):
    def pending(self) -> ContributorQuerySet:
        """Contributions the next approval will cover: made since the last one."""
        return self.filter(approved_in__isnull=True)


class Contributor(models.Model):
    """Someone whose work is part of what the next approval of a dispute covers.

    Four-eyes counts every hand: the dispute's editors, whoever wrote a statement or captured a quote
    it cites, and whoever changed a source, speaker or outlet it shows (the author needs no row: every
    check reads `Dispute.created_by`). Rows are written by the model methods that make those changes;
    an approval closes them (`approved_in`), and a database trigger refuses a Revision approved by the
    author or by someone with an open row (migration 0007).
    """

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="contributors")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=80, help_text="e.g. “edited the dispute”")
    created_at = models.DateTimeField(default=timezone.now)
    approved_in = models.ForeignKey(
        Revision, on_delete=models.PROTECT, null=True, blank=True, related_name="contributors",
        help_text="The approval that covered this work; empty while it waits for one",
    )  # fmt: skip

    objects = ContributorQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "user", "what"],
                condition=Q(approved_in__isnull=True),
                name="contributor_once_a_round",
            )
        ]
        indexes = [models.Index(fields=["dispute", "user"], name="contributor_lookup")]

    def __str__(self) -> str:
        return f"{self.user} {self.what}"

    @classmethod
    def record(cls, dispute_ids: Iterable[int], user: Any, what: str) -> None:
        """Count this person among the contributors of these disputes' next approval (once each)."""
        user_id = getattr(user, "pk", user)
        if user_id is None:
            return
        rows = [cls(dispute_id=pk, user_id=user_id, what=what) for pk in dispute_ids]
        cls.objects.bulk_create(rows, ignore_conflicts=True)


class EventQuerySet(models.QuerySet["Event"]):
    def bulk_create(self, objs: Iterable[Event], *args: Any, **kwargs: Any) -> list[Event]:
        events = super().bulk_create(objs, *args, **kwargs)
        Notification.fan_out(events)
        return events

    def update(self, **kwargs: Any) -> int:
        raise TypeError("Events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Events are append-only.")


class Event(models.Model):
    """Append-only history of what happened to a dispute or a source. `actor` empty = the system."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=40)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(default=False, help_text="Shown on the public timeline")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dispute__isnull=False) | Q(source__isnull=False), name="event_is_about_something"
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("Events are append-only.")
        super().save(*args, **kwargs)
        Notification.fan_out([self])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Events are append-only.")

    PUBLIC_WORDING = {
        "published": "Published",
        "republished": "Updated and approved again",
        "withdrawn": "Withdrawn",
        "flagged": "Flagged for re-check",
        "reconfirmed": "Re-checked and confirmed",
        "imported": "Imported",
    }
    # Whose note readers see in the public history: the reason for a withdrawal or a flag, and what a
    # reviewer found when re-confirming. Review comments and approval notes stay on the desk.
    PUBLIC_NOTES = ("withdrawn", "flagged", "reconfirmed")
    DESK_WORDING = {
        "created": "Draft opened",
        "edited": "Text edited",
        "submitted": "Sent to review",
        "changes_requested": "Changes requested",
        "rejected": "Rejected",
        "published": "Approved and published",
        "republished": "New revision approved",
        "revision_started": "New revision started",
        "withdrawn": "Withdrawn",
        "flagged": "Flagged: a cited source changed",
        "reconfirmed": "Re-checked and confirmed",
        "sent_back": "Sent back to the editors after a re-check",
        "link_added": "Statement cited",
        "link_removed": "Statement removed",
        "link_changed": "Statement's role or note changed",
        "links_reordered": "Statements reordered",
        "imported": "Imported",
        "changed_outside_workflow": "Changed outside the workflow (database or admin)",
        "details_changed": "A cited source, speaker or outlet changed",
    }

    @property
    def public_text(self) -> str:
        return self.PUBLIC_WORDING.get(self.kind, self.kind.replace("_", " ").capitalize())

    @property
    def desk_text(self) -> str:
        return self.DESK_WORDING.get(self.kind, self.kind.replace("_", " ").capitalize())


class PublicFacet(models.Model):
    """A speaker, outlet or source of a dispute's approved revision: what readers filter by, and how
    related disputes are found. Rewritten by `disputes.search.index` at each approval."""

    class Kind(models.TextChoices):
        SPEAKER = "speaker", "Speaker"
        OUTLET = "outlet", "Outlet"
        SOURCE = "source", "Source"

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="facets")
    kind = models.CharField(max_length=10, choices=Kind)
    key = models.CharField(max_length=300, help_text="Folded name, or the source's id")
    label = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["kind", "key"], name="facet_lookup")]
        constraints = [models.UniqueConstraint(fields=["dispute", "kind", "key"], name="facet_once")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.label}"


class Notification(models.Model):
    """One event that one person should hear about: shown in the desk, mailed in a digest.

    Rows are written in the same transaction as their Event (see `fan_out`), so a rolled-back
    transition notifies nobody. Unlike events, notifications change: they are read and mailed.
    """

    # Who hears about what: the dispute's editors (its author and its last editor), or the reviewers.
    FOR_EDITORS = {
        "changes_requested", "rejected", "published", "republished", "flagged", "sent_back", "withdrawn",
        "details_changed",
    }  # fmt: skip
    FOR_REVIEWERS = {"submitted", "flagged", "details_changed"}

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "event"], name="notification_once_per_event")]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["emailed_at", "recipient"], name="notification_unmailed"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} ← {self.event}"

    @classmethod
    def mark_seen(cls, recipient: Any, dispute_id: int) -> int:
        """Mark as read this person's unread news about this dispute (they have opened it); one UPDATE."""
        unread = cls.objects.filter(recipient=recipient, read_at__isnull=True, event__dispute_id=dispute_id)
        return unread.update(read_at=timezone.now())

    @classmethod
    def fan_out(cls, events: Iterable[Event]) -> None:
        """Write a notification for each person who should hear of these events: three queries at most."""
        events = [event for event in events if event.dispute_id and event.kind in cls.FOR_EDITORS | cls.FOR_REVIEWERS]
        if not events:
            return
        editors_of = {
            pk: {created, edited} - {None}
            for pk, created, edited in Dispute.objects.filter(pk__in={e.dispute_id for e in events}).values_list(
                "pk", "created_by_id", "last_edited_by_id"
            )
        }
        reviewers: set[int] = set()
        if any(event.kind in cls.FOR_REVIEWERS for event in events):
            people = get_user_model().objects.filter(groups__name="reviewers", is_active=True)
            reviewers = set(people.values_list("pk", flat=True))
        rows = []
        for event in events:
            editors = editors_of.get(event.dispute_id, set())
            recipients: set[int] = set()
            if event.kind in cls.FOR_EDITORS:
                recipients |= editors
            # A changed detail calls reviewers only to a dispute now in review (sent back, or waiting already).
            if event.kind in cls.FOR_REVIEWERS and (event.kind != "details_changed" or _sent_to_review(event)):
                # Four-eyes: the dispute's own editors cannot review it, so the review call is not for them.
                recipients |= reviewers - editors
            recipients.discard(event.actor_id)  # nobody needs telling what they just did
            rows += [cls(recipient_id=pk, event=event, created_at=event.created_at) for pk in sorted(recipients)]
        cls.objects.bulk_create(rows, ignore_conflicts=True)


def _sent_to_review(event: Event) -> bool:
    return isinstance(event.data, dict) and event.data.get("state") == Dispute.State.IN_REVIEW


# These read the models above (so they come last): the search index and the comparison of revisions.
from disputes import search  # noqa: E402
from disputes.changes import changes_since  # noqa: E402
