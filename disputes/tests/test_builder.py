"""The dispute builder: opening a draft, saving with versions, conflicts, links, preview, submit."""

import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from articles.models import Quote
from disputes.models import Dispute, DisputeLink, Event, FourEyesViolation
from disputes.tests.factories import DisputeFactory, StatementFactory, add_link

HTMX = {"HX-Request": "true"}


def edit_url(dispute: Dispute) -> str:
    return reverse("disputes:dispute-edit", args=[dispute.pk])


def content(dispute: Dispute, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "claim_text": dispute.claim_text,
        "summary": dispute.summary,
        "context": dispute.context,
        "resolution": dispute.resolution,
        "version": dispute.version,
    }
    return {**data, **changes}


@pytest.fixture
def signed_in(client: Client, editor: User) -> Client:
    client.force_login(editor)
    return client


# --- opening a draft --------------------------------------------------------------------------------


def new_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "claim_text": "The ministry said the bridge was closed",
        "summary": "",
        "context": "",
        "resolution": "unresolved",
        "token": str(uuid.uuid4()),
    }
    return {**data, **changes}


def test_new_dispute_opens_a_draft_and_goes_to_the_builder(signed_in: Client, editor: User) -> None:
    page = signed_in.get(reverse("disputes:dispute-new"))
    assertContains(page, 'name="token"')
    assertContains(page, 'maxlength="75"')

    response = signed_in.post(reverse("disputes:dispute-new"), new_form(summary="Our words."))

    dispute = Dispute.objects.get()
    assert response.status_code == 302
    assert response["Location"] == edit_url(dispute)
    assert (dispute.claim_text, dispute.summary, dispute.state) == (
        "The ministry said the bridge was closed",
        "Our words.",
        Dispute.State.DRAFT,
    )
    assert dispute.created_by == editor


def test_the_same_new_form_posted_twice_opens_one_draft(signed_in: Client) -> None:
    form = new_form()
    first = signed_in.post(reverse("disputes:dispute-new"), form)
    second = signed_in.post(reverse("disputes:dispute-new"), form)

    dispute = Dispute.objects.get()
    assert first["Location"] == second["Location"] == edit_url(dispute)


def test_new_dispute_refuses_a_claim_longer_than_75_characters(signed_in: Client) -> None:
    response = signed_in.post(reverse("disputes:dispute-new"), new_form(claim_text="x" * 76))
    assert response.status_code == 422
    assertContains(response, "at most 75 characters", status_code=422)
    assert not Dispute.objects.exists()


# --- the builder and saving ---------------------------------------------------------------------------


def test_builder_shows_the_draft_its_links_and_where_to_add_more(signed_in: Client, draft: Dispute) -> None:
    response = signed_in.get(edit_url(draft))
    assertContains(response, draft.claim_text)
    assertContains(response, f'value="{draft.version}" class="dispute-version"')
    for link in draft.links.all():
        assertContains(response, link.statement.quote.exact)
    assertContains(response, f"{reverse('articles:source-list')}?dispute={draft.pk}&amp;role=appearance")
    assertContains(response, f"{reverse('articles:source-list')}?dispute={draft.pk}&amp;role=rebuttal")
    assertContains(response, f"{len(draft.claim_text)} / 75 characters")
    assert response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]


def test_saving_with_the_current_version_updates_the_dispute(signed_in: Client, draft: Dispute) -> None:
    response = signed_in.post(edit_url(draft), content(draft, claim_text="A new claim", summary="Changed"))

    assert response.status_code == 302
    old_version = draft.version
    draft.refresh_from_db()
    assert (draft.claim_text, draft.summary, draft.version) == ("A new claim", "Changed", old_version + 1)


def test_htmx_save_answers_with_the_panel_and_moves_forms_on_the_old_version(signed_in: Client, draft: Dispute) -> None:
    old = draft.version
    response = signed_in.post(edit_url(draft), content(draft, summary="Changed"), headers=HTMX)

    assertContains(response, 'id="content-panel"')
    assertContains(response, "Saved.")
    assertNotContains(response, "<html")
    assertContains(response, f"hx-swap-oob=\"outerHTML:input.dispute-version[value='{old}']\"")
    assertContains(response, f'value="{old + 1}" class="dispute-version"')


def test_a_stale_save_gets_a_conflict_with_both_texts_and_keeps_the_editors_words(
    client: Client, draft: Dispute, editor: User, other_editor: User
) -> None:
    loaded = draft.version
    draft.update_content(by=other_editor, version=loaded, summary="Their summary, saved first.")
    client.force_login(editor)

    response = client.post(edit_url(draft), content(draft, summary="My summary, typed meanwhile.", version=loaded))

    assert response.status_code == 409
    assertContains(response, "Someone else saved this dispute", status_code=409)
    assertContains(response, "Their summary, saved first.", status_code=409)
    # The editor's words stay in the form, re-based on the version now saved.
    assertContains(response, "My summary, typed meanwhile.</textarea>", status_code=409)
    assertContains(response, f'name="version" value="{loaded + 1}"', status_code=409)
    assertContains(response, "Save mine over theirs", status_code=409)
    assertContains(response, "Keep theirs", status_code=409)
    draft.refresh_from_db()
    assert draft.summary == "Their summary, saved first."


def test_htmx_conflict_is_retargeted_to_the_content_panel(
    client: Client, draft: Dispute, editor: User, other_editor: User
) -> None:
    loaded = draft.version
    draft.update_content(by=other_editor, version=loaded, summary="Theirs")
    client.force_login(editor)

    response = client.post(edit_url(draft), content(draft, summary="Mine", version=loaded), headers=HTMX)

    assert response.status_code == 409
    assert response["HX-Retarget"] == "#content-panel"
    assert response["HX-Reswap"] == "outerHTML"
    assertContains(response, "Mine</textarea>", status_code=409)
    assertNotContains(response, "<html", status_code=409)


def test_a_save_after_the_dispute_went_to_review_shows_the_unsaved_text(
    client: Client, draft: Dispute, editor: User, other_editor: User
) -> None:
    loaded = draft.version
    draft.submit(by=other_editor)
    client.force_login(editor)

    response = client.post(edit_url(draft), content(draft, summary="Typed before it was sent", version=loaded))

    assert response.status_code == 409
    assertContains(response, "Your changes were not saved: this dispute is now in review", status_code=409)
    assertContains(response, "Typed before it was sent", status_code=409)


def test_saving_mine_over_theirs_after_a_conflict_succeeds(
    client: Client, draft: Dispute, editor: User, other_editor: User
) -> None:
    draft.update_content(by=other_editor, version=draft.version, summary="Theirs")
    client.force_login(editor)

    response = client.post(edit_url(draft), content(draft, summary="Mine, deliberately"))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.summary == "Mine, deliberately"
    assert draft.last_edited_by == editor


def test_an_htmx_save_that_does_not_validate_keeps_the_text_and_says_why(signed_in: Client, draft: Dispute) -> None:
    response = signed_in.post(edit_url(draft), content(draft, claim_text="", summary="Kept"), headers=HTMX)

    assert response.status_code == 422
    assertContains(response, "This field is required.", status_code=422)
    assertContains(response, "Kept</textarea>", status_code=422)
    assertContains(response, "data-unsaved", status_code=422)
    draft.refresh_from_db()
    assert draft.version == 1


def test_claim_counter_counts_characters(signed_in: Client) -> None:
    response = signed_in.get(reverse("disputes:claim-counter"), {"claim_text": "Twelve chars"}, headers=HTMX)
    assertContains(response, "12 / 75 characters")
    assertContains(response, 'id="claim-counter"')


# --- links -----------------------------------------------------------------------------------------


def link_url(name: str, dispute: Dispute, link: DisputeLink | None = None) -> str:
    args = [dispute.pk] if link is None else [dispute.pk, link.pk]
    return reverse(f"disputes:dispute-link-{name}", args=args)


def test_adding_a_statement_already_on_the_desk(signed_in: Client, draft: Dispute) -> None:
    statement = StatementFactory()
    data = {"statement": statement.pk, "role": "support", "note": "Backs it up", "version": draft.version}

    response = signed_in.post(link_url("add", draft), data, headers=HTMX)

    assertContains(response, 'id="links-panel"')
    assertContains(response, statement.quote.exact)
    link = draft.links.get(statement=statement)
    assert (link.role, link.note) == ("support", "Backs it up")


def test_changing_the_role_and_note_of_a_link(signed_in: Client, draft: Dispute) -> None:
    link = draft.links.get(role="rebuttal")
    response = signed_in.post(link_url("update", draft, link), {"role": "correction", "note": "Noted", "version": 1})

    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.role, link.note) == ("correction", "Noted")


def test_moving_a_link_up_swaps_it_with_the_one_before(signed_in: Client, draft: Dispute) -> None:
    first, second = draft.links.order_by("position")
    response = signed_in.post(link_url("move", draft, second), {"direction": "up", "version": draft.version})

    assert response.status_code == 302
    assert list(draft.links.order_by("position").values_list("pk", flat=True)) == [second.pk, first.pk]


def test_removing_a_link_keeps_the_statement(signed_in: Client, draft: Dispute) -> None:
    link = draft.links.first()
    assert link is not None
    signed_in.post(link_url("remove", draft, link), {"version": draft.version}, headers=HTMX)

    assert not draft.links.filter(pk=link.pk).exists()
    assert type(link.statement).objects.filter(pk=link.statement_id).exists()


def test_a_stale_link_change_is_refused_with_409_and_the_current_list(
    client: Client, draft: Dispute, editor: User, other_editor: User
) -> None:
    loaded = draft.version
    link = draft.links.get(role="rebuttal")
    draft.update_content(by=other_editor, version=loaded, summary="Theirs")
    client.force_login(editor)

    response = client.post(
        link_url("update", draft, link), {"role": "context", "note": "", "version": loaded}, headers=HTMX
    )

    assert response.status_code == 409
    assert response["HX-Retarget"] == "#links-panel"
    assertContains(response, "your change was not made", status_code=409)
    assertNotContains(response, "hx-swap-oob", status_code=409)
    link.refresh_from_db()
    assert link.role == "rebuttal"


# --- submit, preview, revision ------------------------------------------------------------------------


def test_submit_refused_lists_what_is_missing_in_words(signed_in: Client, editor: User) -> None:
    dispute = Dispute.start_draft(by=editor, claim_text="A claim with nothing cited")
    url = reverse("disputes:dispute-submit", args=[dispute.pk])

    htmx = signed_in.post(url, headers=HTMX)
    plain = signed_in.post(url)

    for response in (htmx, plain):
        assertContains(response, "Add at least one appearance of the claim.", status_code=422)
        assertContains(response, "Add at least one rebuttal.", status_code=422)
    assert htmx["HX-Retarget"] == "#builder-problems"
    assertNotContains(htmx, "<html", status_code=422)
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.DRAFT


def test_submit_sends_to_review_and_the_builder_turns_read_only(signed_in: Client, draft: Dispute) -> None:
    response = signed_in.post(reverse("disputes:dispute-submit", args=[draft.pk]), follow=True)

    draft.refresh_from_db()
    assert draft.state == Dispute.State.IN_REVIEW
    assertContains(response, "In review")
    assertNotContains(response, 'hx-post="' + edit_url(draft))
    assertNotContains(response, "Submit for review")


def test_htmx_submit_redirects_with_a_full_page_load(signed_in: Client, draft: Dispute) -> None:
    response = signed_in.post(reverse("disputes:dispute-submit", args=[draft.pk]), headers=HTMX)
    assert response["HX-Redirect"] == edit_url(draft)


def test_a_published_dispute_offers_a_new_revision(client: Client, published: Dispute, editor: User) -> None:
    client.force_login(editor)
    assertContains(client.get(edit_url(published)), "Start a new revision")

    client.post(reverse("disputes:dispute-revise", args=[published.pk]))

    published.refresh_from_db()
    assert published.state == Dispute.State.DRAFT
    assertContains(client.get(edit_url(published)), "Submit for review")


def test_preview_shows_the_live_draft_marked_and_not_indexed(signed_in: Client, draft: Dispute) -> None:
    draft.update_content(by=draft.created_by, version=draft.version, summary="Written a minute ago.")

    response = signed_in.get(reverse("disputes:dispute-preview", args=[draft.pk]))

    assertContains(response, "Preview — not published")
    assertContains(response, "Written a minute ago.")
    assertContains(response, draft.links.get(role="rebuttal").statement.quote.exact)
    assertContains(response, '<meta name="robots" content="noindex, nofollow">')
    assertNotContains(response, "application/ld+json")
    assertNotContains(response, 'rel="canonical"')
    assert response["X-Robots-Tag"].startswith("noindex")


def test_editor_text_is_escaped(signed_in: Client, draft: Dispute) -> None:
    draft.update_content(by=draft.created_by, version=draft.version, summary="<script>alert(1)</script>")
    for url in (edit_url(draft), reverse("disputes:dispute-preview", args=[draft.pk])):
        response = signed_in.get(url)
        assertNotContains(response, "<script>alert(1)</script>")
        assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")


# --- who may do what ---------------------------------------------------------------------------------


def mutating_urls(dispute: Dispute) -> list[str]:
    link = dispute.links.first()
    assert link is not None
    return [
        reverse("disputes:dispute-new"),
        edit_url(dispute),
        reverse("disputes:dispute-submit", args=[dispute.pk]),
        reverse("disputes:dispute-revise", args=[dispute.pk]),
        link_url("add", dispute),
        link_url("update", dispute, link),
        link_url("move", dispute, link),
        link_url("remove", dispute, link),
    ]


def test_anonymous_people_are_sent_to_sign_in(client: Client, draft: Dispute) -> None:
    urls = [*mutating_urls(draft), reverse("disputes:dispute-preview", args=[draft.pk])]
    for url in urls:
        response = client.post(url) if "preview" not in url else client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_reviewers_who_are_not_editors_cannot_build(client: Client, draft: Dispute, reviewer: User) -> None:
    client.force_login(reviewer)
    assert client.get(edit_url(draft)).status_code == 403
    assert client.get(reverse("disputes:dispute-preview", args=[draft.pk])).status_code == 403
    for url in mutating_urls(draft):
        assert client.post(url, {"version": draft.version}).status_code == 403, url
    draft.refresh_from_db()
    assert draft.version == 1


def test_any_editor_may_edit_another_editors_draft_and_is_recorded(
    client: Client, draft: Dispute, other_editor: User, reviewer: User
) -> None:
    client.force_login(other_editor)
    response = client.post(edit_url(draft), content(draft, summary="Handed over and finished"))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.last_edited_by == other_editor
    assert Event.objects.filter(dispute=draft, kind="edited", actor=other_editor).exists()


def test_the_last_editor_cannot_approve_what_they_edited(
    client: Client, draft: Dispute, editor: User, editor_reviewer: User
) -> None:
    client.force_login(editor_reviewer)
    client.post(edit_url(draft), content(draft, summary="Edited by someone who also reviews"))
    draft.refresh_from_db()
    draft.submit(by=editor)

    with pytest.raises(FourEyesViolation):
        draft.publish(by=editor_reviewer)


def test_every_mutating_endpoint_needs_the_csrf_token(draft: Dispute, editor: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    for url in mutating_urls(draft):
        assert client.post(url, {"version": draft.version}).status_code == 403, url
    draft.refresh_from_db()
    assert draft.version == 1


# --- cost ------------------------------------------------------------------------------------------


def test_builder_shows_where_each_cited_passage_stands_in_the_review_pages_words(
    signed_in: Client, draft: Dispute
) -> None:
    present, removed = (link.statement.quote for link in draft.links.order_by("position"))
    Quote.objects.filter(pk=present.pk).update(status=Quote.Status.PRESENT)
    Quote.objects.filter(pk=removed.pk).update(status=Quote.Status.GONE)
    review_page = signed_in.get(reverse("review:dispute", args=[draft.pk]))

    builder = signed_in.get(edit_url(draft))

    for words in ('<span class="quote-status quote-status--present">Present as captured</span>',
                  '<span class="quote-status quote-status--gone">Removed from the article</span>'):  # fmt: skip
        assertContains(review_page, words, count=1)
        assertContains(builder, words, count=1)


def builder_queries(client: Client, dispute: Dispute) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(edit_url(dispute)).status_code == 200
    return len(queries)


def test_the_builder_costs_the_same_queries_with_5_or_30_links(signed_in: Client, editor: User) -> None:
    small, large = DisputeFactory(created_by=editor), DisputeFactory(created_by=editor)
    for n in range(5):
        add_link(small, DisputeLink.Role.REBUTTAL if n else DisputeLink.Role.APPEARANCE)
    for n in range(30):
        add_link(large, DisputeLink.Role.REBUTTAL if n else DisputeLink.Role.APPEARANCE)
    builder_queries(signed_in, small)  # warm the session and permission caches

    assert builder_queries(signed_in, small) == builder_queries(signed_in, large)
