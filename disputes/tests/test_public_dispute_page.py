"""The dispute page's evidence and surroundings: the two columns, sources in words, related disputes, sharing, print.

The page's basics (the claim, the cards, the history, ClaimReview) are tested in test_public_views.py.
"""

import datetime as dt
from xml.etree.ElementTree import Element

import html5lib
import pytest
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from articles.models import Quote, Snapshot, Source
from disputes.models import Dispute, DisputeLink
from disputes.tests.factories import ActorFactory, DisputeFactory, add_link, publish_as_is

pytestmark = pytest.mark.django_db


def parse(response) -> Element:  # type: ignore[no-untyped-def]
    return html5lib.parse(response.content.decode(), namespaceHTMLElements=False)


def words(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())


@pytest.fixture
def dispute() -> Dispute:
    """A claim with an appearance, a rebuttal by Peskov whose source has gone, and a correction notice."""
    dispute = DisputeFactory(claim_text="Kyiv was told in advance", summary="Kyiv denied it. The Kremlin too.")
    add_link(dispute, DisputeLink.Role.APPEARANCE)
    peskov = ActorFactory(name="Dmitry Peskov")
    gone = add_link(dispute, DisputeLink.Role.REBUTTAL, speaker=peskov, quote__exact="This is pure fiction.")
    add_link(dispute, DisputeLink.Role.CORRECTION)
    source = gone.statement.quote.source
    Snapshot.objects.filter(source=source).update(captured_at=dt.datetime(2024, 11, 11, 9, tzinfo=dt.UTC))
    Source.objects.filter(pk=source.pk).update(
        liveness=Source.Liveness.DEAD, first_dead_signal_at=dt.datetime(2024, 11, 20, 9, tzinfo=dt.UTC)
    )
    Quote.objects.filter(pk=gone.statement.quote_id).update(status=Quote.Status.GONE_WITH_PAGE)
    return publish_as_is(dispute)


def test_appearances_and_rebuttals_share_a_row_and_other_roles_follow(client: Client, dispute: Dispute) -> None:
    response = client.get(dispute.get_absolute_url())

    sides = parse(response).find(".//div[@class='sides']")
    assert [section.get("class") for section in sides] == [
        "statements statements--appearance",
        "statements statements--rebuttal",
    ]
    after = parse(response).findall(".//article[@class='dispute']/section")
    assert [s.get("class") for s in after if "statements" in s.get("class", "")] == [
        "statements statements--correction"
    ]


def test_without_appearances_or_rebuttals_there_are_no_columns(client: Client) -> None:
    dispute = DisputeFactory()
    add_link(dispute, DisputeLink.Role.CONTEXT)
    publish_as_is(dispute)

    response = client.get(dispute.get_absolute_url())

    assertNotContains(response, 'class="sides"')
    assertContains(response, "Context from other sources")


def test_each_source_is_said_in_words_with_a_link_to_our_copy(client: Client, dispute: Dispute) -> None:
    response = client.get(dispute.get_absolute_url())

    rebuttal = parse(response).find(".//article[@class='statement statement--rebuttal']")
    state = rebuttal.find(".//p[@class='source-state source-state--bad']")
    assert words(state) == "Source now: Gone since 20 Nov 2024 — our copy of 11 Nov 2024"
    source_id = dispute.links.get(role=DisputeLink.Role.REBUTTAL).statement.quote.source_id
    assert state.find(".//a").get("href") == f"/sources/{source_id}/#text"
    # A source in no special state still leads to its page.
    appearance = parse(response).find(".//article[@class='statement statement--appearance']")
    assert [a.get("href") for a in appearance.iter("a") if a.text == "versions and checks"]


def test_a_preview_links_no_public_source_page(client: Client, editor) -> None:  # type: ignore[no-untyped-def]
    from disputes.tests.factories import ready_for_review

    draft = ready_for_review(created_by=editor, last_edited_by=editor)
    client.force_login(editor)

    response = client.get(f"/desk/disputes/{draft.pk}/preview/")

    assert response.status_code == 200
    assertContains(response, "Source now:")
    assertNotContains(response, 'href="/sources/')


def test_related_disputes_say_what_they_share(client: Client, dispute: Dispute) -> None:
    peskov = dispute.links.get(role=DisputeLink.Role.REBUTTAL).statement.speaker
    other = DisputeFactory(claim_text="Putin and Trump spoke after the election")
    add_link(other, DisputeLink.Role.REBUTTAL, speaker=peskov)
    publish_as_is(other)

    response = client.get(dispute.get_absolute_url())

    related = parse(response).find(".//section[@class='related']")
    assert words(related.find(".//p[@class='related__why']")) == "Also quotes Dmitry Peskov"
    assert related.find(".//p[@class='related__claim']/a").get("href") == other.get_absolute_url()
    # And the other way round.
    assertContains(client.get(other.get_absolute_url()), "Kyiv was told in advance")


def test_no_related_section_when_nothing_is_related(client: Client, dispute: Dispute) -> None:
    assertNotContains(client.get(dispute.get_absolute_url()), "Related disputes")


def test_sharing_tags_and_the_canonical_address(client: Client, dispute: Dispute, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://counterclaim.example"
    settings.SITE_NAME = "Counterclaim"

    head = parse(client.get(dispute.get_absolute_url())).find("head")

    tags = {m.get("property") or m.get("name") or "": m.get("content") for m in head.iter("meta")}
    address = f"https://counterclaim.example/d/{dispute.slug}/"
    assert {key: tags[key] for key in tags if key.startswith(("og:", "twitter:"))} == {
        "og:type": "article",
        "og:site_name": "Counterclaim",
        "og:title": "Kyiv was told in advance",
        "og:description": "Kyiv denied it.",
        "og:url": address,
        "og:locale": "en_GB",
        "twitter:card": "summary",
        "twitter:title": "Kyiv was told in advance",
        "twitter:description": "Kyiv denied it.",
    }
    assert [link.get("href") for link in head.iter("link") if link.get("rel") == "canonical"] == [address]


def test_a_printed_page_names_its_address(client: Client, dispute: Dispute, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://counterclaim.example"

    response = client.get(dispute.get_absolute_url())

    assertContains(response, f'<p class="print-only">This page: https://counterclaim.example/d/{dispute.slug}/</p>')
