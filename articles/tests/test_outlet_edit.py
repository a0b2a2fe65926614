"""Correcting an outlet's name or homepage on the desk, and what readers see meanwhile.

The disputes citing its sources go back to review through `disputes.receivers`; these tests read
them, as readers and reviewers would, without `articles` itself knowing of disputes.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from articles.models import Outlet, Source
from articles.tests.factories import OutletFactory, SourceFactory
from disputes.models import Dispute, DisputeLink, Event
from disputes.tests.factories import ready_for_review

pytestmark = pytest.mark.django_db

TYPO = "The Kyiv Indepedent"
FIXED = "The Kyiv Independent"
HTMX = {"HX-Request": "true"}


def edit_url(outlet: Outlet) -> str:
    return reverse("articles:outlet-edit", args=[outlet.pk])


@pytest.fixture
def editor_client(client: Client, editor: User) -> Client:
    client.force_login(editor)
    return client


@pytest.fixture
def cited(editor: User, reviewer: User) -> Dispute:
    """A published dispute whose rebuttal cites an article of an outlet whose name has a typo."""
    dispute = ready_for_review(created_by=editor, last_edited_by=editor)
    source = dispute.links.get(role=DisputeLink.Role.REBUTTAL).statement.quote.source
    Outlet.objects.filter(pk=source.outlet_id).update(name=TYPO, homepage="https://kyivindependent.example/")
    dispute.submit(by=editor)
    dispute.publish(by=reviewer)
    dispute.refresh_from_db()
    return dispute


def outlet_of(dispute: Dispute) -> Outlet:
    return Outlet.objects.get(sources__quotes__statements__links__dispute=dispute,
                              sources__quotes__statements__links__role=DisputeLink.Role.REBUTTAL)  # fmt: skip


def public_outlets(client: Client, dispute: Dispute) -> tuple[str, list[str]]:
    """Return the public page's text and the outlet names the API gives for this dispute."""
    page = client.get(f"/d/{dispute.slug}/").content.decode()
    record = client.get(f"/api/disputes/{dispute.slug}/").json()
    return page, [statement["source"]["outlet"] for statement in record["statements"]]


def test_the_route() -> None:
    assert reverse("articles:outlet-edit", args=[7]) == "/desk/sources/outlets/7/edit/"


def test_the_form_shows_the_current_details_and_what_saving_does(editor_client: Client, cited: Dispute) -> None:
    outlet = outlet_of(cited)
    source = outlet.sources.get()
    response = editor_client.get(edit_url(outlet))
    assertContains(response, f'value="{TYPO}"')
    assertContains(response, 'value="https://kyivindependent.example/"')
    assertContains(response, f'hx-post="{edit_url(outlet)}"')
    assertContains(response, f'action="{edit_url(outlet)}"')
    assertContains(response, "Every dispute that cites one of its sources shows this name and homepage.")
    assertContains(response, "readers keep the approved name until a reviewer approves")
    assertContains(response, f'href="{reverse("articles:source-detail", args=[source.pk])}"')


def test_renaming_an_outlet_sends_the_disputes_citing_it_back_to_review_and_readers_wait(
    editor_client: Client, cited: Dispute, editor: User, reviewer: User
) -> None:
    outlet = outlet_of(cited)
    reader = Client()
    assert TYPO in public_outlets(reader, cited)[1]

    response = editor_client.post(edit_url(outlet), {"name": " The  Kyiv Independent ", "homepage": outlet.homepage})
    assertRedirects(response, edit_url(outlet), fetch_redirect_response=False)
    outlet.refresh_from_db()
    assert outlet.name == FIXED
    assertContains(editor_client.get(response["Location"]), f"Saved: outlet name “{TYPO}” → “{FIXED}”.")

    cited.refresh_from_db()
    assert cited.state == Dispute.State.IN_REVIEW
    event = Event.objects.get(dispute=cited, kind="details_changed")
    assert event.actor == editor
    assert f"outlet name “{TYPO}” → “{FIXED}”" in event.note

    # Readers keep the approved name, on the page and in the API, until a reviewer approves.
    page, outlets = public_outlets(reader, cited)
    assert TYPO in page and FIXED not in page
    assert TYPO in outlets and FIXED not in outlets
    assert FIXED not in reader.get(f"/api/disputes/{cited.slug}/").content.decode()

    cited.refresh_from_db()
    cited.publish(by=reviewer)
    page, outlets = public_outlets(reader, cited)
    assert FIXED in page and TYPO not in page
    assert FIXED in outlets and TYPO not in outlets


def test_an_htmx_save_reloads_the_whole_page(editor_client: Client) -> None:
    outlet = OutletFactory(name=TYPO)
    response = editor_client.post(edit_url(outlet), {"name": FIXED, "homepage": ""}, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == edit_url(outlet)
    outlet.refresh_from_db()
    assert (outlet.name, outlet.homepage) == (FIXED, "")


def test_saving_the_same_details_changes_nothing(editor_client: Client, cited: Dispute) -> None:
    outlet = outlet_of(cited)
    events = Event.objects.count()
    response = editor_client.post(edit_url(outlet), {"name": TYPO, "homepage": outlet.homepage}, follow=True)
    assertContains(response, "Nothing changed.")
    assert Event.objects.count() == events
    cited.refresh_from_db()
    assert cited.state == Dispute.State.PUBLISHED


def test_a_name_another_outlet_has_is_refused_in_place_saying_which(editor_client: Client, cited: Dispute) -> None:
    outlet = outlet_of(cited)
    OutletFactory(name=FIXED, domain="kyivindependent.com")
    events = Event.objects.count()
    response = editor_client.post(edit_url(outlet), {"name": "the kyiv INDEPENDENT", "homepage": "https://kyiv.example/"},
                                  headers=HTMX)  # fmt: skip
    assertContains(response, 'id="outlet-edit-form"', status_code=422)
    assertNotContains(response, "<html", status_code=422)
    assertContains(response, f"Another outlet is already called “{FIXED}” (kyivindependent.com)", status_code=422)
    assertContains(response, 'value="https://kyiv.example/"', status_code=422)  # what was typed is kept
    outlet.refresh_from_db()
    assert (outlet.name, outlet.homepage) == (TYPO, "https://kyivindependent.example/")
    assert Event.objects.count() == events
    cited.refresh_from_db()
    assert cited.state == Dispute.State.PUBLISHED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "   ", "homepage": ""}, "Give the outlet a name."),
        ({"name": FIXED, "homepage": "javascript:alert(1)"}, "Enter a web address starting with https:// or http://."),
        ({"name": FIXED, "homepage": "ftp://kyivindependent.example/"}, "Enter a web address starting with https://"),
        ({"name": FIXED, "homepage": "kyiv independent"}, "Enter a web address starting with https://"),
    ],
)
def test_an_empty_name_or_a_homepage_that_is_no_web_address_is_refused(
    editor_client: Client, data: dict[str, str], message: str
) -> None:
    outlet = OutletFactory(name=TYPO, homepage="")
    response = editor_client.post(edit_url(outlet), data)
    assertContains(response, message, status_code=422)
    assertContains(response, "<html", status_code=422)
    outlet.refresh_from_db()
    assert (outlet.name, outlet.homepage) == (TYPO, "")


def test_the_way_back_is_kept_and_only_to_this_site(editor_client: Client) -> None:
    outlet = OutletFactory(name=TYPO)
    back = "/desk/sources/1/"
    page = editor_client.get(edit_url(outlet), {"next": back})
    assertContains(page, f'href="{back}"')
    response = editor_client.post(edit_url(outlet), {"name": FIXED, "homepage": "", "next": back})
    assert response["Location"] == f"{edit_url(outlet)}?next=%2Fdesk%2Fsources%2F1%2F"
    page = editor_client.get(edit_url(outlet), {"next": "//evil.example/"})
    assertNotContains(page, "evil.example")


def test_a_reviewer_may_not_edit_and_a_reader_must_sign_in(client: Client, reviewer: User) -> None:
    outlet = OutletFactory(name=TYPO)
    response = client.get(edit_url(outlet))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(reviewer)
    assert client.get(edit_url(outlet)).status_code == 403
    assert client.post(edit_url(outlet), {"name": FIXED, "homepage": ""}).status_code == 403
    outlet.refresh_from_db()
    assert outlet.name == TYPO


def test_the_source_page_and_the_source_edit_page_link_to_it(editor_client: Client) -> None:
    source = SourceFactory(outlet=OutletFactory(name=TYPO))
    detail = reverse("articles:source-detail", args=[source.pk])
    page = editor_client.get(detail)
    assertContains(page, f'href="{edit_url(source.outlet)}?next={detail}"')
    page = editor_client.get(reverse("articles:source-edit", args=[source.pk]))
    assertContains(page, f'href="{edit_url(source.outlet)}?next={reverse("articles:source-edit", args=[source.pk])}"')


def test_the_source_edit_form_points_to_the_outlet_page_to_rename(editor_client: Client) -> None:
    source = SourceFactory(outlet=OutletFactory(name="The Guardian", domain="theguardian.example"))
    response = editor_client.post(reverse("articles:source-edit", args=[source.pk]),
                                  {"title": "Kept", "outlet_name": "A New Name", "language": ""})  # fmt: skip
    assertContains(response, "or rename the outlet itself with “Edit outlet”.")
    assert Source.objects.get(pk=source.pk).outlet.name == "The Guardian"
