"""The desk's source pages: versions, a word diff with the quotes marked, quote states, check now."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Quote, QuoteCheck, Source
from articles.tests.factories import QuoteFactory, SnapshotFactory, SourceFactory

pytestmark = pytest.mark.django_db

V1 = "Ukraine's foreign ministry said. Reports that the Ukrainian side was informed in advance are false. More text."
V2 = "Ukraine's foreign ministry said. Reports that the Ukrainian side was told in advance are false. More text."
QUOTED = "Reports that the Ukrainian side was informed in advance are false."


@pytest.fixture
def source_with_versions() -> Source:
    source = SourceFactory(title="'Pure fiction' — Kremlin denies call")
    old = SnapshotFactory(source=source, main_text=V1, captured_at=timezone.now() - dt.timedelta(days=1))
    new = SnapshotFactory(source=source, main_text=V2)
    source.current_snapshot = new
    source.liveness = Source.Liveness.ALIVE
    source.last_checked_at = timezone.now()
    source.next_check_at = timezone.now() + dt.timedelta(hours=2)
    source.save()
    quote = QuoteFactory(source=source, snapshot=old, exact=QUOTED, start=33, end=33 + len(QUOTED))
    from articles.models import Fetch

    fetch = Fetch.objects.create(
        source=source, slot=timezone.now(), requested_url=source.url, status_code=200, outcome="changed",
        snapshot=new,
    )  # fmt: skip
    check = QuoteCheck.objects.create(
        fetch=fetch, quote=quote, status=Quote.Status.EDITED, matched_text=V2[33:97], score=0.91, searched_in="main"
    )
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.EDITED, last_check=check)
    return source


def test_readers_are_sent_to_sign_in_and_others_refused(client: Client, source_with_versions: Source) -> None:
    url = reverse("articles:source-detail", args=[source_with_versions.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(User.objects.create_user("stranger"))
    assert client.get(url).status_code == 403


def test_source_page_shows_versions_diff_and_quote_states(client: Client, editor: User, source_with_versions) -> None:
    client.force_login(editor)
    response = client.get(reverse("articles:source-detail", args=[source_with_versions.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Reworded" in body  # the quote's status in words
    assert "match 0.91" in body
    assert "<del><mark>informed</mark></del>" in body.replace("\n", "")
    assert "<ins><mark>told</mark></ins>" in body.replace("\n", "")
    assert 'Versions <span class="count">(2)</span>' in body
    assert "Check now" in body


def test_an_uncertain_place_shows_the_editor_why_and_never_other_words_as_the_quote(
    client: Client, editor: User, source_with_versions: Source
) -> None:
    from articles import quotes

    quote = Quote.objects.get(source=source_with_versions)
    QuoteCheck.objects.filter(pk=quote.last_check_id).update(
        status=Quote.Status.UNCERTAIN, matched_text="", note=quotes.REWRITTEN_NOTE
    )
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.UNCERTAIN)
    client.force_login(editor)

    body = client.get(reverse("articles:source-detail", args=[source_with_versions.pk])).content.decode()

    assert quotes.REWRITTEN_NOTE in body
    assert "Now reads" not in body


def test_any_two_versions_can_be_compared(client: Client, editor: User, source_with_versions: Source) -> None:
    client.force_login(editor)
    first, second = source_with_versions.snapshots.order_by("captured_at")
    url = reverse("articles:source-detail", args=[source_with_versions.pk])
    response = client.get(url, {"from": second.pk, "to": first.pk})
    body = response.content.decode().replace("\n", "")
    assert "<del><mark>told</mark></del>" in body and "<ins><mark>informed</mark></ins>" in body
    assert client.get(url, {"from": "junk", "to": "99999"}).status_code == 200


def test_fetched_text_is_escaped(client: Client, editor: User) -> None:
    source = SourceFactory(title="<script>alert(1)</script>")
    source.current_snapshot = SnapshotFactory(source=source, main_text='Hello <img src=x onerror="alert(2)">')
    source.save()
    client.force_login(editor)
    body = client.get(reverse("articles:source-detail", args=[source.pk])).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body
    assert "<img src=x" not in body


def test_check_now_queues_and_the_panel_polls_until_done(client: Client, editor: User, source_with_versions) -> None:
    client.force_login(editor)
    url = reverse("articles:source-check-now", args=[source_with_versions.pk])
    response = client.post(url, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="source-panel"' in body and "<html" not in body
    assert 'hx-trigger="every 2s"' in body and "Checking this page" in body
    # While the panel refreshes itself, no capture form is offered: a half-filled one would be lost.
    assert 'id="capture-form"' not in body and "quoting waits until it is done" in body
    assert f'hx-get="{reverse("articles:source-detail", args=[source_with_versions.pk])}"' in body
    source_with_versions.refresh_from_db()
    assert source_with_versions.next_check_at <= timezone.now()

    detail = reverse("articles:source-detail", args=[source_with_versions.pk])
    assert client.get(detail, headers={"HX-Request": "true"}).status_code == 200  # still pending
    # The worker finished: nothing leased, the next check is in the future.
    Source.objects.filter(pk=source_with_versions.pk).update(
        lease_until=None, next_check_at=timezone.now() + dt.timedelta(hours=1)
    )
    response = client.get(detail, headers={"HX-Request": "true"})
    assert response.status_code == 286  # htmx: stop polling
    assert 'id="capture-form"' in response.content.decode()
    assert 'hx-trigger="every 2s"' not in response.content.decode()


def test_check_now_without_javascript_redirects_back(client: Client, editor: User, source_with_versions) -> None:
    client.force_login(editor)
    response = client.post(reverse("articles:source-check-now", args=[source_with_versions.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("articles:source-detail", args=[source_with_versions.pk])


def test_source_list_costs_the_same_with_5_or_50(client: Client, editor: User, django_assert_num_queries) -> None:
    client.force_login(editor)
    SourceFactory.create_batch(5)
    client.get(reverse("articles:source-list"))  # warm the session and permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as five:
        assert client.get(reverse("articles:source-list")).status_code == 200
    SourceFactory.create_batch(45)
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(reverse("articles:source-list"))
    assert response.content.decode().count('class="pill') == 50
