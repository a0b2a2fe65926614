"""The read-only JSON API, its OpenAPI document and the ClaimReview feed (disputes/views/api.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import time_machine
import yaml
from django.contrib.auth.models import User
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone
from openapi_spec_validator import validate as validate_openapi

from articles.models import Quote, Source
from articles.tests.factories import OutletFactory, SnapshotFactory
from disputes.models import Actor, Dispute, DisputeLink, Statement
from disputes.tests.factories import ActorFactory, DisputeFactory, add_link
from disputes.tests.openapi import served_document, validate_response
from disputes.tests.test_public_views import dispute_with_links, publish_directly

pytestmark = pytest.mark.django_db

SITE = "https://counterclaim.example"


@pytest.fixture(autouse=True)
def site_url(settings) -> None:
    settings.SITE_URL = SITE
    settings.SITE_NAME = "Counterclaim"


def get_json(client: Client, url: str, path: str) -> dict:
    """GET an API address and check the answer against the served OpenAPI document for `path`."""
    return validate_response(path, client.get(url))


def published_at(days_ago: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days_ago)


@pytest.fixture
def story(editor: User, reviewer: User) -> Dispute:
    """The seed story: a claim in two outlets, Kyiv's denial, published through the workflow."""
    ki = OutletFactory(name="Kyiv Independent", domain="kyivindependent.com", homepage="https://kyivindependent.com/")
    ministry = ActorFactory(name="Ministry of Foreign Affairs of Ukraine", kind=Actor.Kind.ORGANISATION, role="")
    tykhyi = ActorFactory(name="Heorhii Tykhyi", role="foreign ministry spokesperson", organisation=ministry)
    dispute = DisputeFactory(
        slug="kyiv-told-in-advance",
        claim_text="Kyiv was told in advance about the Trump–Putin call",
        summary="Ukraine's foreign ministry denied a report that Kyiv knew of the call beforehand.",
        context="The Washington Post reported the call on 10 November.",
        resolution=Dispute.Resolution.DENIED,
        created_by=editor,
        last_edited_by=editor,
    )
    add_link(
        dispute, DisputeLink.Role.APPEARANCE, speaker=None, attribution=Statement.Attribution.ANONYMOUS_OFFICIALS,
        stated_on=dt.date(2024, 11, 10),
        quote__exact="the Ukrainian government was informed of the call in advance and did not object",
        quote__source__outlet=ki, quote__source__title="Trump urges Putin to avoid escalation in Ukraine, WP reports",
        quote__source__url="https://kyivindependent.com/trump-urges-putin-wp-reports/",
    )  # fmt: skip
    add_link(
        dispute, DisputeLink.Role.REBUTTAL, speaker=tykhyi, stated_on=None,
        quote__exact="Reports that the Ukrainian side was informed in advance of the alleged call are false.",
        quote__source__outlet=ki, quote__source__title="'Pure fiction' — Kremlin denies Putin and Trump spoke",
        quote__source__url="https://kyivindependent.com/pure-fiction/",
        quote__source__published_at=dt.datetime(2024, 11, 11, 23, 30, tzinfo=dt.UTC),
    )  # fmt: skip
    with time_machine.travel(dt.datetime(2024, 11, 12, 14, 5, tzinfo=dt.UTC), tick=False):
        dispute.submit(by=editor)
        dispute.publish(by=reviewer, note="Internal: checked against the Reuters wire")
    return dispute


# --- the list ------------------------------------------------------------------------------------


def test_list_gives_published_disputes_newest_first(client: Client, db: None) -> None:
    older = publish_directly(DisputeFactory(claim_text="Older claim"), published_at=published_at(2))
    newer = publish_directly(DisputeFactory(claim_text="Newer claim"), published_at=published_at(1))
    DisputeFactory(claim_text="A draft nobody approved")

    page = get_json(client, "/api/disputes/", "/api/disputes/")

    assert [d["claim"] for d in page["results"]] == ["Newer claim", "Older claim"]
    assert page["next"] is None
    first = page["results"][0]
    assert first["url"] == f"{SITE}/d/{newer.slug}/"
    assert first["api_url"] == f"{SITE}/api/disputes/{newer.slug}/"
    assert first["resolution"] == "denied"
    assert first["resolution_label"] == "Denied by the subject"
    assert first["withdrawn"] is False and first["needs_recheck"] is False
    assert page["results"][1]["slug"] == older.slug


def test_list_shows_the_approved_wording_not_the_live_one(client: Client, published: Dispute) -> None:
    Dispute.objects.filter(pk=published.pk).update(claim_text="Live edit", summary="Draft", resolution="confirmed")

    [item] = get_json(client, "/api/disputes/", "/api/disputes/")["results"]

    assert item["claim"] == published.claim_text
    assert item["summary"] == "A summary in our own words."
    assert item["resolution"] == "denied"


def test_list_marks_withdrawn_and_flagged_disputes(client: Client, published: Dispute, reviewer: User) -> None:
    flagged = publish_directly(DisputeFactory(), published_at=published_at(1))
    flagged.flag_for_recheck(reason="A cited article was edited.")
    published.withdraw(by=reviewer, reason="The report was misread.")

    results = get_json(client, "/api/disputes/", "/api/disputes/")["results"]

    by_slug = {item["slug"]: item for item in results}
    assert by_slug[published.slug]["withdrawn"] is True
    assert by_slug[flagged.slug]["needs_recheck"] is True


def test_list_pages_with_a_cursor_that_follows_next(client: Client, db: None) -> None:
    claims = [f"Claim {n}" for n in range(5)]
    for n, claim in enumerate(claims):
        publish_directly(DisputeFactory(claim_text=claim), published_at=published_at(10 - n))

    seen, url, pages = [], "/api/disputes/?page_size=2", 0
    while url:
        page = get_json(client, url, "/api/disputes/")
        seen += [item["claim"] for item in page["results"]]
        assert page["page_size"] == 2
        url = page["next"] and page["next"].removeprefix(SITE)
        pages += 1

    assert seen == claims[::-1]
    assert pages == 3


def test_cursor_is_stable_when_disputes_are_published_meanwhile(client: Client, db: None) -> None:
    same_moment = published_at(5)
    first = [publish_directly(DisputeFactory(), published_at=same_moment) for _ in range(3)]
    publish_directly(DisputeFactory(), published_at=published_at(6))

    page = get_json(client, "/api/disputes/?page_size=2", "/api/disputes/")
    # Published since the first page was read: newer ones, and one at the very moment of the page's end.
    publish_directly(DisputeFactory(), published_at=published_at(0))
    publish_directly(DisputeFactory(), published_at=published_at(1))
    rest = get_json(client, page["next"].removeprefix(SITE), "/api/disputes/")

    # Ties on the publication time are broken by id, newest first, so nothing repeats and nothing is skipped.
    expected = [d.slug for d in sorted(first, key=lambda d: -d.pk)] + [Dispute.objects.order_by("published_at")[0].slug]
    assert [item["slug"] for item in page["results"] + rest["results"]] == expected
    assert rest["next"] is None


def test_page_size_larger_than_the_maximum_gives_the_maximum(client: Client, db: None) -> None:
    for _ in range(3):
        publish_directly(DisputeFactory())

    page = get_json(client, "/api/disputes/?page_size=5000", "/api/disputes/")

    assert page["page_size"] == 100
    assert len(page["results"]) == 3
    assert get_json(client, "/api/disputes/", "/api/disputes/")["page_size"] == 20


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page_size=0", "page_size"),
        ("page_size=-3", "page_size"),
        ("page_size=ten", "page_size"),
        ("page_size=", "page_size"),
        ("page_size=%C2%B2", "page_size"),  # a superscript two is a digit to str.isdigit(), not to int()
        ("cursor=nonsense", "cursor"),
        ("cursor=", "cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b'["2024-11-12T14:05:00", 3]').decode(), "cursor"),  # no zone
        ("cursor=" + base64.urlsafe_b64encode(b'["2024-11-12T14:05:00+00:00", "3"]').decode(), "cursor"),
        (
            "cursor=" + base64.urlsafe_b64encode(b'["2024-11-12T14:05:00+00:00", 99999999999999999999]').decode(),
            "cursor",
        ),
        ("cursor=" + base64.urlsafe_b64encode(b'{"a": 1}').decode(), "cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b"\xff\xfe").decode(), "cursor"),
        ("cursor=%E2%9C%93", "cursor"),
        # At the very start of the calendar, ahead of UTC: it cannot be turned into UTC (SQLite tried).
        ("cursor=" + base64.urlsafe_b64encode(b'["0001-01-01T00:00:00+05:00", 1]').decode(), "cursor"),
    ],
)
def test_bad_cursor_or_page_size_is_a_clear_400(client: Client, db: None, query: str, parameter: str) -> None:
    response = client.get(f"/api/disputes/?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = validate_response("/api/disputes/", response)
    assert problem["title"] == "Bad Request"
    assert problem["parameter"] == parameter
    assert parameter in problem["detail"] if parameter == "page_size" else "cursor" in problem["detail"]


# --- one dispute ---------------------------------------------------------------------------------


def test_detail_gives_the_approved_revision_with_sources_as_they_stand(client: Client, story: Dispute) -> None:
    source = Source.objects.get(url="https://kyivindependent.com/pure-fiction/")
    Source.objects.filter(pk=source.pk).update(
        liveness=Source.Liveness.DEAD, last_checked_at=dt.datetime(2024, 11, 20, 8, 0, tzinfo=dt.UTC)
    )
    Quote.objects.filter(source=source).update(status=Quote.Status.GONE_WITH_PAGE)

    record = get_json(client, f"/api/disputes/{story.slug}/", "/api/disputes/{slug}/")

    assert record["schema_version"] == 1
    assert record["claim"] == "Kyiv was told in advance about the Trump–Putin call"
    assert record["context"] == "The Washington Post reported the call on 10 November."
    assert record["url"] == f"{SITE}/d/kyiv-told-in-advance/"
    assert record["updates_feed_url"] == f"{SITE}/d/kyiv-told-in-advance/updates.atom"
    assert record["published_at"] == record["last_approved_at"] == "2024-11-12T14:05:00Z"
    appearance, rebuttal = record["statements"]
    assert appearance["role"] == "appearance"
    assert appearance["speaker"] is None
    assert appearance["who"] == "Anonymous sources"
    assert appearance["attribution"] == "anonymous_officials"
    assert appearance["date"] == appearance["stated_on"] == "2024-11-10"
    assert appearance["source"]["outlet"] == "Kyiv Independent"
    assert appearance["source"]["liveness"]["state"] == "unknown"
    assert rebuttal["speaker"] == {
        "name": "Heorhii Tykhyi",
        "role": "foreign ministry spokesperson",
        "kind": "person",
        "organisation": "Ministry of Foreign Affairs of Ukraine",
        "wikidata_qid": "",
    }
    assert rebuttal["stated_on"] is None
    assert rebuttal["date"] == "2024-11-11"  # the source's date, in London time
    assert rebuttal["quote"]["text"].startswith("Reports that the Ukrainian side")
    assert rebuttal["quote"]["status"] == "gone_with_page"
    assert rebuttal["source"] == {
        "id": source.pk,
        "url": "https://kyivindependent.com/pure-fiction/",
        "title": "'Pure fiction' — Kremlin denies Putin and Trump spoke",
        "byline": source.byline,
        "language": source.language,
        "outlet": "Kyiv Independent",
        "outlet_homepage": "https://kyivindependent.com/",
        "published_at": "2024-11-11T23:30:00Z",
        "api_url": f"{SITE}/api/sources/{source.pk}/",
        "liveness": {
            "state": "dead",
            "state_label": "Gone",
            "last_checked_at": "2024-11-20T08:00:00Z",
            "last_changed_at": None,
        },
    }
    # The reviewer's approval note stays on the desk.
    assert record["history"] == [
        {"kind": "published", "text": "Published", "note": "", "changes": [], "at": "2024-11-12T14:05:00Z"}
    ]
    assert "Internal" not in json.dumps(record)


def test_detail_never_shows_a_draft_in_progress(client: Client, story: Dispute, editor: User) -> None:
    story.start_revision(by=editor)
    story.update_content(by=editor, version=story.version, claim_text="A reworded claim", summary="New words")

    record = get_json(client, f"/api/disputes/{story.slug}/", "/api/disputes/{slug}/")

    assert record["claim"] == "Kyiv was told in advance about the Trump–Putin call"
    assert "New words" not in json.dumps(record)


def test_detail_shows_public_history_with_its_notes(client: Client, story: Dispute, reviewer: User) -> None:
    with time_machine.travel(dt.datetime(2024, 11, 14, 9, 0, tzinfo=dt.UTC), tick=False):
        story.flag_for_recheck(reason="The Kyiv Independent article was edited.")
    with time_machine.travel(dt.datetime(2024, 11, 15, 9, 0, tzinfo=dt.UTC), tick=False):
        story.withdraw(by=reviewer, reason="The report was misread.")

    record = get_json(client, f"/api/disputes/{story.slug}/", "/api/disputes/{slug}/")

    assert [(e["kind"], e["note"]) for e in record["history"]] == [
        ("published", ""),
        ("flagged", "The Kyiv Independent article was edited."),
        ("withdrawn", "The report was misread."),
    ]
    assert record["withdrawn"] is True
    assert record["withdrawal_reason"] == "The report was misread."
    assert record["needs_recheck"] is False  # a withdrawal settles the re-check


def test_detail_says_what_changed_in_a_new_approval(client: Client, story: Dispute, editor, reviewer) -> None:
    story.start_revision(by=editor)
    story.update_content(by=editor, version=story.version, summary="Kyiv denied it twice.")
    story.submit(by=editor)
    story.publish(by=reviewer)

    record = get_json(client, f"/api/disputes/{story.slug}/", "/api/disputes/{slug}/")

    assert record["summary"] == "Kyiv denied it twice."
    assert record["history"][-1]["kind"] == "republished"
    assert record["history"][-1]["changes"] == ["summary edited"]


@pytest.mark.parametrize("step", ["draft", "in_review"])
def test_detail_of_an_unpublished_dispute_is_a_json_404(client: Client, request, step: str) -> None:
    dispute = request.getfixturevalue(step)

    response = client.get(f"/api/disputes/{dispute.slug}/")

    assert response.status_code == 404
    problem = validate_response("/api/disputes/{slug}/", response)
    assert dispute.slug in problem["detail"]
    assert dispute.claim_text not in response.content.decode()


# --- sources -------------------------------------------------------------------------------------


def test_source_gives_its_versions_and_the_cited_passages(client: Client, story: Dispute) -> None:
    source = Source.objects.get(url="https://kyivindependent.com/pure-fiction/")
    first = source.current_snapshot
    first.captured_at = dt.datetime(2024, 11, 11, 8, 0, tzinfo=dt.UTC)
    first.save(update_fields=["captured_at"])
    second = SnapshotFactory(
        source=source, main_text="The article, edited.", captured_at=dt.datetime(2024, 11, 20, 8, 0, tzinfo=dt.UTC)
    )
    Source.objects.filter(pk=source.pk).update(current_snapshot=second)

    record = get_json(client, f"/api/sources/{source.pk}/", "/api/sources/{id}/")

    assert record["url"] == "https://kyivindependent.com/pure-fiction/"
    assert record["outlet"] == "Kyiv Independent"
    assert record["language"] == "en"
    assert [(v["id"], v["current"]) for v in record["versions"]] == [(second.pk, True), (first.pk, False)]
    assert record["versions"][0]["captured_at"] == "2024-11-20T08:00:00Z"
    [quote] = record["quotes"]
    assert quote["text"].startswith("Reports that the Ukrainian side")
    assert quote["status"] == "present"  # located in our copy when it was approved, never "not checked"
    assert quote["cited_in"] == [
        {
            "slug": story.slug,
            "claim": "Kyiv was told in advance about the Trump–Putin call",
            "url": f"{SITE}/d/{story.slug}/",
            "api_url": f"{SITE}/api/disputes/{story.slug}/",
            "role": "rebuttal",
            "role_label": "Rebuttal",
            "withdrawn": False,
        }
    ]
    body = json.dumps(record)
    assert "The article, edited." not in body and "<p>" not in body  # no copy of the page, and no HTML


def test_source_cited_only_by_a_draft_is_not_found(client: Client, story: Dispute, editor: User) -> None:
    story.start_revision(by=editor)
    link = story.add_link(
        by=editor, version=story.version, role=DisputeLink.Role.SUPPORT,
        statement=add_link(DisputeFactory(), DisputeLink.Role.APPEARANCE).statement,
    )  # fmt: skip
    draft_only = link.statement.quote.source

    response = client.get(f"/api/sources/{draft_only.pk}/")

    assert response.status_code == 404
    validate_response("/api/sources/{id}/", response)
    assert client.get("/api/sources/999999/").status_code == 404


def test_source_dropped_from_a_draft_is_still_shown_while_readers_see_it(
    client: Client, story: Dispute, editor: User
) -> None:
    rebuttal = story.links.get(role=DisputeLink.Role.REBUTTAL)
    story.start_revision(by=editor)
    story.remove_link(by=editor, version=story.version, link_id=rebuttal.pk)

    record = get_json(client, f"/api/sources/{rebuttal.statement.quote.source_id}/", "/api/sources/{id}/")

    assert record["quotes"][0]["cited_in"][0]["slug"] == story.slug


# --- ClaimReview ---------------------------------------------------------------------------------


def test_claim_review_feed_has_googles_required_and_recommended_fields(client: Client, story: Dispute) -> None:
    feed = get_json(client, "/api/claimreview.json", "/api/claimreview.json")

    assert feed["@context"] == "https://schema.org"
    assert feed["@type"] == "DataFeed"
    [review] = feed["dataFeedElement"]
    # Required by Google: claimReviewed, reviewRating (with alternateName), url, author with a name.
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == "Kyiv was told in advance about the Trump–Putin call"
    assert review["reviewRating"]["alternateName"] == "Denied by the subject"
    assert review["url"] == f"{SITE}/d/kyiv-told-in-advance/"
    assert review["author"] == {"@type": "Organization", "name": "Counterclaim", "url": f"{SITE}/"}
    # Recommended: datePublished, and the claim with its author and where it appeared.
    assert review["datePublished"] == "2024-11-12"
    claim = review["itemReviewed"]
    assert claim["@type"] == "Claim"
    assert claim["author"] == {
        "@type": "Organization",
        "name": "Kyiv Independent",
        "url": "https://kyivindependent.com/",
    }
    assert claim["firstAppearance"]["url"] == "https://kyivindependent.com/trump-urges-putin-wp-reports/"
    assert [work["url"] for work in claim["appearance"]] == [
        "https://kyivindependent.com/trump-urges-putin-wp-reports/"
    ]
    assert claim["datePublished"] == "2024-11-10"


def test_claim_review_feed_leaves_out_withdrawn_and_unpublished_disputes(
    client: Client, story: Dispute, published: Dispute, reviewer: User, draft: Dispute
) -> None:
    published.withdraw(by=reviewer, reason="Misread.")

    feed = get_json(client, "/api/claimreview.json", "/api/claimreview.json")

    assert [review["url"] for review in feed["dataFeedElement"]] == [f"{SITE}/d/{story.slug}/"]


# --- the OpenAPI document ------------------------------------------------------------------------


def test_schema_is_served_as_a_valid_openapi_31_document(client: Client) -> None:
    response = client.get("/api/schema/")

    assert response["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    document = yaml.safe_load(response.content)
    assert document["openapi"] == "3.1.0"
    validate_openapi(document)


def test_schema_documents_every_open_data_address(db: None) -> None:
    def spelled(prefix: str, module: str) -> set[str]:
        patterns = get_resolver(module).url_patterns
        return {prefix + str(p.pattern).replace("<slug:slug>", "{slug}").replace("<int:pk>", "{id}") for p in patterns}

    addresses = spelled("/api/", "disputes.urls_api") | spelled("/", "disputes.urls_open_data")

    assert addresses == set(served_document()["paths"])


def test_schema_names_every_value_the_models_allow(db: None) -> None:
    schemas = served_document()["components"]["schemas"]

    assert set(schemas["Resolution"]["enum"]) == set(Dispute.Resolution.values)
    assert set(schemas["QuoteStatus"]["enum"]) == set(Quote.Status.values)
    assert set(schemas["Liveness"]["properties"]["state"]["enum"]) == set(Source.Liveness.values)
    statement = schemas["Statement"]["properties"]
    assert set(statement["role"]["enum"]) == set(DisputeLink.Role.values)
    assert set(statement["attribution"]["enum"]) == set(Statement.Attribution.values)


# --- budgets: the same queries for 5 disputes or 50, for 1 link or 20 ---------------------------------


def test_list_costs_one_query_with_5_disputes_or_50(client: Client, db: None, django_assert_num_queries) -> None:
    for _ in range(5):
        publish_directly(dispute_with_links(2))
    with django_assert_num_queries(1):
        client.get("/api/disputes/")
    for _ in range(45):
        publish_directly(dispute_with_links(2))
    with django_assert_num_queries(1):
        page = json.loads(client.get("/api/disputes/?page_size=100").content)
    assert len(page["results"]) == 50


def test_detail_costs_the_same_queries_with_1_link_or_20(client: Client, db: None, django_assert_num_queries) -> None:
    # The dispute with its revision, the cited sources, the quotes' states, the public history.
    def with_links(count: int) -> Dispute:
        dispute = DisputeFactory()
        for n in range(count):
            add_link(dispute, [DisputeLink.Role.APPEARANCE, DisputeLink.Role.REBUTTAL][n % 2])  # each with a copy
        return publish_directly(dispute)

    small, large = with_links(1), with_links(20)
    Source.objects.update(liveness=Source.Liveness.DEAD, first_dead_signal_at=timezone.now())

    with django_assert_num_queries(4):
        assert client.get(f"/api/disputes/{small.slug}/").status_code == 200
    with django_assert_num_queries(4):
        record = json.loads(client.get(f"/api/disputes/{large.slug}/").content)
    assert len(record["statements"]) == 20


def test_source_costs_the_same_queries_cited_once_or_20_times(
    client: Client, db: None, django_assert_num_queries
) -> None:
    # The citing disputes, the source, the quotes' states, the versions.
    once = publish_directly(dispute_with_links(1)).links.get().statement.quote.source
    many = SnapshotFactory().source
    for _ in range(20):
        dispute = DisputeFactory()
        add_link(dispute, DisputeLink.Role.APPEARANCE, snapshot=False, quote__source=many)
        publish_directly(dispute)
    for n in range(5):
        SnapshotFactory(source=many, main_text=f"Version {n}")

    with django_assert_num_queries(4):
        assert client.get(f"/api/sources/{once.pk}/").status_code == 200
    with django_assert_num_queries(4):
        record = json.loads(client.get(f"/api/sources/{many.pk}/").content)
    assert len(record["quotes"]) == 20
    assert len(record["versions"]) == 6


def test_claim_review_feed_costs_one_query_with_5_disputes_or_50(
    client: Client, db: None, django_assert_num_queries
) -> None:
    for _ in range(5):
        publish_directly(dispute_with_links(2))
    with django_assert_num_queries(1):
        client.get("/api/claimreview.json")
    for _ in range(45):
        publish_directly(dispute_with_links(2))
    with django_assert_num_queries(1):
        feed = json.loads(client.get("/api/claimreview.json").content)
    assert len(feed["dataFeedElement"]) == 50


# --- open data: no cookie, cacheable by anyone, readable from any origin -------------------------------


OPEN_ADDRESSES = [
    "/api/disputes/",
    "/api/disputes/{slug}/",
    "/api/sources/{source}/",
    "/api/claimreview.json",
    "/api/schema/",
    "/api/disputes/no-such-dispute/",
    "/api/disputes/?cursor=bad",
]


@pytest.mark.parametrize("address", OPEN_ADDRESSES)
def test_open_data_sets_no_cookie_and_may_be_cached_by_anyone(client: Client, published: Dispute, address: str) -> None:
    source = published.links.first().statement.quote.source
    response = client.get(address.format(slug=published.slug, source=source.pk))

    assert "Set-Cookie" not in response.headers
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_open_data_refuses_writes(client: Client, published: Dispute) -> None:
    assert client.post("/api/disputes/").status_code == 405
    assert client.delete(f"/api/disputes/{published.slug}/").status_code == 405
