"""The public source page: only for cited sources; versions, a word diff, marked passages, its checks."""

import datetime as dt
import zlib
from xml.etree.ElementTree import Element

import html5lib
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains

from articles.models import Fetch, Quote, QuoteCheck, Snapshot, Source
from articles.tests.factories import OutletFactory, QuoteFactory, SnapshotFactory, SourceFactory
from disputes.models import Dispute, DisputeLink
from disputes.tests.factories import DisputeFactory, StatementFactory, publish_as_is

pytestmark = pytest.mark.django_db

V1 = "The ministry spoke on Monday. Reports that the Ukrainian side was informed in advance are false. More text."
V2 = "The ministry spoke on Monday. Reports that the Ukrainian side was told in advance are false. More text."
V3 = "The ministry spoke on Tuesday. Reports that the Ukrainian side was told in advance are false. More text."
QUOTED = "Reports that the Ukrainian side was informed in advance are false."
NOW_READS = "Reports that the Ukrainian side was told in advance are false."


def at(day: int) -> dt.datetime:
    return dt.datetime(2024, 11, day, 9, 0, tzinfo=dt.UTC)


def parse(response) -> Element:  # type: ignore[no-untyped-def]
    return html5lib.parse(response.content.decode(), namespaceHTMLElements=False)


def text_of(response, selector: str) -> str:  # type: ignore[no-untyped-def]
    element = parse(response).find(selector)
    assert element is not None, selector
    return "".join(element.itertext())


def url(source: Source) -> str:
    return f"/sources/{source.pk}/"


def versions(source: Source, *texts: str) -> list[Snapshot]:
    """Give the source one snapshot per text, a day apart from 10 Nov; the last is current."""
    snapshots = [SnapshotFactory(source=source, main_text=text, captured_at=at(10 + n)) for n, text in enumerate(texts)]
    Source.objects.filter(pk=source.pk).update(current_snapshot=snapshots[-1])
    source.refresh_from_db()
    return snapshots


def cite(source: Source, exact: str, dispute: Dispute | None = None, role: str = DisputeLink.Role.REBUTTAL) -> Quote:
    """Quote the source in a dispute (a new one unless given), unpublished."""
    quote = QuoteFactory(source=source, exact=exact)
    dispute = dispute or DisputeFactory()
    DisputeLink.objects.create(dispute=dispute, statement=StatementFactory(quote=quote), role=role)
    return quote


@pytest.fixture
def source() -> Source:
    """A ministry statement, copy-edited once after we captured it, cited by a published dispute."""
    source = SourceFactory(
        title="Comment on reports of a call", outlet=OutletFactory(name="Ministry of Foreign Affairs"),
        liveness=Source.Liveness.ALIVE, last_checked_at=at(14), last_changed_at=at(11),
    )  # fmt: skip
    _, second = versions(source, V1, V2)
    quote = cite(source, QUOTED, DisputeFactory(claim_text="Kyiv was told in advance"))
    fetch = Fetch.objects.create(
        source=source, slot=at(11), started_at=at(11), requested_url=source.url, status_code=200,
        outcome=Fetch.Outcome.CHANGED, verdict="alive", tier=Fetch.Tier.CHANGED, snapshot=second,
    )  # fmt: skip
    check = QuoteCheck.objects.create(fetch=fetch, quote=quote, status=Quote.Status.EDITED, matched_text=NOW_READS)
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.EDITED, last_check=check)
    publish_as_is(quote.statements.get().links.get().dispute)
    return source


# --- who may see it ----------------------------------------------------------------------------


def test_an_unknown_or_uncited_source_is_not_found(client: Client, source: Source) -> None:
    uncited = SourceFactory(title="Tracked by the desk, never cited")
    versions(uncited, V1)

    assert client.get(f"/sources/{source.pk + 1000}/").status_code == 404
    response = client.get(url(uncited))
    assertContains(response, "We can't find that page", status_code=404)
    assertNotContains(response, "Tracked by the desk", status_code=404)


def test_a_source_cited_only_by_drafts_or_unapproved_edits_is_not_found(client: Client, editor, in_review) -> None:  # type: ignore[no-untyped-def]
    in_draft = SourceFactory()
    cite(in_draft, "Words only a draft quotes.")
    in_review_source = in_review.links.first().statement.quote.source
    published = publish_as_is(DisputeFactory())
    added_since = SourceFactory()
    cite(added_since, "Quoted in an edit nobody approved yet.", published)

    for unlisted in (in_draft, in_review_source, added_since):
        assert client.get(url(unlisted)).status_code == 404, unlisted


def test_a_source_of_a_withdrawn_dispute_stays_readable(client: Client, source: Source, reviewer) -> None:  # type: ignore[no-untyped-def]
    dispute = Dispute.objects.get()
    dispute.withdraw(by=reviewer, reason="The report was misread.")

    response = client.get(url(source))

    assertContains(response, '<span class="tag tag--withdrawn">Withdrawn</span>', html=True)


# --- what it shows -----------------------------------------------------------------------------


def test_source_page_shows_the_source_its_state_and_who_cites_it(client: Client, source: Source) -> None:
    response = client.get(url(source))

    assert response.status_code == 200
    assertContains(response, '<h1 class="source-page__title" dir="auto" lang="en">Comment on reports of a call</h1>')
    assertContains(response, "Ministry of Foreign Affairs")
    assertContains(response, f'<a href="{source.url}" rel="noopener noreferrer nofollow"><bdi>{source.url}</bdi></a>')
    state = " ".join(text_of(response, ".//p[@class='source-state source-state--warn']").split())
    assert state == "Edited 11 Nov 2024 — see what changed"
    citation = " ".join(text_of(response, ".//li[@class='citation']").split())
    assert citation.startswith("Kyiv was told in advance Denied by the subject")
    assert "Rebuttal · Speaker" in citation and "Now: reworded" in citation
    assert f"The article now reads: “{NOW_READS}”" in citation
    assertContains(response, 'Versions <span class="count">(2)</span>')


def test_other_words_at_an_uncertain_place_are_never_shown_as_what_the_article_now_reads(
    client: Client, source: Source
) -> None:
    # Issue 13: a deleted or rewritten passage is pointed out to editors, never quoted to readers
    # as the quote's new wording.
    quote = Quote.objects.get(source=source)
    QuoteCheck.objects.filter(pk=quote.last_check_id).update(status=Quote.Status.UNCERTAIN)
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.UNCERTAIN)

    response = client.get(url(source))

    citation = " ".join(text_of(response, ".//li[@class='citation']").split())
    assert "now reads" not in citation
    assert NOW_READS not in citation


def test_only_an_http_address_is_a_link(client: Client, source: Source) -> None:
    Source.objects.filter(pk=source.pk).update(liveness=Source.Liveness.MOVED, final_url="javascript:alert(1)")

    response = client.get(url(source))

    hrefs = [a.get("href") for a in parse(response).iter("a")]
    assert not [href for href in hrefs if "javascript" in href]
    assertNotContains(response, "Now at")


def test_the_diff_shows_the_last_change_with_the_quote_marked(client: Client, source: Source) -> None:
    response = client.get(url(source))

    body = response.content.decode()
    assert "<del><mark>informed</mark></del><ins><mark>told</mark></ins>" in body
    diff = response.context["diff"]
    assert (diff.old.captured_at, diff.new.captured_at) == (at(10), at(11))


def test_any_two_versions_can_be_compared(client: Client, source: Source) -> None:
    first, second = Snapshot.objects.filter(source=source).order_by("captured_at")
    third = SnapshotFactory(source=source, main_text=V3, captured_at=at(12))
    Source.objects.filter(pk=source.pk).update(current_snapshot=third)

    default = client.get(url(source))
    backwards = client.get(url(source), {"from": third.pk, "to": first.pk})
    same = client.get(url(source), {"from": second.pk, "to": second.pk})
    junk = client.get(url(source), {"from": "junk", "to": "99999"})

    assert "<del>Monday</del><ins>Tuesday</ins>" in default.content.decode()
    body = backwards.content.decode()
    assert "<del>Tuesday</del><ins>Monday</ins>" in body
    assert "<del><mark>told</mark></del><ins><mark>informed</mark></ins>" in body
    selected = [o.get("value") for o in parse(backwards).iter("option") if o.get("selected") is not None]
    assert selected == [str(third.pk), str(first.pk)]
    assertContains(same, "The text of these two versions is the same.")
    assert junk.status_code == 200 and junk.context["diff"].new == third


def test_the_text_marks_passages_of_published_disputes_only(client: Client, source: Source) -> None:
    cite(source, "More text.")  # a draft's quote: not for readers, not even as a highlight

    response = client.get(url(source))

    text = parse(response).find(".//div[@class='source-text']")
    assert [mark.text for mark in text.iter("mark")] == [NOW_READS]
    assert "".join(text.itertext()) == V2
    assertNotContains(response, "<mark>More text.</mark>")


def test_our_copies_are_shown_as_text_never_as_the_publishers_html(client: Client, source: Source) -> None:
    Snapshot.objects.filter(source=source).update(
        raw_html=zlib.compress(b"<script>alert('raw')</script><p>RAW-ONLY</p>"), full_text="FULL-ONLY"
    )
    Snapshot.objects.filter(source=source, main_text=V2).update(
        main_text=V2 + " <script>alert(1)</script>", raw_html=b"<script>alert('raw')</script>RAW-ONLY"
    )

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(source))

    body = response.content.decode()
    assert "RAW-ONLY" not in body and "FULL-ONLY" not in body
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert not [q["sql"] for q in queries.captured_queries if "raw_html" in q["sql"]]


def test_checks_are_told_in_words_without_internals(client: Client, source: Source) -> None:
    for day, status, outcome, verdict in [(12, 304, "not_modified", "alive"), (13, 304, "not_modified", "alive"),
                                          (14, 503, "error", "unreachable")]:  # fmt: skip
        Fetch.objects.create(
            source=source, slot=at(day), started_at=at(day), requested_url=source.url, status_code=status,
            outcome=outcome, verdict=verdict, error_class="http", error_message="celery@worker-7 gave up",
            detail="Failed check 1 from worker-7", resolved_ip="10.0.0.7",
        )  # fmt: skip

    response = client.get(url(source))

    rows = [
        [" ".join("".join(td.itertext()).split()) for td in tr.iter("td")]
        for tr in parse(response).find(".//table[@class='data-table checks-table']/tbody")
    ]
    assert rows == [
        ["14 Nov 2024, 09:00", "Could not be reached The site's answer: 503 Service Unavailable"],
        ["12 Nov 2024 to 13 Nov 2024 2 checks", "Online, text unchanged The site's answer: 304 Not Modified"],
        ["11 Nov 2024, 09:00", "Online: the text changed The site's answer: 200 OK"],
    ]
    for internal in ("worker-7", "10.0.0.7", "celery"):
        assertNotContains(response, internal)


def test_readers_get_no_cookie_no_csrf_token_and_a_cacheable_page(client: Client, source: Source, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://counterclaim.example"

    response = client.get(url(source))

    assert "Set-Cookie" not in response.headers and not response.cookies
    assert "public" in response["Cache-Control"].split(", ")
    assertNotContains(response, "csrfmiddlewaretoken")
    assertNotContains(response, "hx-headers")
    form = parse(response).find(".//form[@class='compare-form']")
    assert form.get("method") == "get"
    assertContains(response, f'<link rel="canonical" href="https://counterclaim.example{url(source)}">')


def test_the_dispute_page_links_each_source_to_its_page(client: Client, source: Source) -> None:
    dispute = Dispute.objects.get()

    response = client.get(dispute.get_absolute_url())

    assertContains(response, f'<a href="/sources/{source.pk}/#changes">see what changed</a>', html=True)
    assert client.get(f"/sources/{source.pk}/").status_code == 200


# --- budgets -----------------------------------------------------------------------------------


def test_the_page_costs_the_same_queries_with_2_versions_or_20(
    client: Client, source: Source, django_assert_num_queries
) -> None:
    # Its cache validators (the source, the citing disputes); then the citing disputes, the source, the
    # cited quotes, the versions, the two texts compared, the checks.
    with django_assert_num_queries(8):
        client.get(url(source))
    for n in range(18):
        snapshot = SnapshotFactory(
            source=source, main_text=f"{V2} Update {n}.", captured_at=at(12) + dt.timedelta(hours=n)
        )
    Source.objects.filter(pk=source.pk).update(current_snapshot=snapshot)

    with django_assert_num_queries(8):
        response = client.get(url(source))
    assert len(response.context["snapshots"]) == 20


def test_the_page_costs_the_same_queries_with_1_quote_or_20(
    client: Client, source: Source, django_assert_num_queries
) -> None:
    with django_assert_num_queries(8):
        client.get(url(source))
    # Nine more passages in the same dispute, approved again, and ten in disputes of their own.
    dispute, words = Dispute.objects.get(), V2.split()
    for n in range(9):
        cite(source, " ".join(words[n : n + 3]), dispute, role=DisputeLink.Role.APPEARANCE)
    Dispute.objects.filter(pk=dispute.pk).update(version=2)
    dispute.refresh_from_db()
    publish_as_is(dispute)
    for n in range(10):
        publish_as_is(cite(source, " ".join(words[n : n + 2])).statements.get().links.get().dispute)

    with django_assert_num_queries(8):
        response = client.get(url(source))
    assert sum(len(citation.passages) for citation in response.context["citations"]) == 20
