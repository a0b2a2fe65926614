"""Atom feeds of published disputes and of one dispute's updates (disputes/views/feeds.py)."""

from __future__ import annotations

import datetime as dt

import feedparser
import html5lib
import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from disputes.models import Dispute
from disputes.tests.factories import DisputeFactory
from disputes.tests.test_public_views import dispute_with_links, publish_directly

pytestmark = pytest.mark.django_db

SITE = "https://counterclaim.example"
PUBLISHED = dt.datetime(2024, 11, 12, 14, 5, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def site_url(settings) -> None:
    settings.SITE_URL = SITE
    settings.SITE_NAME = "Counterclaim"


def parse_feed(client: Client, url: str) -> feedparser.FeedParserDict:
    """Fetch a feed and read it as a feed reader would; it must be well-formed Atom."""
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def text_of(html: str) -> str:
    """Return the text a reader sees of an entry's HTML summary."""
    return " ".join(" ".join(html5lib.parse(html, namespaceHTMLElements=False).itertext()).split())


@pytest.fixture
def published_story(editor: User, reviewer: User) -> Dispute:
    from disputes.tests.factories import ready_for_review

    dispute = ready_for_review(created_by=editor, last_edited_by=editor, claim_text="Kyiv was told in advance")
    with time_machine.travel(PUBLISHED, tick=False):
        dispute.submit(by=editor)
        dispute.publish(by=reviewer, note="Internal: checked against the wire")
    return dispute


# --- all disputes --------------------------------------------------------------------------------


def test_disputes_feed_lists_published_disputes_newest_first(client: Client, db: None) -> None:
    now = timezone.now().replace(microsecond=0)
    older = publish_directly(DisputeFactory(claim_text="Older claim"), published_at=now - dt.timedelta(days=2))
    newer = publish_directly(DisputeFactory(claim_text="Newer claim"), published_at=now - dt.timedelta(days=1))
    DisputeFactory(claim_text="A draft nobody approved")

    feed = parse_feed(client, "/feeds/disputes.atom")

    assert feed.feed.title == "Disputed claims · Counterclaim"
    assert feed.feed.link == f"{SITE}/"
    assert {link.rel: link.href for link in feed.feed.links}["self"] == f"{SITE}/feeds/disputes.atom"
    assert feed.feed.author == "Counterclaim"
    assert [entry.title for entry in feed.entries] == ["Newer claim", "Older claim"]
    entry = feed.entries[0]
    assert entry.link == f"{SITE}/d/{newer.slug}/"
    assert entry.id == f"{SITE}/d/{newer.slug}/"
    assert entry.published_parsed[:6] == (now - dt.timedelta(days=1)).timetuple()[:6]
    assert entry.updated_parsed >= entry.published_parsed
    assert entry.tags[0].term == "Denied by the subject"
    assert text_of(entry.summary) == "Denied by the subject A summary in our own words."
    assert feed.entries[1].link == f"{SITE}/d/{older.slug}/"


def test_disputes_feed_dates_an_entry_by_the_last_change_readers_saw(client: Client, published_story) -> None:
    flagged_at = dt.datetime(2024, 11, 14, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(flagged_at, tick=False):
        published_story.flag_for_recheck(reason="A cited article was edited.")

    response = client.get("/feeds/disputes.atom")
    [entry] = feedparser.parse(response.content).entries

    assert entry.published_parsed[:6] == PUBLISHED.timetuple()[:6]
    assert entry.updated_parsed[:6] == flagged_at.timetuple()[:6]
    assert "Needs re-check" in text_of(entry.summary)
    assert response["Last-Modified"] == "Thu, 14 Nov 2024 09:00:00 GMT"


def test_disputes_feed_shows_the_approved_wording_and_marks_withdrawals(
    client: Client, published_story: Dispute, reviewer: User
) -> None:
    Dispute.objects.filter(pk=published_story.pk).update(claim_text="Live edit", summary="Draft words")
    published_story.withdraw(by=reviewer, reason="Misread.")

    [entry] = parse_feed(client, "/feeds/disputes.atom").entries

    assert entry.title == "Kyiv was told in advance"
    assert "Withdrawn" in text_of(entry.summary)
    assert "Draft words" not in entry.summary


def test_disputes_feed_holds_the_50_newest(client: Client, db: None, django_assert_num_queries) -> None:
    start = timezone.now()
    for n in range(51):
        publish_directly(DisputeFactory(claim_text=f"Claim {n}"), published_at=start + dt.timedelta(minutes=n))

    with django_assert_num_queries(1):
        feed = parse_feed(client, "/feeds/disputes.atom")

    assert len(feed.entries) == 50
    assert feed.entries[0].title == "Claim 50"
    assert feed.entries[-1].title == "Claim 1"


def test_disputes_feed_costs_one_query_with_5_disputes_or_50(
    client: Client, db: None, django_assert_num_queries
) -> None:
    for _ in range(5):
        publish_directly(dispute_with_links(2))
    with django_assert_num_queries(1):
        client.get("/feeds/disputes.atom")
    for _ in range(45):
        publish_directly(dispute_with_links(2))
    with django_assert_num_queries(1):
        assert len(feedparser.parse(client.get("/feeds/disputes.atom").content).entries) == 50


def test_the_index_advertises_the_feed(client: Client, db: None) -> None:
    page = html5lib.parse(client.get("/").content.decode(), namespaceHTMLElements=False)

    [link] = [link for link in page.iter("link") if link.get("type") == "application/atom+xml"]
    assert link.get("rel") == "alternate"
    assert link.get("href") == "/feeds/disputes.atom"
    assert link.get("title")


# --- one dispute's updates -----------------------------------------------------------------------


def test_updates_feed_tells_each_public_step_with_its_note(
    client: Client, published_story: Dispute, editor: User, reviewer: User
) -> None:
    with time_machine.travel(dt.datetime(2024, 11, 14, 9, 0, tzinfo=dt.UTC), tick=False):
        published_story.flag_for_recheck(reason="The Kyiv Independent article was edited.")
    with time_machine.travel(dt.datetime(2024, 11, 15, 9, 0, tzinfo=dt.UTC), tick=False):
        published_story.reconfirm(by=reviewer, note="The edit left the quoted passage as it was.")
    with time_machine.travel(dt.datetime(2024, 11, 16, 9, 0, tzinfo=dt.UTC), tick=False):
        published_story.start_revision(by=editor)
        published_story.update_content(by=editor, version=published_story.version, summary="Denied twice.")
        published_story.submit(by=editor)
        published_story.publish(by=reviewer, note="Internal: fine")
    with time_machine.travel(dt.datetime(2024, 11, 17, 9, 0, tzinfo=dt.UTC), tick=False):
        published_story.withdraw(by=reviewer, reason="The report was misread.")

    feed = parse_feed(client, f"/d/{published_story.slug}/updates.atom")

    assert feed.feed.title == "Kyiv was told in advance"
    assert feed.feed.link == f"{SITE}/d/{published_story.slug}/"
    titles = [entry.title for entry in feed.entries]
    assert titles == [
        "Withdrawn: Kyiv was told in advance",
        "Updated and approved again: Kyiv was told in advance",
        "Re-checked and confirmed: Kyiv was told in advance",
        "Flagged for re-check: Kyiv was told in advance",
        "Published: Kyiv was told in advance",
    ]
    summaries = [text_of(entry.summary) for entry in feed.entries]
    assert summaries == [
        "The report was misread.",
        "What changed: summary edited.",
        "The edit left the quoted passage as it was.",
        "The Kyiv Independent article was edited.",
        "Published",
    ]
    assert [entry.updated_parsed.tm_mday for entry in feed.entries] == [17, 16, 15, 14, 12]
    assert all(entry.link == f"{SITE}/d/{published_story.slug}/" for entry in feed.entries)
    assert len({entry.id for entry in feed.entries}) == 5
    assert "Internal" not in str(feed)  # approval notes and desk steps stay on the desk


def test_updates_feed_of_an_unpublished_dispute_is_not_found(client: Client, in_review: Dispute) -> None:
    assert client.get(f"/d/{in_review.slug}/updates.atom").status_code == 404
    assert client.get("/d/no-such-dispute/updates.atom").status_code == 404


def test_updates_feed_costs_the_same_queries_with_1_event_or_20(
    client: Client, published_story: Dispute, reviewer: User, django_assert_num_queries
) -> None:
    # The dispute with its revision, then its public events.
    with django_assert_num_queries(2):
        client.get(f"/d/{published_story.slug}/updates.atom")
    for n in range(10):
        published_story.flag_for_recheck(reason=f"Edited, time {n}.")
        published_story.reconfirm(by=reviewer, note="Still stands.")
    with django_assert_num_queries(2):
        feed = feedparser.parse(client.get(f"/d/{published_story.slug}/updates.atom").content)
    assert len(feed.entries) == 21


@pytest.mark.parametrize("address", ["/feeds/disputes.atom", "/d/{slug}/updates.atom"])
def test_feeds_set_no_cookie_and_may_be_cached_by_anyone(client: Client, published_story, address: str) -> None:
    response = client.get(address.format(slug=published_story.slug))

    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.get("Vary", "")
    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert response["Access-Control-Allow-Origin"] == "*"
