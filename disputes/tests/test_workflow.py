"""The dispute workflow of DESIGN §4: every transition allowed and refused, each leaving an Event."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F

from disputes.models import (
    Dispute,
    DisputeLink,
    Event,
    FourEyesViolation,
    InvalidTransition,
    Review,
    Revision,
    StaleDispute,
)
from disputes.tests.factories import DisputeFactory, add_link

pytestmark = pytest.mark.django_db


def kinds(dispute: Dispute) -> list[str]:
    return list(Event.objects.filter(dispute=dispute).values_list("kind", flat=True))


# --- submit -----------------------------------------------------------------------------------


def test_submit_sends_a_complete_draft_to_review(draft: Dispute, editor: User) -> None:
    draft.submit(by=editor)
    draft.refresh_from_db()
    assert draft.state == Dispute.State.IN_REVIEW
    assert kinds(draft) == ["submitted"]
    assert Event.objects.get(dispute=draft).actor == editor


def test_submit_needs_an_appearance_and_a_rebuttal(editor: User) -> None:
    dispute = DisputeFactory(created_by=editor)
    add_link(dispute, DisputeLink.Role.REBUTTAL)
    with pytest.raises(InvalidTransition, match="appearance of the claim"):
        dispute.submit(by=editor)
    dispute = DisputeFactory(created_by=editor)
    add_link(dispute, DisputeLink.Role.APPEARANCE)
    with pytest.raises(InvalidTransition, match="at least one rebuttal"):
        dispute.submit(by=editor)
    assert Dispute.objects.filter(state=Dispute.State.IN_REVIEW).count() == 0
    assert not Event.objects.exists()


def test_submit_needs_a_copy_of_every_quoted_source(editor: User) -> None:
    dispute = DisputeFactory(created_by=editor)
    add_link(dispute, DisputeLink.Role.APPEARANCE)
    link = add_link(dispute, DisputeLink.Role.REBUTTAL, snapshot=False)
    with pytest.raises(InvalidTransition, match="We have no copy of") as excinfo:
        dispute.submit(by=editor)
    assert link.statement.quote.source.url in str(excinfo.value)


def test_resubmit_after_changes_requested(in_review: Dispute, editor: User, reviewer: User) -> None:
    in_review.request_changes(by=reviewer, comment="Name the outlet that carried the wire.")
    in_review.submit(by=editor)
    in_review.refresh_from_db()
    assert in_review.state == Dispute.State.IN_REVIEW
    assert kinds(in_review) == ["submitted", "changes_requested", "submitted"]


@pytest.mark.parametrize("state", ["in_review", "rejected"])
def test_submit_is_refused_from_other_states(draft: Dispute, editor: User, state: str) -> None:
    Dispute.objects.filter(pk=draft.pk).update(state=state)
    draft.refresh_from_db()
    with pytest.raises(InvalidTransition):
        draft.submit(by=editor)
    assert Dispute.objects.get(pk=draft.pk).state == state


def test_published_dispute_cannot_be_submitted_without_a_new_revision(published: Dispute, editor: User) -> None:
    with pytest.raises(InvalidTransition):
        published.submit(by=editor)


# --- review decisions ---------------------------------------------------------------------------


def test_publish_writes_a_revision_and_a_public_event(in_review: Dispute, reviewer: User) -> None:
    revision = in_review.publish(by=reviewer, note="Matches the ministry statement")
    in_review.refresh_from_db()
    assert in_review.state == Dispute.State.PUBLISHED
    assert in_review.published_at is not None
    assert in_review.public_revision == revision
    assert in_review.approved_by == reviewer
    assert revision.data["claim_text"] == in_review.claim_text
    assert [link["role"] for link in revision.data["links"]] == ["appearance", "rebuttal"]
    event = Event.objects.get(dispute=in_review, kind="published")
    assert event.public and event.actor == reviewer
    review = Review.objects.get(dispute=in_review)
    assert review.decision == Review.Decision.APPROVE and review.reviewer == reviewer


def test_author_cannot_publish_their_own_dispute(in_review: Dispute, editor: User) -> None:
    with pytest.raises(FourEyesViolation):
        in_review.publish(by=editor)
    in_review.refresh_from_db()
    assert in_review.state == Dispute.State.IN_REVIEW
    assert not Revision.objects.exists()


def test_last_editor_cannot_publish_either(in_review: Dispute, editor_reviewer: User) -> None:
    Dispute.objects.filter(pk=in_review.pk).update(last_edited_by=editor_reviewer)
    in_review.refresh_from_db()
    with pytest.raises(FourEyesViolation):
        in_review.publish(by=editor_reviewer)


def test_reviewer_in_both_roles_may_publish_someone_elses_dispute(in_review: Dispute, editor_reviewer: User) -> None:
    in_review.publish(by=editor_reviewer)
    assert Dispute.objects.get(pk=in_review.pk).state == Dispute.State.PUBLISHED


@pytest.mark.parametrize("method", ["request_changes", "reject"])
def test_review_decisions_need_a_comment(in_review: Dispute, reviewer: User, method: str) -> None:
    with pytest.raises(InvalidTransition, match="Say why"):
        getattr(in_review, method)(by=reviewer, comment="   ")
    assert Dispute.objects.get(pk=in_review.pk).state == Dispute.State.IN_REVIEW
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("method", "state", "decision"),
    [("request_changes", "changes_requested", "request_changes"), ("reject", "rejected", "reject")],
)
def test_review_decisions_record_the_review(
    in_review: Dispute, reviewer: User, method: str, state: str, decision: str
) -> None:
    version = in_review.version
    getattr(in_review, method)(by=reviewer, comment="The rebuttal is a paraphrase, not a quote.")
    in_review.refresh_from_db()
    assert in_review.state == state
    review = Review.objects.get()
    assert (review.decision, review.dispute_version, review.comment) == (
        decision,
        version,
        "The rebuttal is a paraphrase, not a quote.",
    )
    assert kinds(in_review)[-1] == ("changes_requested" if method == "request_changes" else "rejected")


@pytest.mark.parametrize("method", ["request_changes", "reject"])
def test_author_cannot_review_their_own_dispute(in_review: Dispute, editor: User, method: str) -> None:
    with pytest.raises(FourEyesViolation):
        getattr(in_review, method)(by=editor, comment="Looks fine to me")


@pytest.mark.parametrize("method", ["publish", "request_changes", "reject"])
def test_review_decisions_refused_outside_review(draft: Dispute, reviewer: User, method: str) -> None:
    with pytest.raises(InvalidTransition):
        getattr(draft, method)(by=reviewer, **({} if method == "publish" else {"comment": "no"}))
    assert Dispute.objects.get(pk=draft.pk).state == Dispute.State.DRAFT


# --- after publication --------------------------------------------------------------------------


def test_new_revision_keeps_the_public_revision_until_approved(
    published: Dispute, editor: User, reviewer: User
) -> None:
    first = published.public_revision
    published.start_revision(by=editor)
    published.update_content(by=editor, version=published.version, claim_text="A reworded claim")
    published.refresh_from_db()
    assert published.state == Dispute.State.DRAFT
    assert published.public_revision == first
    assert first.data["claim_text"] != "A reworded claim"
    published.submit(by=editor)
    second = published.publish(by=reviewer)
    published.refresh_from_db()
    assert published.public_revision == second
    assert second.data["claim_text"] == "A reworded claim"
    assert Event.objects.filter(dispute=published, kind="republished", public=True).count() == 1


def test_start_revision_refused_for_unpublished(draft: Dispute, editor: User) -> None:
    with pytest.raises(InvalidTransition):
        draft.start_revision(by=editor)


def test_withdraw_needs_a_reason_and_keeps_the_page(published: Dispute, reviewer: User) -> None:
    with pytest.raises(InvalidTransition):
        published.withdraw(by=reviewer, reason="")
    published.withdraw(by=reviewer, reason="The Post corrected its report.")
    published.refresh_from_db()
    assert published.state == Dispute.State.WITHDRAWN
    assert published.withdrawal_reason == "The Post corrected its report."
    assert Dispute.objects.public().filter(pk=published.pk).exists()
    assert Event.objects.get(dispute=published, kind="withdrawn").public


def test_withdraw_refused_for_unpublished(in_review: Dispute, reviewer: User) -> None:
    with pytest.raises(InvalidTransition):
        in_review.withdraw(by=reviewer, reason="Not needed")


def test_flag_and_reconfirm(published: Dispute, reviewer: User, editor: User) -> None:
    assert published.flag_for_recheck(reason="The Kyiv Independent article was edited") is True
    assert published.flag_for_recheck(reason="again") is False  # one flag, one event
    published.refresh_from_db()
    assert published.needs_recheck and published.recheck_reason == "The Kyiv Independent article was edited"
    flag = Event.objects.get(dispute=published, kind="flagged")
    assert flag.actor is None and flag.public
    with pytest.raises(FourEyesViolation):
        published.reconfirm(by=editor, note="Fine by me")
    with pytest.raises(InvalidTransition, match="Say why"):
        published.reconfirm(by=reviewer, note="  ")
    published.reconfirm(by=reviewer, note="The edit was a typo fix")
    published.refresh_from_db()
    assert not published.needs_recheck
    assert kinds(published)[-1] == "reconfirmed"


def test_unpublished_disputes_are_never_flagged(draft: Dispute) -> None:
    assert draft.flag_for_recheck(reason="changed") is False
    assert not Event.objects.exists()


# --- concurrency: conditional UPDATE on state + version ----------------------------------------


def test_stale_version_is_refused(in_review: Dispute, reviewer: User, editor_reviewer: User) -> None:
    stale = Dispute.objects.get(pk=in_review.pk)
    in_review.publish(by=reviewer)
    with pytest.raises((StaleDispute, InvalidTransition)):
        stale.reject(by=editor_reviewer, comment="Too late")
    assert Dispute.objects.get(pk=in_review.pk).state == Dispute.State.PUBLISHED
    assert Review.objects.count() == 1


def test_two_reviewers_at_once_give_one_approval(in_review: Dispute, reviewer: User, editor_reviewer: User) -> None:
    mine, theirs = Dispute.objects.get(pk=in_review.pk), Dispute.objects.get(pk=in_review.pk)
    mine.publish(by=reviewer)
    with pytest.raises(StaleDispute):
        # Same state as loaded, so only the version check catches it.
        theirs.state = Dispute.State.IN_REVIEW
        theirs.publish(by=editor_reviewer)
    assert Revision.objects.filter(dispute=in_review).count() == 1
    assert Event.objects.filter(dispute=in_review, kind="published").count() == 1


def test_stale_content_save_is_refused(draft: Dispute, editor: User, other_editor: User) -> None:
    loaded_version = draft.version
    draft.update_content(by=other_editor, version=loaded_version, summary="Their summary")
    with pytest.raises(StaleDispute, match="Someone else saved"):
        draft.update_content(by=editor, version=loaded_version, summary="My summary")
    assert Dispute.objects.get(pk=draft.pk).summary == "Their summary"


def test_content_cannot_change_while_in_review(in_review: Dispute, editor: User) -> None:
    with pytest.raises(InvalidTransition):
        in_review.update_content(by=editor, version=in_review.version, summary="Sneaky edit")


# --- database backstops -----------------------------------------------------------------------


def test_four_eyes_is_enforced_by_the_database(published: Dispute) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.filter(pk=published.pk).update(approved_by=F("created_by"))


def test_last_editor_approval_is_refused_by_the_database(published: Dispute) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.filter(pk=published.pk).update(approved_by=F("last_edited_by"))


def test_one_approval_per_version(published: Dispute, editor_reviewer: User) -> None:
    review = Review.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            dispute=published, dispute_version=review.dispute_version, reviewer=editor_reviewer, decision="approve"
        )


def test_published_without_revision_is_refused_by_the_database(draft: Dispute) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.filter(pk=draft.pk).update(state=Dispute.State.PUBLISHED)


def test_events_are_append_only_even_in_raw_sql(published: Dispute) -> None:
    from django.db import connection

    event = Event.objects.filter(dispute=published).first()
    with pytest.raises(TypeError):
        Event.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE disputes_event SET note = 'rewritten' WHERE id = %s", [event.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM disputes_event WHERE id = %s", [event.pk])
    assert Event.objects.get(pk=event.pk).note == event.note


# --- building a draft -------------------------------------------------------------------------


def test_start_draft_makes_a_unique_slug(editor: User) -> None:
    first = Dispute.start_draft(by=editor, claim_text="Kyiv was told in advance about the Trump–Putin call")
    second = Dispute.start_draft(by=editor, claim_text="Kyiv was told in advance about the Trump–Putin call")
    assert first.slug == "kyiv-was-told-in-advance-about-the-trumpputin-call"
    assert second.slug == first.slug + "-2"
    assert (first.created_by, first.last_edited_by, first.state) == (editor, editor, Dispute.State.DRAFT)
    assert kinds(first) == ["created"]


def test_links_are_added_reordered_changed_and_removed_with_the_version(draft: Dispute, editor: User) -> None:
    from disputes.tests.factories import StatementFactory

    extra = StatementFactory()
    link = draft.add_link(by=editor, version=draft.version, statement=extra, role="context", note="Background")
    order = list(draft.links.order_by("position").values_list("pk", flat=True))
    assert order[-1] == link.pk
    draft.reorder_links(by=editor, version=draft.version, link_ids=[link.pk, *order[:-1]])
    assert draft.links.order_by("position").values_list("pk", flat=True).first() == link.pk
    draft.update_link(by=editor, version=draft.version, link_id=link.pk, role="support", note="Evidence")
    draft.remove_link(by=editor, version=draft.version, link_id=link.pk)
    assert not draft.links.filter(pk=link.pk).exists()
    assert kinds(draft) == ["link_added", "links_reordered", "link_changed", "link_removed"]
    with pytest.raises(StaleDispute):
        draft.add_link(by=editor, version=draft.version - 1, statement=extra, role="context")
    with pytest.raises(InvalidTransition, match="already part"):
        draft.add_link(by=editor, version=draft.version, statement=draft.links.first().statement, role="context")
