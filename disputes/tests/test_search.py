"""Searching and filtering published disputes: web-search syntax, ranking, other languages, the index."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from disputes import search
from disputes.models import Dispute, DisputeLink, PublicFacet, Revision
from disputes.tests.factories import DisputeFactory, add_link
from disputes.tests.test_public_views import publish_directly

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")


def published(claim: str, summary: str = "", **link_kwargs: object) -> Dispute:
    dispute = DisputeFactory(claim_text=claim, summary=summary)
    add_link(dispute, DisputeLink.Role.APPEARANCE, snapshot=False, **link_kwargs)
    add_link(dispute, DisputeLink.Role.REBUTTAL, snapshot=False)
    return publish_directly(dispute)


def found(client: Client, **params: str) -> list[str]:
    response = client.get("/", params)
    assert response.status_code == 200
    return [dispute.public_claim for dispute in response.context["page"].object_list]


@pytest.fixture
def story(db: None) -> dict[str, Dispute]:
    return {
        "call": published("Kyiv was told in advance about the Trump–Putin call", "The Post cited unnamed officials."),
        "crimea": published("Crimea is gone, a Trump adviser said", "Lanza spoke of the call for peace."),
        "ministry": published(
            "Ukraine's ministry denied the report",
            "Повідомлення про те, що українську сторону було поінформовано заздалегідь, не відповідають дійсності.",
        ),
    }


@pytest.fixture(params=["postgresql", "substring"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run each search test against PostgreSQL's full-text search and against the SQLite fallback."""
    if request.param == "postgresql" and connection.vendor != "postgresql":
        pytest.skip("PostgreSQL full-text search")
    if request.param == "substring":
        monkeypatch.setattr(search, "searchable", lambda: False)
    return request.param


def test_words_and_phrases(client: Client, story: dict[str, Dispute], backend: str) -> None:
    assert found(client, q="Putin call") == [story["call"].claim_text]
    assert found(client, q='"Trump adviser"') == [story["crimea"].claim_text]
    assert found(client, q='"adviser Trump"') == []


def test_minus_leaves_a_word_out(client: Client, story: dict[str, Dispute], backend: str) -> None:
    assert sorted(found(client, q="call -Crimea")) == [story["call"].claim_text]


@postgresql_only
def test_or_finds_either_and_the_claim_ranks_first(client: Client, story: dict[str, Dispute]) -> None:
    # "call" is in the claim of one dispute and only in the summary of the other.
    assert found(client, q="call") == [story["call"].claim_text, story["crimea"].claim_text]
    assert sorted(found(client, q="Crimea OR ministry")) == sorted(
        [story["crimea"].claim_text, story["ministry"].claim_text]
    )


def test_other_languages_and_accents(client: Client, story: dict[str, Dispute], backend: str) -> None:
    assert found(client, q="поінформовано") == [story["ministry"].claim_text]
    assert found(client, q="ПОІНФОРМОВАНО") == [story["ministry"].claim_text]  # case folded
    dispute = published("Zelenskyy's office answered", "Le ministère a démenti.")
    assert found(client, q="ministere") == [dispute.claim_text]  # accents folded on both sides


def test_quotes_speakers_and_outlets_are_searched(client: Client, db: None, backend: str) -> None:
    dispute = published("A claim about a phone call")
    link = dispute.links.select_related("statement__speaker", "statement__quote__source__outlet").first()
    quote_words = link.statement.quote.exact.split()[-1]
    assert found(client, q=link.statement.speaker.name) == [dispute.claim_text]
    assert found(client, q=f'"{link.statement.quote.source.outlet.name}"') == [dispute.claim_text]
    assert dispute.claim_text in found(client, q=quote_words)


def test_only_what_readers_see_is_searched(client: Client, story: dict[str, Dispute], backend: str) -> None:
    Dispute.objects.filter(pk=story["call"].pk).update(claim_text="A secret live edit about zebras")
    draft = DisputeFactory(claim_text="An unpublished zebra claim")
    search.index(draft, draft.frozen())  # even if a draft were indexed, it is not public
    assert found(client, q="zebras") == []
    assert found(client, q="zebra") == []


def test_filters(client: Client, story: dict[str, Dispute], backend: str) -> None:
    link = story["call"].links.select_related("statement__speaker", "statement__quote__source__outlet").first()
    speaker, outlet = link.statement.speaker.name, link.statement.quote.source.outlet.name
    assert found(client, speaker=speaker) == [story["call"].claim_text]
    assert found(client, outlet=outlet) == [story["call"].claim_text]
    assert found(client, speaker=speaker, q="Crimea") == []
    Dispute.objects.filter(pk=story["crimea"].pk).update(needs_recheck=True)
    assert found(client, changed="1") == [story["crimea"].claim_text]
    revision = story["ministry"].public_revision
    Revision.objects.filter(pk=revision.pk).update(data={**revision.data, "resolution": "contradicted"})
    assert found(client, resolution="contradicted") == [story["ministry"].claim_text]
    assert found(client, resolution="not-a-resolution") == found(client)  # ignored, not an error


def test_the_filter_lists_name_speakers_with_their_counts(client: Client, story: dict[str, Dispute]) -> None:
    response = client.get("/")
    speakers = response.context["speakers"]
    assert len(speakers) == PublicFacet.objects.filter(kind="speaker").count()
    assert all(choice["disputes"] == 1 for choice in speakers)


def test_no_result_says_what_to_try(client: Client, story: dict[str, Dispute]) -> None:
    page = client.get("/", {"q": "zzzyzx", "changed": "1"}).content.decode()
    assert "No published dispute matches “zzzyzx” with these filters." in page
    assert "Search again without the filters" in page and "Check the spelling" in page


def test_htmx_gets_the_results_alone(client: Client, story: dict[str, Dispute]) -> None:
    response = client.get("/", {"q": "Putin"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"') and "<html" not in body
    assert "HX-Request" in response["Vary"]
    assert "HX-Request" in client.get("/")["Vary"]


def test_a_hostile_query_is_shown_as_text(client: Client, story: dict[str, Dispute]) -> None:
    page = client.get("/", {"q": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@postgresql_only
def test_search_uses_the_gin_index_on_50000_disputes(db: None) -> None:
    """EXPLAIN shows the GIN index on a realistic table, with the planner left to its own choices."""
    dispute = published("Seed dispute for the revision")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO disputes_dispute (slug, claim_text, summary, context, resolution, state, version,
                needs_recheck, recheck_reason, withdrawal_reason, created_at, updated_at, published_at,
                public_revision_id, search_text, search_vector)
            SELECT 'generated-' || g, 'Generated claim ' || g, '', '', 'denied', 'published', 1, false, '', '',
                now(), now(), now(), %s, '',
                to_tsvector('simple', 'generated claim ' || md5(g::text) || ' ' || md5((g * 7)::text)
                    || CASE WHEN g %% 5000 = 0 THEN ' zaporizhzhia' ELSE '' END)
            FROM generate_series(1, 50000) AS g
            """,
            [dispute.public_revision_id],
        )
        cursor.execute("ANALYZE disputes_dispute")
    query = search.search(Dispute.objects.public(), "zaporizhzhia")
    plan = query.explain()
    assert "dispute_search_gin" in plan, plan
    assert query.count() == 10


def _many_published(count: int, like: Dispute, *, start: int = 0) -> None:
    """Add `count` public disputes sharing one approved revision, indexed in bulk (fast, and realistic
    enough for query counting: the pages read the same columns and facets)."""
    like = Dispute.objects.get(pk=like.pk)  # with the index columns as stored
    made = Dispute.objects.bulk_create(
        [
            Dispute(
                slug=f"bulk-{n}", claim_text=f"Bulk claim {n}", state=Dispute.State.PUBLISHED,
                public_revision_id=like.public_revision_id, published_at=like.published_at,
                public_changed_at=like.public_changed_at, search_text=like.search_text,
            )
            for n in range(start, start + count)
        ]
    )  # fmt: skip
    PublicFacet.objects.bulk_create(
        [PublicFacet(dispute=d, kind=f.kind, key=f.key, label=f.label) for d in made for f in like.facets.all()]
    )
    if connection.vendor == "postgresql":
        Dispute.objects.filter(pk__in=[d.pk for d in made]).update(
            search_vector=Dispute.objects.filter(pk=like.pk).values("search_vector")[:1]
        )


@pytest.mark.parametrize(
    "params", [{}, {"q": "claim"}, {"q": "claim", "speaker": "x"}], ids=["list", "search", "filter"]
)
def test_the_index_costs_the_same_with_5_or_500_disputes(
    client: Client, db: None, django_assert_num_queries, params: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    # The public stamp (for the ETag and the cached filter lists), the count, one page of ids, their rows,
    # the speakers and the outlets to filter by (cached: they are read again only when the stamp moves).
    first = published("The first claim of many")
    if "speaker" in params:
        params = {**params, "speaker": first.facets.filter(kind="speaker").first().label}
    _many_published(4, first)
    with django_assert_num_queries(6):
        assert client.get("/", params).status_code == 200
    with django_assert_num_queries(4):
        assert client.get("/", params).status_code == 200
    _many_published(495, first, start=4)
    with django_assert_num_queries(6):
        response = client.get("/", params)
    assert response.context["page"].paginator.count == 500
    assert len(response.context["page"].object_list) == 20
