"""Readers' pages revalidate cheaply (reference D-T4, D-T5): an ETag that changes exactly when the page would."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from articles.models import Source
from disputes.models import Dispute, DisputeLink
from disputes.tests.factories import DisputeFactory, DisputeLinkFactory, add_link
from disputes.tests.test_public_views import dispute_with_links, publish_directly

pytestmark = pytest.mark.django_db


def revalidate(client: Client, url: str, etag: str):  # type: ignore[no-untyped-def]
    return client.get(url, headers={"If-None-Match": etag})


@pytest.fixture
def page(db: None) -> Dispute:
    return publish_directly(dispute_with_links(2))


@pytest.mark.parametrize("links", [1, 50])
def test_revalidation_is_a_304_with_two_queries_and_no_rendering(
    client: Client, django_assert_max_num_queries, links: int
) -> None:  # type: ignore[no-untyped-def]
    dispute = publish_directly(dispute_with_links(links))
    first = client.get(dispute.get_absolute_url())
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    with django_assert_max_num_queries(2):
        again = revalidate(client, dispute.get_absolute_url(), first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert not again.templates  # nothing rendered
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert "Set-Cookie" not in again.headers and "Cookie" not in again.get("Vary", "")


def test_the_same_page_keeps_its_etag(client: Client, page: Dispute) -> None:
    assert client.get(page.get_absolute_url())["ETag"] == client.get(page.get_absolute_url())["ETag"]


def test_if_modified_since_works_too(client: Client, page: Dispute) -> None:
    first = client.get(page.get_absolute_url())
    again = client.get(page.get_absolute_url(), headers={"If-Modified-Since": first["Last-Modified"]})
    assert again.status_code == 304


def test_an_approved_edit_changes_the_etag(client: Client, published: Dispute, editor: User, reviewer: User) -> None:
    url = published.get_absolute_url()
    before = client.get(url)["ETag"]
    published.start_revision(by=editor)
    published.update_content(by=editor, version=published.version, summary="A better summary.")
    assert client.get(url)["ETag"] == before  # a draft in progress changes nothing readers see
    published.submit(by=editor)
    published.publish(by=reviewer)
    response = revalidate(client, url, before)
    assert response.status_code == 200 and response["ETag"] != before
    assert "A better summary." in response.content.decode()


def test_a_flag_and_a_withdrawal_change_the_etag(client: Client, published: Dispute, reviewer: User) -> None:
    url = published.get_absolute_url()
    etags = [client.get(url)["ETag"]]
    published.flag_for_recheck(reason="The article was edited")
    etags.append(client.get(url)["ETag"])
    published.refresh_from_db()
    published.withdraw(by=reviewer, reason="Retracted by the outlet")
    etags.append(client.get(url)["ETag"])
    assert len(set(etags)) == 3


def test_a_cited_source_changing_changes_the_etag(client: Client, page: Dispute) -> None:
    url = page.get_absolute_url()
    before = client.get(url)["ETag"]
    source = page.links.first().statement.quote.source
    Source.objects.filter(pk=source.pk).update(liveness=Source.Liveness.DEAD, first_dead_signal_at=timezone.now())
    assert revalidate(client, url, before).status_code == 200
    assert client.get(url)["ETag"] != before


def test_a_check_that_changes_nothing_keeps_the_etag(client: Client, page: Dispute) -> None:
    url = page.get_absolute_url()
    before = client.get(url)["ETag"]
    source = page.links.first().statement.quote.source
    Source.objects.filter(pk=source.pk).update(last_checked_at=source.last_checked_at)  # same state again
    assert revalidate(client, url, before).status_code == 304


def test_an_unrelated_dispute_leaves_the_page_alone_but_a_related_one_does_not(client: Client, page: Dispute) -> None:
    url = page.get_absolute_url()
    before = client.get(url)["ETag"]
    publish_directly(dispute_with_links(2))  # other speakers, other sources
    assert revalidate(client, url, before).status_code == 304
    related = DisputeFactory(claim_text="Another claim by the same speaker")
    DisputeLinkFactory(dispute=related, statement=page.links.first().statement, role=DisputeLink.Role.APPEARANCE)
    add_link(related, DisputeLink.Role.REBUTTAL)
    publish_directly(related)
    assert revalidate(client, url, before).status_code == 200


def test_the_index_revalidates_and_changes_with_a_new_dispute(
    client: Client, page: Dispute, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/")
    with django_assert_max_num_queries(2):
        assert revalidate(client, "/", first["ETag"]).status_code == 304
    assert client.get("/", {"q": "claim"})["ETag"] != first["ETag"]  # each search is its own page
    publish_directly(dispute_with_links(1))
    assert revalidate(client, "/", first["ETag"]).status_code == 200


def test_signed_in_people_get_no_validators(client: Client, page: Dispute, editor: User) -> None:
    client.force_login(editor)
    response = client.get(page.get_absolute_url())
    assert "ETag" not in response and set(response["Cache-Control"].split(", ")) == {"private", "no-store"}
    assert "Cookie" in response["Vary"]  # their page depends on who they are


def test_the_sitemap_lists_readers_pages_only(client: Client, page: Dispute, draft: Dispute) -> None:
    index = client.get("/sitemap.xml")
    assert index.status_code == 200 and "Set-Cookie" not in index.headers
    sections = re.findall(r"<loc>https?://[^/]+(/sitemap-[a-z]+\.xml)</loc>", index.content.decode())
    assert sorted(sections) == ["/sitemap-disputes.xml", "/sitemap-home.xml", "/sitemap-sources.xml"]
    body = "".join(client.get(section).content.decode() for section in sections)
    assert f"{page.get_absolute_url()}</loc>" in body and "<lastmod>" in body
    assert draft.slug not in body
    source = page.links.first().statement.quote.source
    assert f"/sources/{source.pk}/</loc>" in body


def test_robots_keep_crawlers_to_readers_pages(client: Client) -> None:
    body = client.get("/robots.txt").content.decode()
    for line in ("Disallow: /desk/", "Disallow: /review/", "Disallow: /admin/", "Sitemap: "):
        assert line in body


def test_a_source_page_revalidates_and_changes_with_a_check(
    client: Client, page: Dispute, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    source = page.links.first().statement.quote.source
    url = f"/sources/{source.pk}/"
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"]
    with django_assert_max_num_queries(2):
        again = revalidate(client, url, first["ETag"])
    assert again.status_code == 304 and not again.templates
    assert client.get(url, {"from": "1"})["ETag"] != first["ETag"]  # another comparison, another page
    # Readers see the headline as approved, so an unapproved edit leaves the page as it was (issue 12)…
    Source.objects.filter(pk=source.pk).update(title="A corrected headline")
    assert revalidate(client, url, first["ETag"]).status_code == 304
    # …while a check that finds the page gone changes it at once.
    Source.objects.filter(pk=source.pk).update(liveness=Source.Liveness.DEAD, last_checked_at=timezone.now())
    assert revalidate(client, url, first["ETag"]).status_code == 200


def test_a_source_no_public_dispute_cites_has_no_page(client: Client, draft: Dispute) -> None:
    source = draft.links.first().statement.quote.source
    assert client.get(f"/sources/{source.pk}/").status_code == 404


def test_a_page_that_deletes_a_stale_session_cookie_is_not_shared(client: Client, page: Dispute) -> None:
    """An expired session's cookie is deleted in the answer: that answer is one browser's, never a cache's."""
    client.cookies["sessionid"] = "expired-session-key"
    response = client.get(page.get_absolute_url())
    assert response.cookies["sessionid"].value == ""  # deleted
    assert response["Cache-Control"] == "private, no-store"


def test_flagging_a_related_dispute_changes_the_page_that_lists_it(client: Client, page: Dispute) -> None:
    related = DisputeFactory(claim_text="Another claim by the same speaker")
    DisputeLinkFactory(dispute=related, statement=page.links.first().statement, role=DisputeLink.Role.APPEARANCE)
    add_link(related, DisputeLink.Role.REBUTTAL)
    publish_directly(related)
    before = client.get(page.get_absolute_url())["ETag"]
    related.flag_for_recheck(reason="Its source was edited")  # the related list shows a re-check tag
    assert revalidate(client, page.get_absolute_url(), before).status_code == 200


@pytest.mark.parametrize(
    "query", ["q=%00", "speaker=%00x", "outlet=a%00b", "page=abc", "page=99999", "q=" + "x" * 5000]
)
def test_hostile_query_strings_get_a_page(client: Client, page: Dispute, query: str) -> None:
    assert client.get("/?" + query).status_code == 200
