"""The desk's home page: what waits for the person signed in, and what the background checks found."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from articles.models import Source
from articles.tests.factories import SourceFactory
from disputes.models import Dispute
from disputes.tests.factories import DisputeFactory

pytestmark = pytest.mark.django_db

URL = "/desk/"


def returned_to(editor: User, reviewer: User, comment: str) -> Dispute:
    """Build a dispute the reviewer sent back to this editor with a comment."""
    dispute = DisputeFactory(created_by=editor, last_edited_by=editor, state=Dispute.State.IN_REVIEW)
    dispute.request_changes(by=reviewer, comment=comment)
    return dispute


def test_the_desk_lives_at_desk() -> None:
    assert reverse("disputes:desk-home") == URL


def test_drafts_are_mine_only(client: Client, editor: User, other_editor: User) -> None:
    DisputeFactory(claim_text="I started this one", created_by=editor, last_edited_by=editor)
    DisputeFactory(claim_text="I last edited this one", created_by=other_editor, last_edited_by=editor)
    DisputeFactory(claim_text="Someone else's draft", created_by=other_editor, last_edited_by=other_editor)
    DisputeFactory(claim_text="Mine but in review", created_by=editor, state=Dispute.State.IN_REVIEW)
    client.force_login(editor)
    response = client.get(URL)
    drafts = response.context["drafts"]
    assert {d.claim_text for d in drafts["rows"]} == {"I started this one", "I last edited this one"}
    assert drafts["count"] == 2
    assertContains(response, 'My drafts <span class="count">(2)</span>', html=False)
    assertNotContains(response, "Someone else&#x27;s draft")


def test_returned_disputes_show_the_latest_reviewer_comment(
    client: Client, editor: User, other_editor: User, reviewer: User
) -> None:
    mine = returned_to(editor, reviewer, "Add the ministry's own statement as a rebuttal.")
    # Sent back a second time: the latest comment is the one shown.
    Dispute.objects.filter(pk=mine.pk).update(state=Dispute.State.IN_REVIEW)
    mine.refresh_from_db()
    mine.request_changes(by=reviewer, comment="Now the date of the call is missing.")
    returned_to(other_editor, reviewer, "Not for you")
    client.force_login(editor)
    response = client.get(URL)
    returned = response.context["returned"]
    assert [d.pk for d in returned["rows"]] == [mine.pk]
    assert returned["rows"][0].review_comment == "Now the date of the call is missing."
    assertContains(response, "Now the date of the call is missing.")
    assertContains(response, "reviewer asked for changes")
    assertNotContains(response, "Add the ministry")
    assertNotContains(response, "Not for you")
    assertContains(response, reverse("disputes:dispute-edit", args=[mine.pk]))


def test_a_reviewer_sees_flagged_disputes_with_their_reason(client: Client, reviewer: User, editor: User) -> None:
    DisputeFactory(
        claim_text="A flagged claim", created_by=editor, needs_recheck=True,
        recheck_reason="The quoted passage was removed from the article.",
    )  # fmt: skip
    DisputeFactory(claim_text="A quiet claim", created_by=editor)
    client.force_login(reviewer)
    response = client.get(URL)
    assert [d.claim_text for d in response.context["flagged"]["rows"]] == ["A flagged claim"]
    assertContains(response, "The quoted passage was removed from the article.")
    assertNotContains(response, "A quiet claim")
    # Reviewers do not write disputes or add sources.
    assertNotContains(response, reverse("disputes:dispute-new"))
    assertNotContains(response, reverse("articles:source-add"))


def test_sources_that_changed_this_week_or_are_in_trouble(client: Client, editor: User) -> None:
    now = timezone.now()
    SourceFactory(title="Edited yesterday", liveness=Source.Liveness.ALIVE, last_changed_at=now - dt.timedelta(days=1))
    SourceFactory(
        title="Edited last month", liveness=Source.Liveness.ALIVE, last_changed_at=now - dt.timedelta(days=30)
    )
    SourceFactory(title="Gone", liveness=Source.Liveness.DEAD, liveness_detail="The server answers 404 Not Found.")
    SourceFactory(title="Never checked", liveness=Source.Liveness.UNKNOWN)
    client.force_login(editor)
    response = client.get(URL)
    assert [s.title for s in response.context["sources"]["rows"]] == ["Edited yesterday", "Gone"]
    assertContains(response, "New dispute")
    assertContains(response, reverse("articles:source-add"))


def test_anonymous_readers_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_someone_without_desk_permissions_is_refused(client: Client) -> None:
    client.force_login(User.objects.create_user("reader", password="correct horse battery"))
    assert client.get(URL).status_code == 403


def test_the_nav_links_to_the_desk_for_the_newsroom_only(client: Client, editor: User) -> None:
    assertNotContains(client.get("/"), f'href="{URL}"')
    client.force_login(editor)
    assertContains(client.get("/"), f'href="{URL}"')


def _fill_desk(editor: User, reviewer: User, rows: int) -> None:
    now = timezone.now()
    for n in range(rows):
        DisputeFactory(created_by=editor, last_edited_by=editor)
        DisputeFactory(created_by=editor, needs_recheck=True, recheck_reason=f"Reason {n}")
        returned_to(editor, reviewer, f"Comment {n}")
        SourceFactory(liveness=Source.Liveness.MOVED, last_changed_at=now)


@pytest.mark.parametrize("rows", [5, 100])
def test_the_desk_costs_the_same_queries_for_5_or_100_rows(
    client: Client, editor: User, reviewer: User, django_assert_num_queries, rows: int
) -> None:  # type: ignore[no-untyped-def]
    _fill_desk(editor, reviewer, rows)
    client.force_login(editor)
    # Session, user, user and group permissions; a list and a count for each of the four sections; the
    # unread-notifications badge in the header.
    with django_assert_num_queries(13):
        response = client.get(URL)
    assert response.context["returned"]["count"] == rows
    assert response.context["sources"]["count"] == rows
