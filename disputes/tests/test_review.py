"""The review side over HTTP: deciding, conflicts, what changed since approval, re-check follow-up, the record."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.tests.factories import SnapshotFactory
from conftest import ensure_roles
from disputes.models import Dispute, DisputeLink, Event, Review, Revision, content_hash
from disputes.tests.factories import add_link, ready_for_review

pytestmark = pytest.mark.django_db


def decide(client: Client, dispute: Dispute, decision: str, comment: str = "", version: int | None = None):
    """Post a decision as the review page's form does: the version and the hash of what the page showed."""
    data = {
        "decision": decision, "comment": comment, "version": version or dispute.version,
        "content_hash": content_hash(dispute.frozen()),
    }  # fmt: skip
    return client.post(reverse("review:decide", args=[dispute.pk]), data)


# --- deciding -----------------------------------------------------------------------------------


def test_approving_publishes_and_the_public_page_shows_it(client: Client, in_review: Dispute, reviewer: User) -> None:
    client.force_login(reviewer)
    response = decide(client, in_review, "approve", "Matches the ministry's statement")
    assert response.status_code == 302 and response["Location"] == reverse("review:queue")
    in_review.refresh_from_db()
    assert in_review.state == Dispute.State.PUBLISHED and in_review.approved_by == reviewer
    client.logout()
    page = client.get(in_review.get_absolute_url()).content.decode()
    assert in_review.claim_text in page and "Published" in page


@pytest.mark.parametrize("decision", ["request_changes", "reject"])
def test_asking_for_changes_or_rejecting_needs_a_comment(
    client: Client, in_review: Dispute, reviewer: User, decision: str
) -> None:
    client.force_login(reviewer)
    response = decide(client, in_review, decision, comment="   ")
    assert response.status_code == 422
    assert "Say why, so the editor knows what to do next." in response.content.decode()
    assert Dispute.objects.get(pk=in_review.pk).state == Dispute.State.IN_REVIEW
    assert not Review.objects.exists()


def test_changes_requested_reach_the_editor_with_the_comment(
    client: Client, in_review: Dispute, reviewer: User, editor: User
) -> None:
    client.force_login(reviewer)
    decide(client, in_review, "request_changes", "Add the ministry's full statement as a second rebuttal")
    client.force_login(editor)
    desk = client.get(reverse("disputes:desk-home")).content.decode()
    assert "Add the ministry&#x27;s full statement as a second rebuttal" in desk


def test_a_decision_on_what_the_reviewer_no_longer_sees_is_a_conflict(
    client: Client, in_review: Dispute, reviewer: User, editor_reviewer: User
) -> None:
    seen = in_review.version
    in_review.request_changes(by=editor_reviewer, comment="Needs a second source")
    client.force_login(reviewer)
    response = decide(client, in_review, "approve", version=seen)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Your decision was not recorded" in page and "Changes requested" in page
    assert Dispute.objects.get(pk=in_review.pk).state == Dispute.State.CHANGES_REQUESTED
    assert not Revision.objects.filter(dispute=in_review).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_approving_at_once_give_one_approval_and_one_conflict() -> None:
    """B-T8: two threads post "approve" for the same version at the same moment."""
    ensure_roles()
    from conftest import _user

    author = _user("author", "editors")
    first, second = _user("first-reviewer", "reviewers"), _user("second-reviewer", "reviewers")
    dispute = ready_for_review(created_by=author, last_edited_by=author)
    dispute.submit(by=author)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def approve(user: User) -> None:
        try:
            client = Client()
            client.force_login(user)
            barrier.wait()
            statuses.append(decide(client, dispute, "approve").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(user,)) for user in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [302, 409]
    assert Revision.objects.filter(dispute=dispute).count() == 1
    assert Review.objects.filter(dispute=dispute, decision=Review.Decision.APPROVE).count() == 1
    assert Event.objects.filter(dispute=dispute, kind="published").count() == 1


# --- what changed since approval ----------------------------------------------------------------


def test_the_review_page_shows_what_changed_since_the_last_approved_revision(
    client: Client, published: Dispute, editor: User, other_editor: User, reviewer: User
) -> None:
    published.start_revision(by=editor)
    published.update_content(
        by=other_editor, version=published.version, summary="The ministry denied it on 13 November.",
        resolution=Dispute.Resolution.CONTRADICTED,
    )  # fmt: skip
    added = add_link(published, DisputeLink.Role.REBUTTAL)
    published.refresh_from_db()
    published.submit(by=editor)
    client.force_login(reviewer)
    page = client.get(reverse("review:dispute", args=[published.pk])).content.decode()
    assert "What changed since readers last saw it" in page
    assert "<del>A summary in our own words</del><ins>The ministry denied it on 13 November</ins>." in page
    assert "<del>Denied by the subject</del> → <ins>Contradicted by evidence</ins>" in page
    assert "Added:" in page and added.statement.speaker.name in page
    # The public page still shows the approved text while the revision waits.
    client.logout()
    public = client.get(published.get_absolute_url()).content.decode()
    assert "A summary in our own words." in public and "13 November" not in public


def test_a_new_dispute_is_all_new(client: Client, in_review: Dispute, reviewer: User) -> None:
    client.force_login(reviewer)
    page = client.get(reverse("review:dispute", args=[in_review.pk])).content.decode()
    assert "never been published" in page


# --- the queues ---------------------------------------------------------------------------------


def _in_review_by(author: User, count: int) -> list[Dispute]:
    disputes = []
    for _ in range(count):
        dispute = ready_for_review(created_by=author, last_edited_by=author)
        dispute.submit(by=author)
        disputes.append(dispute)
    return disputes


def test_the_queue_is_oldest_first_and_filters(
    client: Client, editor: User, other_editor: User, editor_reviewer: User, reviewer: User
) -> None:
    mine = _in_review_by(editor, 2)
    theirs = _in_review_by(editor_reviewer, 1)
    Dispute.objects.filter(pk=mine[1].pk).update(submitted_at=timezone.now() - timezone.timedelta(days=3))
    client.force_login(editor_reviewer)
    page = client.get(reverse("review:queue")).content.decode()
    positions = [page.index(dispute.claim_text) for dispute in (Dispute.objects.get(pk=mine[1].pk), mine[0])]
    assert positions == sorted(positions)  # waited longest first
    assert "You worked on this one" in page
    decidable = client.get(reverse("review:queue"), {"decidable": "1"}).content.decode()
    assert theirs[0].claim_text not in decidable and mine[0].claim_text in decidable
    by_editor = client.get(reverse("review:queue"), {"editor": "editor"}).content.decode()
    assert mine[0].claim_text in by_editor and theirs[0].claim_text not in by_editor
    assert "No dispute in review matches" in client.get(reverse("review:queue"), {"q": "zebra"}).content.decode()
    assert theirs[0].claim_text in client.get(reverse("review:queue"), {"kind": "new"}).content.decode()
    assert theirs[0].claim_text not in client.get(reverse("review:queue"), {"kind": "revision"}).content.decode()


def test_the_queue_costs_the_same_with_5_or_30_disputes(client: Client, editor: User, reviewer: User) -> None:
    client.force_login(reviewer)
    counts = []
    for new in (5, 25):  # 5, then 30 in all
        _in_review_by(editor, new)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("review:queue")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- re-check follow-up -------------------------------------------------------------------------


def _flagged_with_an_edit(published: Dispute) -> tuple[Dispute, str]:
    """Edit the rebuttal's article after approval and flag the dispute, as a re-check would."""
    link = published.links.get(role=DisputeLink.Role.REBUTTAL)
    source = link.statement.quote.source
    old = source.current_snapshot
    new = SnapshotFactory(
        source=source, main_text=old.main_text + " Update: the ministry later softened its statement.",
        captured_at=timezone.now() + timezone.timedelta(minutes=5),
    )  # fmt: skip
    source.current_snapshot = new
    source.save(update_fields=["current_snapshot"])
    published.flag_for_recheck(reason="The rebuttal's article was edited after approval")
    published.refresh_from_db()
    return published, source.title


def test_the_recheck_queue_and_page_show_the_reason_and_the_source_diff(
    client: Client, published: Dispute, editor_reviewer: User
) -> None:
    dispute, _ = _flagged_with_an_edit(published)
    client.force_login(editor_reviewer)
    queue = client.get(reverse("review:recheck")).content.decode()
    assert dispute.claim_text in queue and "edited after approval" in queue
    page = client.get(reverse("review:dispute", args=[dispute.pk])).content.decode()
    assert "What changed in this source since approval" in page
    assert "<ins> Update: the ministry later softened its statement.</ins>" in page or "softened" in page
    assert ">Re-confirm</button>" in page and ">Send back</button>" in page and ">Withdraw</button>" in page


def test_reconfirming_clears_the_public_notice(client: Client, published: Dispute, editor_reviewer: User) -> None:
    dispute, _ = _flagged_with_an_edit(published)
    assert "Under re-check" in client.get(dispute.get_absolute_url()).content.decode()
    client.force_login(editor_reviewer)
    url = reverse("review:reconfirm", args=[dispute.pk])
    refused = client.post(url, {"reconfirm-reason": "", "reconfirm-version": dispute.version})
    assert refused.status_code == 422 and "What you checked is required" in refused.content.decode()
    response = client.post(url, {"reconfirm-reason": "Only a later update; the denial stands",
                                 "reconfirm-version": dispute.version})  # fmt: skip
    assert response.status_code == 302
    client.logout()
    public = client.get(dispute.get_absolute_url()).content.decode()
    assert "Under re-check" not in public and "Re-checked and confirmed" in public
    assert "Only a later update; the denial stands" in public  # why: what the reviewer found


def test_sending_back_keeps_readers_on_the_approved_version(
    client: Client, published: Dispute, editor_reviewer: User, editor: User
) -> None:
    dispute, _ = _flagged_with_an_edit(published)
    client.force_login(editor_reviewer)
    response = client.post(
        reverse("review:send-back", args=[dispute.pk]),
        {"send-back-reason": "Quote the softened statement too", "send-back-version": dispute.version},
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.CHANGES_REQUESTED and dispute.needs_recheck
    client.force_login(editor)
    assert "Quote the softened statement too" in client.get(reverse("disputes:desk-home")).content.decode()
    client.logout()
    public = client.get(dispute.get_absolute_url())
    assert public.status_code == 200 and "Under re-check" in public.content.decode()


def test_withdrawal_needs_a_reason_and_leaves_a_notice_at_the_same_address(
    client: Client, published: Dispute, reviewer: User
) -> None:
    client.force_login(reviewer)
    url = reverse("review:withdraw", args=[published.pk])
    assert client.post(url, {"withdraw-reason": " ", "withdraw-version": published.version}).status_code == 422
    reason = "The Washington Post corrected its report"
    assert client.post(url, {"withdraw-reason": reason, "withdraw-version": published.version}).status_code == 302
    client.logout()
    public = client.get(published.get_absolute_url())
    assert public.status_code == 200
    page = public.content.decode()
    assert "This dispute has been withdrawn" in page and reason in page


# --- the record ---------------------------------------------------------------------------------


def test_every_change_leaves_one_history_row_with_its_actor(editor: User, reviewer: User) -> None:
    """B-T10: create, edit, approve, a bulk update and raw SQL each leave one row; the last two no actor."""
    dispute = ready_for_review(created_by=editor, last_edited_by=editor)
    Event.objects.create(dispute=dispute, actor=editor, kind="created")  # the factory bypasses start_draft
    dispute.update_content(by=editor, version=dispute.version, summary="Edited")
    dispute.submit(by=editor)
    dispute.publish(by=reviewer)
    Dispute.objects.filter(pk=dispute.pk).update(context="Changed by a bulk update")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE disputes_dispute SET summary = 'Raw SQL' WHERE id = %s", [dispute.pk])
    rows = list(Event.objects.filter(dispute=dispute).order_by("pk").values_list("kind", "actor__username"))
    assert rows == [
        ("created", "editor"),
        ("edited", "editor"),
        ("submitted", "editor"),
        ("published", "reviewer"),
        ("changed_outside_workflow", None),
        ("changed_outside_workflow", None),
    ]
    outside = Event.objects.filter(dispute=dispute, kind="changed_outside_workflow").order_by("pk")
    if connection.vendor == "postgresql":
        assert [event.data["columns"] for event in outside] == [["context"], ["summary"]]


def test_a_workflow_change_is_not_logged_twice(published: Dispute, editor: User) -> None:
    published.start_revision(by=editor)
    Dispute.objects.filter(pk=published.pk).update(version=F("version") + 1, summary="bumped")
    assert not Event.objects.filter(dispute=published, kind="changed_outside_workflow").exists()


def test_the_desk_shows_the_full_history_and_readers_the_public_part(
    client: Client, published: Dispute, reviewer: User
) -> None:
    client.force_login(reviewer)
    desk = client.get(reverse("review:dispute", args=[published.pk])).content.decode()
    for words in ("Sent to review", "Approved and published", "by reviewer", "by editor"):
        assert words in desk
    client.logout()
    public = client.get(published.get_absolute_url()).content.decode()
    assert "Published" in public
    assert "Sent to review" not in public and "reviewer" not in public


@pytest.mark.parametrize(
    ("name", "fixture", "version_key", "data"),
    [
        ("review:decide", "in_review", "version", {"decision": "request_changes", "comment": "More sources"}),
        ("review:withdraw", "published", "withdraw-version", {"withdraw-reason": "Corrected"}),
        ("review:send-back", "flagged", "send-back-version", {"send-back-reason": "Re-quote"}),
        ("review:reconfirm", "flagged", "reconfirm-version", {"reconfirm-reason": "Still stands"}),
    ],
)
def test_every_decision_needs_the_csrf_token(
    request: pytest.FixtureRequest,
    name: str,
    fixture: str,
    version_key: str,
    data: dict[str, str],
    editor_reviewer: User,
) -> None:
    """B-T2 for the review side: no token or a wrong one is refused; the page's token works."""
    if fixture == "flagged":
        dispute, _ = _flagged_with_an_edit(request.getfixturevalue("published"))
    else:
        dispute = request.getfixturevalue(fixture)
    data = {**data, version_key: str(dispute.version)}
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor_reviewer)
    url = reverse(name, args=[dispute.pk])
    assert client.post(url, data).status_code == 403
    assert client.post(url, {**data, "csrfmiddlewaretoken": "x" * 64}).status_code == 403
    assert Dispute.objects.get(pk=dispute.pk).version == dispute.version
    page = client.get(reverse("review:dispute", args=[dispute.pk])).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    assert client.post(url, {**data, "csrfmiddlewaretoken": token}).status_code == 302


# --- edges found in review ----------------------------------------------------------------------


def test_withdrawing_a_flagged_dispute_settles_the_recheck(
    client: Client, published: Dispute, reviewer: User, editor: User
) -> None:
    dispute, _ = _flagged_with_an_edit(published)
    client.force_login(reviewer)
    url = reverse("review:withdraw", args=[dispute.pk])
    client.post(url, {"withdraw-reason": "The Post retracted the report", "withdraw-version": dispute.version})
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.WITHDRAWN and not dispute.needs_recheck
    assert dispute.claim_text not in client.get(reverse("review:recheck")).content.decode()
    client.force_login(editor)
    assert dispute.claim_text not in client.get(reverse("disputes:desk-home")).content.decode()
    client.logout()
    public = client.get(dispute.get_absolute_url()).content.decode()
    assert "This dispute has been withdrawn" in public and "Under re-check" not in public


def test_whoever_approved_a_revision_may_edit_the_next_one(
    in_review: Dispute, editor: User, editor_reviewer: User, reviewer: User
) -> None:
    in_review.publish(by=editor_reviewer)
    in_review.start_revision(by=editor_reviewer)
    in_review.update_content(by=editor_reviewer, version=in_review.version, summary="Updated after a correction")
    in_review.submit(by=editor_reviewer)
    in_review.publish(by=reviewer)  # and someone else approves that one
    assert Revision.objects.filter(dispute=in_review).count() == 2


def test_only_a_flagged_dispute_is_sent_back(client: Client, published: Dispute, reviewer: User) -> None:
    client.force_login(reviewer)
    response = client.post(
        reverse("review:send-back", args=[published.pk]),
        {"send-back-reason": "Just because", "send-back-version": published.version},
    )
    assert response.status_code == 409
    assert Dispute.objects.get(pk=published.pk).state == Dispute.State.PUBLISHED


def test_a_superuser_gets_no_decision_form_on_their_own_dispute(client: Client, admin_user: User) -> None:
    dispute = ready_for_review(created_by=admin_user, last_edited_by=admin_user)
    dispute.submit(by=admin_user)
    client.force_login(admin_user)
    page = client.get(reverse("review:dispute", args=[dispute.pk])).content.decode()
    assert "Record decision" not in page and "another reviewer must decide" in page
    response = decide(client, dispute, "approve")
    assert response.status_code == 403


def test_readers_see_what_changed_when_a_new_revision_is_approved(
    client: Client, published: Dispute, editor: User, reviewer: User
) -> None:
    published.start_revision(by=editor)
    published.update_content(by=editor, version=published.version, summary="Now with the ministry's full denial.")
    add_link(published, DisputeLink.Role.REBUTTAL)
    published.refresh_from_db()
    published.submit(by=editor)
    published.publish(by=reviewer, note="Internal: checked against the ministry's site")
    page = client.get(published.get_absolute_url()).content.decode()
    assert "Updated and approved again" in page
    assert "What changed: summary edited; 1 statement added." in page
    assert "Internal: checked" not in page  # the approval note stays on the desk
