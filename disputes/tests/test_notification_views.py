"""The desk's notifications: the list, marking them read, and the badge in the header."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from config import urls as site_urls
from disputes.models import Dispute, Event, Notification
from disputes.notifications import destination
from disputes.tests.factories import DisputeFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/desk/notifications/"
READ_URL = "/desk/notifications/read/"

# The site without the review pages, for the test of where reviewers land then (pytest.mark.urls).
urlpatterns = [pattern for pattern in site_urls.urlpatterns if getattr(pattern, "namespace", None) != "review"]


def sent_back(editor: User, reviewer: User, comment: str) -> Dispute:
    """Build a dispute in review that the reviewer then sends back to its editor with a comment."""
    dispute = DisputeFactory(created_by=editor, last_edited_by=editor, state=Dispute.State.IN_REVIEW)
    dispute.request_changes(by=reviewer, comment=comment)
    return dispute


def submitted(draft: Dispute, editor: User) -> str:
    """Send the draft to review and return its review page (skip the test when those pages are not installed)."""
    draft.submit(by=editor)
    try:
        return reverse("review:dispute", args=[draft.pk])
    except NoReverseMatch:
        pytest.skip("the review pages are not installed")


def requests_for(editor: User, reviewer: User, count: int) -> None:
    """Give the editor `count` notifications, each about a different dispute."""
    disputes = [DisputeFactory(created_by=editor, last_edited_by=editor) for _ in range(count)]
    Event.objects.bulk_create(
        [
            Event(dispute=d, actor=reviewer, kind="changes_requested", note=f"Comment {n}")
            for n, d in enumerate(disputes)
        ]
    )


def test_the_urls() -> None:
    assert reverse("disputes:notifications") == LIST_URL
    assert reverse("disputes:notifications-read") == READ_URL


def test_each_notification_says_what_happened_who_did_it_and_when(client: Client, editor: User, reviewer: User) -> None:
    dispute = sent_back(editor, reviewer, "Add the ministry's own statement as a rebuttal.")
    client.force_login(editor)
    response = client.get(LIST_URL)
    assertContains(response, "<strong>Changes requested</strong>", html=False)
    assertContains(response, f'<a href="/desk/disputes/{dispute.pk}/">{dispute.claim_text}</a>', html=False)
    assertContains(response, "Add the ministry&#x27;s own statement as a rebuttal.")
    assertContains(response, "By reviewer,")
    event = Event.objects.get(dispute=dispute, kind="changes_requested")
    assertContains(response, f'<time datetime="{timezone.localtime(event.created_at).isoformat()}">', html=False)


def test_what_the_system_did_is_signed_counterclaim(client: Client, editor: User, published: Dispute) -> None:
    published.flag_for_recheck(reason="The quoted passage was removed from the article.")
    client.force_login(editor)
    response = client.get(LIST_URL)
    assertContains(response, "Flagged: a cited source changed")
    assertContains(response, "The quoted passage was removed from the article.")
    assertContains(response, "By Counterclaim,")


def test_unread_ones_are_marked_in_words_not_by_colour_alone(client: Client, editor: User, reviewer: User) -> None:
    sent_back(editor, reviewer, "First")
    sent_back(editor, reviewer, "Second")
    Notification.objects.filter(pk=Notification.objects.order_by("pk").first().pk).update(read_at=timezone.now())
    client.force_login(editor)
    response = client.get(LIST_URL)
    assertContains(response, '<span class="notification__flag">Unread</span>', count=1, html=False)
    assertContains(response, "notification--unread", count=1)
    assertContains(response, "1 unread.")


def test_newest_first(client: Client, editor: User, reviewer: User) -> None:
    older = sent_back(editor, reviewer, "Older")
    newer = sent_back(editor, reviewer, "Newer")
    client.force_login(editor)
    claims = [n.event.dispute for n in client.get(LIST_URL).context["page"]]
    assert claims == [newer, older]


def test_people_see_only_their_own(client: Client, editor: User, other_editor: User, reviewer: User) -> None:
    sent_back(editor, reviewer, "For the editor")
    sent_back(other_editor, reviewer, "For the other editor")
    client.force_login(editor)
    response = client.get(LIST_URL)
    assertContains(response, "For the editor")
    assertNotContains(response, "For the other editor")


def test_anonymous_readers_are_sent_to_sign_in(client: Client) -> None:
    for response in (client.get(LIST_URL), client.post(READ_URL)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_reviewer_is_sent_to_the_review_page_for_a_submitted_dispute(
    client: Client, editor: User, reviewer: User, draft: Dispute
) -> None:
    review_url = submitted(draft, editor)
    client.force_login(reviewer)
    response = client.get(LIST_URL)
    assertContains(response, "<strong>Sent to review</strong>", html=False)
    assertContains(response, f'<a href="{review_url}">', html=False)


@pytest.mark.urls(__name__)
def test_without_the_review_pages_a_reviewer_is_sent_to_the_dispute(
    editor: User, reviewer: User, draft: Dispute
) -> None:
    draft.submit(by=editor)
    event = Event.objects.get(dispute=draft, kind="submitted")
    assert destination(event, recipient_id=reviewer.pk, reviewer=True) == f"/desk/disputes/{draft.pk}/"


def test_an_editor_is_sent_to_the_builder_even_when_they_also_review(
    client: Client, editor_reviewer: User, reviewer: User
) -> None:
    dispute = sent_back(editor_reviewer, reviewer, "Fix the date")
    client.force_login(editor_reviewer)
    assertContains(client.get(LIST_URL), f'<a href="{reverse("disputes:dispute-edit", args=[dispute.pk])}">')


def test_fifty_to_a_page(client: Client, editor: User, reviewer: User) -> None:
    requests_for(editor, reviewer, 51)
    client.force_login(editor)
    first = client.get(LIST_URL)
    assert len(first.context["page"].object_list) == 50
    assertContains(first, "Page 1 of 2")
    assert len(client.get(LIST_URL, {"page": 2}).context["page"].object_list) == 1


def test_the_list_costs_the_same_queries_for_3_or_30_rows(client: Client, editor: User, reviewer: User) -> None:
    client.force_login(editor)
    counts = []
    for more in (3, 27):
        requests_for(editor, reviewer, more)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST_URL)
        counts.append(len(queries))
    assert len(response.context["page"].object_list) == 30
    assert counts[0] == counts[1]
    # Session, user, totals, page count, the rows with their events, disputes and actors, the
    # user's groups (reviewer?), and their permissions (user and group) for the navigation.
    assert counts[1] <= 8, "\n".join(q["sql"] for q in queries.captured_queries)


def test_mark_all_read_in_one_update_then_back_to_the_list(client: Client, editor: User, reviewer: User) -> None:
    requests_for(editor, reviewer, 3)
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(READ_URL)
    assertRedirects(response, LIST_URL, fetch_redirect_response=False)
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "disputes_notification"')]
    assert len(updates) == 1
    assert not Notification.objects.filter(recipient=editor, read_at__isnull=True).exists()
    page = client.get(LIST_URL)
    assertContains(page, "Marked 3 notifications as read.")
    assertNotContains(page, "notification--unread")
    assertContains(page, "Nothing unread.")


def test_a_notification_arriving_after_the_list_was_shown_stays_unread(
    client: Client, editor: User, reviewer: User
) -> None:
    sent_back(editor, reviewer, "Seen")
    client.force_login(editor)
    shown = client.get(LIST_URL)
    assertContains(shown, f'action="{READ_URL}?upto={shown.context["latest"]}"', html=False)
    sent_back(editor, reviewer, "Arrived meanwhile")
    client.post(READ_URL + f"?upto={shown.context['latest']}")
    assert list(
        Notification.objects.filter(recipient=editor, read_at__isnull=True).values_list("event__note", flat=True)
    ) == ["Arrived meanwhile"]


def test_marking_read_leaves_other_peoples_notifications_alone(
    client: Client, editor: User, other_editor: User, reviewer: User
) -> None:
    sent_back(editor, reviewer, "Mine")
    sent_back(other_editor, reviewer, "Theirs")
    client.force_login(editor)
    client.post(READ_URL)
    assert Notification.objects.get(recipient=other_editor).read_at is None


def test_marking_read_is_a_post_with_a_csrf_token(client: Client, editor: User, reviewer: User) -> None:
    sent_back(editor, reviewer, "Unread still")
    client.force_login(editor)
    assert client.get(READ_URL).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    assert strict.post(READ_URL).status_code == 403
    assert client.post(READ_URL + "?upto=nonsense").status_code == 400
    assert Notification.objects.get(recipient=editor).read_at is None


def test_the_header_shows_the_unread_count_to_signed_in_people(client: Client, editor: User, reviewer: User) -> None:
    requests_for(editor, reviewer, 3)
    client.force_login(editor)
    assertContains(
        client.get("/"),
        f'<a class="account-nav__notices" href="{LIST_URL}">Notifications '
        '<span class="badge">3<span class="visually-hidden"> unread</span></span></a>',
        html=False,
    )
    client.post(READ_URL)
    response = client.get("/")
    assertContains(response, f'href="{LIST_URL}">Notifications</a>', html=False)
    assertNotContains(response, 'class="badge"')


def test_readers_pages_never_count_notifications(client: Client, editor: User, reviewer: User) -> None:
    requests_for(editor, reviewer, 1)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assertNotContains(response, LIST_URL)
    assert not [q for q in queries.captured_queries if "disputes_notification" in q["sql"]]


def test_opening_the_dispute_reads_its_news_and_nothing_else(
    client: Client, editor: User, other_editor: User, reviewer: User
) -> None:
    """As on a code forge: the news about a dispute is read once its person has opened that dispute."""
    opened = sent_back(editor, reviewer, "Cite the ministry's statement.")
    other = sent_back(editor, reviewer, "Which article said so?")
    Event.objects.create(dispute=opened, actor=reviewer, kind="changes_requested", note="And the date.")
    theirs = Notification.objects.create(recipient=other_editor, event=opened.events.order_by("pk").first())
    client.force_login(editor)

    response = client.get(f"/desk/disputes/{opened.pk}/")

    assert response.status_code == 200
    assertContains(response, '<span class="badge">1<span class="visually-hidden"> unread</span>', html=False)
    mine = Notification.objects.filter(recipient=editor)
    assert not mine.filter(event__dispute=opened, read_at__isnull=True).exists()  # both of them
    assert mine.filter(event__dispute=other, read_at__isnull=True).count() == 1  # another dispute's: unread
    theirs.refresh_from_db()
    assert theirs.read_at is None  # someone else's: untouched


def test_opening_the_review_page_reads_the_reviewers_news_of_it(
    client: Client, editor: User, reviewer: User, draft: Dispute
) -> None:
    review_url = submitted(draft, editor)
    assert Notification.objects.filter(recipient=reviewer, read_at__isnull=True).count() == 1
    client.force_login(reviewer)

    assert client.get(review_url).status_code == 200

    assert not Notification.objects.filter(recipient=reviewer, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=editor, read_at__isnull=True).count() == 0  # none were theirs
