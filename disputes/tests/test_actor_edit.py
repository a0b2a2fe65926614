"""Correcting a speaker's or an organisation's details on the desk, and what readers see meanwhile."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from disputes.models import Actor, Dispute, DisputeLink, Event
from disputes.tests.factories import ActorFactory, DisputeFactory, DisputeLinkFactory, ready_for_review
from disputes.views.actors import showing

pytestmark = pytest.mark.django_db

TYPO = "Heorgii Tykhyi"
FIXED = "Heorhii Tykhyi"
HTMX = {"HX-Request": "true"}


def edit_url(actor: Actor) -> str:
    return reverse("disputes:actor-edit", args=[actor.pk])


def details(actor: Actor, **changes: str) -> dict[str, str]:
    """Return the form as the page fills it for this actor, with some fields changed."""
    organisation = actor.organisation.name if actor.organisation_id else ""
    return {"name": actor.name, "kind": actor.kind, "role": actor.role, "organisation": organisation,
            "wikidata_qid": actor.wikidata_qid, **changes}  # fmt: skip


@pytest.fixture
def editor_client(client: Client, editor: User) -> Client:
    client.force_login(editor)
    return client


@pytest.fixture
def quoted(editor: User, reviewer: User) -> Dispute:
    """A published dispute whose rebuttal quotes a speaker whose name has a typo."""
    dispute = ready_for_review(created_by=editor, last_edited_by=editor)
    speaker = dispute.links.get(role=DisputeLink.Role.REBUTTAL).statement.speaker
    Actor.objects.filter(pk=speaker.pk).update(name=TYPO, role="foreign ministry spokesperson")
    dispute.submit(by=editor)
    dispute.publish(by=reviewer)
    dispute.refresh_from_db()
    return dispute


def speaker_of(dispute: Dispute) -> Actor:
    return Actor.objects.get(statements__links__dispute=dispute, statements__links__role=DisputeLink.Role.REBUTTAL)


def public_names(client: Client, dispute: Dispute) -> tuple[str, list[str]]:
    """Return the public page's text and the speaker names the API gives for this dispute."""
    page = client.get(f"/d/{dispute.slug}/").content.decode()
    record = client.get(f"/api/disputes/{dispute.slug}/").json()
    return page, [statement["speaker"]["name"] for statement in record["statements"] if statement["speaker"]]


def test_the_route() -> None:
    assert reverse("disputes:actor-edit", args=[7]) == "/desk/actors/7/edit/"


def test_the_form_shows_the_current_details_and_the_disputes_that_show_them(
    editor_client: Client, quoted: Dispute
) -> None:
    speaker = speaker_of(quoted)
    response = editor_client.get(edit_url(speaker))
    assertContains(response, f'value="{TYPO}"')
    assertContains(response, 'value="foreign ministry spokesperson"')
    assertContains(response, f'hx-post="{edit_url(speaker)}"')
    assertContains(response, f'action="{edit_url(speaker)}"')
    assertContains(response, f"Every dispute that quotes {TYPO} shows these details.")
    assertContains(response, "readers keep the approved words until a reviewer approves")
    assertContains(response, f'href="{reverse("review:dispute", args=[quoted.pk])}"')
    assertContains(response, quoted.claim_text)
    assert [dispute.pk for dispute in response.context["disputes"]] == [quoted.pk]


def test_the_disputes_shown_are_read_in_one_query(
    editor_client: Client, editor: User, django_assert_num_queries
) -> None:
    organisation = ActorFactory(name="Ministry of Foreign Affairs", kind=Actor.Kind.ORGANISATION)
    member = ActorFactory(organisation=organisation)
    for n in range(6):
        speaker = member if n % 2 else organisation
        DisputeLinkFactory(dispute=DisputeFactory(created_by=editor), statement__speaker=speaker)
    withdrawn = DisputeFactory(created_by=editor, state=Dispute.State.WITHDRAWN)
    DisputeLinkFactory(dispute=withdrawn, statement__speaker=organisation)

    with django_assert_num_queries(1):
        disputes = list(showing(organisation))
    assert len(disputes) == 6 and withdrawn not in disputes
    assert sorted(dispute.quotes_them for dispute in disputes) == [False] * 3 + [True] * 3
    page = editor_client.get(edit_url(organisation))
    assertContains(page, "Quotes one of its members: shows its name only", count=3)


def test_renaming_a_quoted_speaker_sends_the_dispute_back_to_review_and_readers_wait(
    editor_client: Client, quoted: Dispute, editor: User, reviewer: User
) -> None:
    speaker = speaker_of(quoted)
    reader = Client()
    assert TYPO in public_names(reader, quoted)[1]

    response = editor_client.post(edit_url(speaker), details(speaker, name="  Heorhii   Tykhyi "))
    assertRedirects(response, edit_url(speaker), fetch_redirect_response=False)
    speaker.refresh_from_db()
    assert speaker.name == FIXED
    message = editor_client.get(response["Location"])
    assertContains(message, f"Saved: name “{TYPO}” → “{FIXED}”. 1 published dispute went back to review;")

    quoted.refresh_from_db()
    assert quoted.state == Dispute.State.IN_REVIEW
    event = Event.objects.get(dispute=quoted, kind="details_changed")
    assert event.actor == editor
    assert f"name “{TYPO}” → “{FIXED}”" in event.note

    # Readers keep the approved name, on the page and in the API, until a reviewer approves.
    page, names = public_names(reader, quoted)
    assert TYPO in page and FIXED not in page
    assert TYPO in names and FIXED not in names
    assert FIXED not in reader.get(f"/api/disputes/{quoted.slug}/").content.decode()

    quoted.refresh_from_db()
    quoted.publish(by=reviewer)
    page, names = public_names(reader, quoted)
    assert FIXED in page and TYPO not in page
    assert FIXED in names and TYPO not in names


def test_an_htmx_save_reloads_the_whole_page(editor_client: Client, quoted: Dispute) -> None:
    speaker = speaker_of(quoted)
    response = editor_client.post(edit_url(speaker), details(speaker, name=FIXED), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == edit_url(speaker)


def test_saving_the_same_details_changes_nothing(editor_client: Client, quoted: Dispute) -> None:
    speaker = speaker_of(quoted)
    events = Event.objects.count()
    response = editor_client.post(edit_url(speaker), details(speaker), follow=True)
    assertContains(response, "Nothing changed.")
    assert Event.objects.count() == events
    quoted.refresh_from_db()
    assert quoted.state == Dispute.State.PUBLISHED


def test_a_name_another_speaker_of_the_organisation_has_is_refused_in_place(
    editor_client: Client, quoted: Dispute
) -> None:
    speaker = speaker_of(quoted)
    ActorFactory(name=FIXED)
    events = Event.objects.count()
    response = editor_client.post(edit_url(speaker), details(speaker, name="heorhii TYKHYI", role="Spokesman"),
                                  headers=HTMX)  # fmt: skip
    assert response.status_code == 422
    assertContains(response, 'id="actor-edit-form"', status_code=422)
    assertNotContains(response, "<html", status_code=422)
    assertContains(response, f"Another speaker is already called “{FIXED}”", status_code=422)
    assertContains(response, 'value="Spokesman"', status_code=422)  # what was typed is kept
    speaker.refresh_from_db()
    assert (speaker.name, speaker.role) == (TYPO, "foreign ministry spokesperson")
    assert Event.objects.count() == events
    quoted.refresh_from_db()
    assert quoted.state == Dispute.State.PUBLISHED


def test_what_the_model_refuses_shows_on_the_form_and_writes_nothing(editor_client: Client, editor: User) -> None:
    """The model's own check (an organisation of itself) raises ValidationError in update_details."""
    ministry = ActorFactory(name="Ministry of Foreign Affairs", kind=Actor.Kind.ORGANISATION, role="")
    actors = Actor.objects.count()
    response = editor_client.post(edit_url(ministry), details(ministry, organisation="ministry of foreign affairs"))
    assertContains(response, "An actor cannot be its own organisation.", status_code=422)
    assertContains(response, "<html", status_code=422)
    ministry.refresh_from_db()
    assert ministry.organisation is None
    assert Actor.objects.count() == actors


def test_a_new_organisation_is_added_by_its_name(editor_client: Client) -> None:
    speaker = ActorFactory(name=FIXED)
    response = editor_client.post(edit_url(speaker), details(speaker, organisation="Ukrainian foreign ministry"))
    assert response.status_code == 302
    speaker.refresh_from_db()
    assert speaker.organisation.name == "Ukrainian foreign ministry"
    assert speaker.organisation.kind == Actor.Kind.ORGANISATION


def test_a_malformed_wikidata_item_is_refused(editor_client: Client) -> None:
    speaker = ActorFactory(name=FIXED)
    response = editor_client.post(edit_url(speaker), details(speaker, wikidata_qid="wikidata 42"))
    assertContains(response, "“WIKIDATA 42” is not a Wikidata item: write one such as Q42.", status_code=422)
    response = editor_client.post(edit_url(speaker), details(speaker, wikidata_qid="q42"))
    assert response.status_code == 302
    speaker.refresh_from_db()
    assert speaker.wikidata_qid == "Q42"


def test_the_way_back_is_kept_and_only_to_this_site(editor_client: Client) -> None:
    speaker = ActorFactory(name=FIXED)
    back = "/desk/statements/1/"
    page = editor_client.get(edit_url(speaker), {"next": back})
    assertContains(page, f'href="{back}"')
    response = editor_client.post(edit_url(speaker), {**details(speaker, role="Spokesman"), "next": back})
    assert response["Location"] == f"{edit_url(speaker)}?next=%2Fdesk%2Fstatements%2F1%2F"
    page = editor_client.get(edit_url(speaker), {"next": "https://evil.example/"})
    assertNotContains(page, "evil.example")


def test_a_reviewer_may_not_edit_and_a_reader_must_sign_in(client: Client, reviewer: User) -> None:
    speaker = ActorFactory(name=TYPO)
    response = client.get(edit_url(speaker))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(reviewer)
    assert client.get(edit_url(speaker)).status_code == 403
    assert client.post(edit_url(speaker), details(speaker, name=FIXED)).status_code == 403
    speaker.refresh_from_db()
    assert speaker.name == TYPO


def test_the_speaker_search_and_the_statement_page_link_to_the_edit_page(
    editor_client: Client, quoted: Dispute
) -> None:
    speaker = speaker_of(quoted)
    search = editor_client.get(reverse("disputes:actor-search"), {"q": "tykhyi"})
    assertContains(search, f'href="{edit_url(speaker)}?next=')
    # In the picking list (htmx), the link stands beside the radio button's label, not inside it.
    picking = editor_client.get(reverse("disputes:actor-search"), {"q": "tykhyi"}, headers=HTMX).content.decode()
    label = picking[picking.index('<label class="speaker-option">') : picking.index("</label>")]
    assert 'name="speaker"' in label and "actor-edit" not in label and edit_url(speaker) not in label
    assert f'href="{edit_url(speaker)}"' in picking
    statement = quoted.links.get(role=DisputeLink.Role.REBUTTAL).statement
    page = editor_client.get(reverse("disputes:statement-detail", args=[statement.pk]))
    assertContains(page, f'href="{edit_url(speaker)}?next=/desk/statements/{statement.pk}/"')
