"""Capturing a passage of a source and attributing it: the desk's statement views."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from articles.models import Fetch, Quote, QuoteCheck, Snapshot, Source
from articles.tests.factories import SnapshotFactory, SourceFactory
from disputes.models import Actor, DisputeLink, Event, Statement
from disputes.tests.factories import ActorFactory, DisputeFactory

pytestmark = pytest.mark.django_db

TEXT = (
    "Donald Trump spoke with Vladimir Putin on Thursday, people familiar with the call said.\n"
    "Trump probably does not want to begin his second presidential term with an escalation in the Ukraine war, "
    "one official said.\n"
    "The Kremlin later said no such call had taken place."
)
PASSAGE = "Trump probably does not want to begin his second presidential term with an escalation in the Ukraine war"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def snapshot() -> Snapshot:
    source = SourceFactory(published_at=dt.datetime(2024, 11, 10, 12, tzinfo=dt.UTC))
    snapshot = SnapshotFactory(source=source, main_text=TEXT, full_text="Menu\n" + TEXT + "\nPhoto: Reuters")
    Source.objects.filter(pk=source.pk).update(current_snapshot=snapshot)
    return snapshot


@pytest.fixture
def fetch(snapshot: Snapshot) -> Fetch:
    """The check that brought the snapshot: a passage located in it records its check against this fetch."""
    return Fetch.objects.create(
        source=snapshot.source, slot=timezone.now(), requested_url=snapshot.source.url, status_code=200,
        outcome=Fetch.Outcome.CHANGED, tier=Fetch.Tier.FIRST, verdict=Source.Liveness.ALIVE, snapshot=snapshot,
    )  # fmt: skip


@pytest.fixture
def signed_in(client: Client, editor: User) -> Client:
    client.force_login(editor)
    return client


def capture(client: Client, snapshot: Snapshot, exact: str, start: int | None, end: int | None, **extra: object):  # type: ignore[no-untyped-def]
    data = {"snapshot": snapshot.pk, "exact": exact, "start": start if start is not None else "", **extra}
    data["end"] = end if end is not None else ""
    return client.post(reverse("disputes:quote-capture", args=[snapshot.source_id]), data)


# --- the mouse path -----------------------------------------------------------------------------


def test_a_selection_becomes_a_quote_with_a_selector_from_our_text(signed_in: Client, snapshot: Snapshot) -> None:
    start = TEXT.index(PASSAGE)
    response = capture(signed_in, snapshot, PASSAGE, start, start + len(PASSAGE))
    quote = Quote.objects.get()
    assertRedirects(response, reverse("disputes:statement-create", args=[quote.pk]), fetch_redirect_response=False)
    assert (quote.exact, quote.start, quote.end, quote.snapshot) == (PASSAGE, start, start + len(PASSAGE), snapshot)
    assert quote.prefix == "people familiar with the call said.\n"[-len(quote.prefix) :]
    assert quote.suffix.startswith(", one official")
    assert quote.captured_by.username == "editor"
    assert quote.source_id == snapshot.source_id


def test_htmx_capture_answers_with_the_attribution_step(signed_in: Client, snapshot: Snapshot) -> None:
    start = TEXT.index(PASSAGE)
    url = reverse("disputes:quote-capture", args=[snapshot.source_id])
    data = {"snapshot": snapshot.pk, "exact": PASSAGE, "start": start, "end": start + len(PASSAGE)}
    response = signed_in.post(url, data, headers=HTMX)
    assertContains(response, 'id="attribute-step"')
    assertContains(response, 'value="2024-11-10"')  # the date stated defaults to the source's publication
    assertNotContains(response, "<html")


def test_a_double_submit_captures_one_quote_located_once(signed_in: Client, snapshot: Snapshot, fetch: Fetch) -> None:
    start = TEXT.index(PASSAGE)
    capture(signed_in, snapshot, PASSAGE, start, start + len(PASSAGE))
    capture(signed_in, snapshot, PASSAGE, start, start + len(PASSAGE))
    assert Quote.objects.count() == 1
    assert QuoteCheck.objects.count() == 1


# --- located at once ----------------------------------------------------------------------------


def test_a_passage_captured_from_the_current_copy_is_present_with_a_check(
    signed_in: Client, snapshot: Snapshot, fetch: Fetch
) -> None:
    start = TEXT.index(PASSAGE)
    capture(signed_in, snapshot, PASSAGE, start, start + len(PASSAGE))
    quote = Quote.objects.get()
    assert quote.status == Quote.Status.PRESENT
    check = QuoteCheck.objects.get()
    assert (check.quote, check.fetch, check.status) == (quote, fetch, Quote.Status.PRESENT)
    assert (check.match_start, check.match_end) == (start, start + len(PASSAGE))
    assert quote.last_check == check


def test_a_passage_captured_from_an_older_copy_gets_the_status_of_the_current_one(
    signed_in: Client, snapshot: Snapshot, fetch: Fetch
) -> None:
    edited = TEXT.replace("Trump probably", "Trump likely")
    newer = SnapshotFactory(source=snapshot.source, main_text=edited, full_text=edited)
    newer_fetch = Fetch.objects.create(
        source=snapshot.source, slot=timezone.now() + dt.timedelta(hours=2), requested_url=snapshot.source.url,
        status_code=200, outcome=Fetch.Outcome.CHANGED, tier=Fetch.Tier.CHANGED, snapshot=newer,
    )  # fmt: skip
    Source.objects.filter(pk=snapshot.source_id).update(current_snapshot=newer)
    start = TEXT.index(PASSAGE)

    capture(signed_in, snapshot, PASSAGE, start, start + len(PASSAGE))  # selected in the older copy

    quote = Quote.objects.get()
    assert (quote.snapshot, quote.exact) == (snapshot, PASSAGE)  # the capture itself is kept as selected
    assert quote.status == Quote.Status.EDITED
    assert quote.last_check.fetch == newer_fetch
    assert quote.last_check.matched_text == PASSAGE.replace("probably", "likely")


def test_a_selection_edited_to_words_not_in_our_copy_is_refused(signed_in: Client, snapshot: Snapshot) -> None:
    start = TEXT.index(PASSAGE)
    tampered = PASSAGE.replace("does not want", "wants")
    response = capture(signed_in, snapshot, tampered, start, start + len(PASSAGE))
    assertContains(response, "That passage is not in our copy of the page", status_code=422)
    assert not Quote.objects.exists()


def test_a_refusal_over_htmx_is_a_fragment_to_show(signed_in: Client, snapshot: Snapshot) -> None:
    url = reverse("disputes:quote-capture", args=[snapshot.source_id])
    data = {"snapshot": snapshot.pk, "exact": "Putin will surrender", "start": 0, "end": 20}
    response = signed_in.post(url, data, headers=HTMX)
    assertContains(response, "That passage is not in our copy of the page")
    assertNotContains(response, "<html")
    assert not Quote.objects.exists()


def test_wrong_offsets_for_words_that_are_there_are_corrected(signed_in: Client, snapshot: Snapshot) -> None:
    capture(signed_in, snapshot, PASSAGE, 3, 40)
    quote = Quote.objects.get()
    assert quote.start == TEXT.index(PASSAGE)
    assert quote.exact == TEXT[quote.start : quote.end] == PASSAGE


def test_spaces_at_the_edges_of_a_selection_are_left_out(signed_in: Client, snapshot: Snapshot) -> None:
    start = TEXT.index(PASSAGE) - 1  # the line break before it
    capture(signed_in, snapshot, TEXT[start : start + len(PASSAGE) + 1], start, start + len(PASSAGE) + 1)
    assert Quote.objects.get().exact == PASSAGE


def test_a_snapshot_of_another_source_is_refused(signed_in: Client, snapshot: Snapshot) -> None:
    other = SnapshotFactory(main_text=TEXT)
    response = signed_in.post(
        reverse("disputes:quote-capture", args=[snapshot.source_id]),
        {"snapshot": other.pk, "exact": PASSAGE, "start": TEXT.index(PASSAGE), "end": 0},
    )
    assertContains(response, "not one we hold", status_code=422)
    assert not Quote.objects.exists()


# --- the keyboard path --------------------------------------------------------------------------


def find(client: Client, snapshot: Snapshot, passage: str, **headers: str):  # type: ignore[no-untyped-def]
    url = reverse("disputes:quote-find", args=[snapshot.source_id])
    return client.post(url, {"passage": passage}, headers=headers)


def test_a_pasted_passage_found_word_for_word(signed_in: Client, snapshot: Snapshot) -> None:
    response = find(signed_in, snapshot, "  Trump probably does not want to begin\nhis second presidential term ")
    found = response.context["found"]
    assert (found.start, found.exact) == (
        TEXT.index("Trump probably"),
        "Trump probably does not want to begin his second presidential term",
    )
    assertContains(response, "Found word for word")
    assertContains(response, "Use this passage")
    assert not Quote.objects.exists()  # nothing is written until the editor confirms


def test_a_copy_edited_paste_finds_the_passage_as_we_hold_it(signed_in: Client, snapshot: Snapshot) -> None:
    response = find(signed_in, snapshot, PASSAGE.replace("probably", "likely"), **HTMX)
    found = response.context["found"]
    assert found.exact == PASSAGE
    assert not found.verbatim
    assertContains(response, "It differs from what you pasted")
    assertNotContains(response, "<html")


def test_a_paste_that_is_not_there_says_so(signed_in: Client, snapshot: Snapshot) -> None:
    response = find(signed_in, snapshot, "The minister resigned after the vote on the budget in parliament.")
    assert response.context["found"] is None
    assertContains(response, "We could not find that passage in our copy of the page")


def test_confirming_a_found_passage_captures_it(signed_in: Client, snapshot: Snapshot) -> None:
    found = find(signed_in, snapshot, PASSAGE.replace("probably", "likely")).context["found"]
    capture(signed_in, snapshot, found.exact, found.start, found.end)
    assert Quote.objects.get().exact == PASSAGE


# --- speakers -----------------------------------------------------------------------------------


def test_actor_search_finds_by_name_role_or_organisation(signed_in: Client) -> None:
    ministry = ActorFactory(name="Ministry of Foreign Affairs of Ukraine", kind=Actor.Kind.ORGANISATION, role="")
    ActorFactory(name="Heorhii Tykhyi", role="spokesperson", organisation=ministry)
    ActorFactory(name="Dmitry Peskov", role="Kremlin spokesman")
    url = reverse("disputes:actor-search")
    names = [a.name for a in signed_in.get(url, {"q": "tykh"}, headers=HTMX).context["actors"]]
    assert names == ["Heorhii Tykhyi"]
    names = {a.name for a in signed_in.get(url, {"q": "spokes"}).context["actors"]}
    assert names == {"Heorhii Tykhyi", "Dmitry Peskov"}
    response = signed_in.get(url, {"q": "foreign affairs"}, headers=HTMX)
    assertContains(response, 'name="speaker"')
    assertContains(response, "Heorhii Tykhyi")
    assertNotContains(response, "<html")


def test_actor_search_costs_the_same_for_5_or_100_speakers(signed_in: Client) -> None:
    organisation = ActorFactory(name="Ministry", kind=Actor.Kind.ORGANISATION)
    counts = []
    for batch in (5, 95):
        ActorFactory.create_batch(batch, organisation=organisation)
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get(reverse("disputes:actor-search"), {"q": "speaker"}, headers=HTMX)
        counts.append(len(queries))
        assert response.status_code == 200
    assert counts[0] == counts[1]


def test_a_new_speaker_with_a_new_organisation(signed_in: Client) -> None:
    data = {"name": "Heorhii Tykhyi", "role": "spokesperson", "organisation": "Ukrainian foreign ministry",
            "kind": "person"}  # fmt: skip
    response = signed_in.post(reverse("disputes:actor-create"), data, headers=HTMX)
    actor = Actor.objects.get(name="Heorhii Tykhyi")
    assert actor.organisation.name == "Ukrainian foreign ministry"
    assert actor.organisation.kind == Actor.Kind.ORGANISATION
    assertContains(response, f'value="{actor.pk}" form="statement-form" checked')
    assertContains(response, "Added Heorhii Tykhyi")


def test_a_speaker_already_on_file_is_picked_not_duplicated(signed_in: Client) -> None:
    organisation = ActorFactory(name="Kremlin", kind=Actor.Kind.ORGANISATION)
    peskov = ActorFactory(name="Dmitry Peskov", organisation=organisation)
    data = {"name": "dmitry peskov", "organisation": "kremlin", "kind": "person", "next": "/desk/quotes/1/statements/"}
    response = signed_in.post(reverse("disputes:actor-create"), data)
    assertRedirects(response, f"/desk/quotes/1/statements/?speaker={peskov.pk}", fetch_redirect_response=False)
    assert Actor.objects.count() == 2
    assert "already on file" in " ".join(str(m) for m in response.wsgi_request._messages)


def test_a_speaker_without_a_name_is_refused_in_place(signed_in: Client) -> None:
    response = signed_in.post(reverse("disputes:actor-create"), {"name": " ", "kind": "person"}, headers=HTMX)
    assert response.headers["HX-Retarget"] == "#new-actor"
    assertContains(response, "This field is required")
    assert not Actor.objects.exists()


def test_a_next_address_elsewhere_is_ignored(signed_in: Client) -> None:
    data = {"name": "Someone", "kind": "person", "next": "https://evil.example/"}
    response = signed_in.post(reverse("disputes:actor-create"), data)
    assert response["Location"].startswith(reverse("disputes:actor-search"))


# --- statements ---------------------------------------------------------------------------------


@pytest.fixture
def quote(snapshot: Snapshot, editor: User) -> Quote:
    start = TEXT.index(PASSAGE)
    return Quote.objects.create(
        source=snapshot.source, snapshot=snapshot, exact=PASSAGE, start=start, end=start + len(PASSAGE),
        captured_by=editor,
    )  # fmt: skip


def test_the_attribution_page_works_without_javascript(signed_in: Client, quote: Quote) -> None:
    speaker = ActorFactory(name="Heorhii Tykhyi")
    url = reverse("disputes:statement-create", args=[quote.pk])
    response = signed_in.get(url, {"speaker": speaker.pk})
    assertContains(response, "<html")
    assertContains(response, f'value="{speaker.pk}" form="statement-form" checked')
    assertContains(response, f'action="{reverse("disputes:actor-search")}"')


def test_a_statement_with_a_speaker(signed_in: Client, quote: Quote) -> None:
    speaker = ActorFactory()
    url = reverse("disputes:statement-create", args=[quote.pk])
    data = {"speaker": speaker.pk, "attribution": "direct_quote", "stated_on": "2024-11-10"}
    response = signed_in.post(url, data)
    statement = Statement.objects.get()
    assertRedirects(response, reverse("disputes:statement-detail", args=[statement.pk]))
    assert (statement.quote, statement.speaker, statement.stated_on) == (quote, speaker, dt.date(2024, 11, 10))


def test_a_direct_quote_needs_a_speaker(signed_in: Client, quote: Quote) -> None:
    url = reverse("disputes:statement-create", args=[quote.pk])
    response = signed_in.post(url, {"attribution": "direct_quote"})
    assertContains(response, "Name who said it")
    assert not Statement.objects.exists()


def test_anonymous_sources_need_no_speaker(signed_in: Client, quote: Quote) -> None:
    url = reverse("disputes:statement-create", args=[quote.pk])
    signed_in.post(url, {"attribution": "anonymous_officials"})
    statement = Statement.objects.get()
    assert statement.speaker is None
    assert statement.attribution == Statement.Attribution.ANONYMOUS_OFFICIALS


def test_who_cited_anonymous_sources_is_kept(signed_in: Client, quote: Quote) -> None:
    """ "The Washington Post, citing two unnamed sources": the editor's pick is not thrown away."""
    post = ActorFactory(name="The Washington Post")
    url = reverse("disputes:statement-create", args=[quote.pk])
    signed_in.post(url, {"attribution": "anonymous_officials", "speaker": post.pk})
    statement = Statement.objects.get()
    assert (statement.speaker, statement.attribution) == (post, Statement.Attribution.ANONYMOUS_OFFICIALS)


def test_a_double_submit_saves_one_statement(signed_in: Client, quote: Quote) -> None:
    url = reverse("disputes:statement-create", args=[quote.pk])
    data = {"speaker": ActorFactory().pk, "attribution": "paraphrase"}
    signed_in.post(url, data)
    signed_in.post(url, data)
    assert Statement.objects.count() == 1


# --- into a dispute -----------------------------------------------------------------------------


def test_the_statement_goes_into_the_dispute_it_was_captured_for(signed_in: Client, quote: Quote, editor: User) -> None:
    dispute = DisputeFactory(created_by=editor)
    url = reverse("disputes:statement-create", args=[quote.pk])
    data = {"speaker": ActorFactory().pk, "attribution": "direct_quote", "dispute": dispute.pk,
            "role": "rebuttal", "version": dispute.version}  # fmt: skip
    response = signed_in.post(url, data)
    assertRedirects(response, f"/desk/disputes/{dispute.pk}/", fetch_redirect_response=False)
    assert response["Location"] == reverse("disputes:dispute-edit", args=[dispute.pk])
    link = DisputeLink.objects.get()
    assert (link.dispute, link.statement, link.role) == (dispute, Statement.objects.get(), "rebuttal")
    assert Event.objects.filter(dispute=dispute, kind="link_added").exists()
    # A second click on "Save" finds the link made and goes to the dispute again.
    assertRedirects(signed_in.post(url, data), f"/desk/disputes/{dispute.pk}/", fetch_redirect_response=False)
    assert DisputeLink.objects.count() == 1


def test_a_stale_dispute_keeps_the_statement_and_says_so(signed_in: Client, quote: Quote, editor: User) -> None:
    dispute = DisputeFactory(created_by=editor)
    stale = dispute.version
    dispute.update_content(by=editor, version=stale, summary="Someone else's edit")
    url = reverse("disputes:statement-create", args=[quote.pk])
    data = {"speaker": ActorFactory().pk, "attribution": "direct_quote", "dispute": dispute.pk,
            "role": "appearance", "version": stale}  # fmt: skip
    response = signed_in.post(url, data, follow=True)
    statement = Statement.objects.get()
    assert response.redirect_chain[0][0].startswith(reverse("disputes:statement-detail", args=[statement.pk]))
    assertContains(response, "Someone else saved this dispute")
    assertContains(response, "Your statement is saved")
    assert not DisputeLink.objects.exists()


def test_the_dispute_params_are_carried_from_the_source_page_to_the_attribution_step(
    signed_in: Client, snapshot: Snapshot, editor: User
) -> None:
    dispute = DisputeFactory(created_by=editor)
    page = signed_in.get(reverse("articles:source-detail", args=[snapshot.source_id]),
                         {"dispute": dispute.pk, "role": "rebuttal"})  # fmt: skip
    assertContains(page, f'name="dispute" value="{dispute.pk}"')
    start = TEXT.index(PASSAGE)
    response = capture(signed_in, snapshot, PASSAGE, start, start + len(PASSAGE), dispute=dispute.pk, role="rebuttal")
    quote = Quote.objects.get()
    expected = f"{reverse('disputes:statement-create', args=[quote.pk])}?dispute={dispute.pk}&role=rebuttal&version=1"
    assertRedirects(response, expected, fetch_redirect_response=False)
    step = signed_in.get(expected)
    assertContains(step, f'name="version" value="{dispute.version}"')
    assertContains(step, "rebuttal")


# --- who may ------------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client: Client, snapshot: Snapshot) -> None:
    response = capture(client, snapshot, PASSAGE, 0, 10)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("disputes:actor-search")).status_code == 302


def test_reviewers_may_not_capture(client: Client, reviewer: User, snapshot: Snapshot) -> None:
    client.force_login(reviewer)
    assert capture(client, snapshot, PASSAGE, 0, 10).status_code == 403
    page = client.get(reverse("articles:source-detail", args=[snapshot.source_id]))
    assertNotContains(page, "Paste the passage")


def test_a_post_without_the_csrf_token_is_refused(editor: User, snapshot: Snapshot) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    start = TEXT.index(PASSAGE)
    assert capture(client, snapshot, PASSAGE, start, start + len(PASSAGE)).status_code == 403
    assert client.post(reverse("disputes:actor-create"), {"name": "X", "kind": "person"}).status_code == 403
    assert not Quote.objects.exists()
    assert not Actor.objects.exists()


def test_the_source_page_offers_both_ways_to_quote(signed_in: Client, snapshot: Snapshot) -> None:
    response = signed_in.get(reverse("articles:source-detail", args=[snapshot.source_id]))
    assertContains(response, f'data-snapshot="{snapshot.pk}"')
    assertContains(response, 'id="capture-form"')
    assertContains(response, "Paste the passage")
    assertContains(response, "js/capture.js")


def test_without_javascript_the_search_page_links_back_to_the_statement(signed_in: Client, quote: Quote) -> None:
    peskov = ActorFactory(name="Dmitry Peskov")
    back = reverse("disputes:statement-create", args=[quote.pk]) + "?dispute=1&role=rebuttal"
    response = signed_in.get(reverse("disputes:actor-search"), {"q": "peskov", "next": back})
    assertContains(response, "<html")
    assertContains(response, f'href="{back.replace("&", "&amp;")}&amp;speaker={peskov.pk}"')
    assertContains(response, "Add a new speaker")


def test_an_unknown_role_is_refused_before_anything_is_written(signed_in: Client, snapshot: Snapshot) -> None:
    dispute = DisputeFactory()
    start = TEXT.index(PASSAGE)
    response = capture(signed_in, snapshot, PASSAGE, start, start + len(PASSAGE), dispute=dispute.pk, role="verdict")
    assert response.status_code == 422
    assert not Quote.objects.exists()
