"""Correcting a row many disputes show (a speaker, an outlet) in a real browser: readers wait for a reviewer.

An editor fixes a typo in a speaker's name on the desk; the public page keeps the approved name, the
dispute waits in the review queue, and once another person approves it readers see the new name.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright import sync_api

from articles.models import Outlet
from disputes.models import Actor, Dispute, DisputeLink
from disputes.tests.factories import ActorFactory, ready_for_review
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, save_screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TYPO = "Heorgii Tykhyi"
FIXED = "Heorhii Tykhyi"
OUTLET = "The Kyiv Independent"


@pytest.fixture
def quoted(editor: User, reviewer: User) -> Dispute:
    """A published dispute whose rebuttal quotes a speaker whose name has a typo."""
    dispute = ready_for_review(
        created_by=editor, last_edited_by=editor, claim_text="Kyiv was told in advance about the call"
    )
    rebuttal = dispute.links.select_related("statement__quote__source").get(role=DisputeLink.Role.REBUTTAL)
    ministry = ActorFactory(name="Ministry of Foreign Affairs of Ukraine", kind=Actor.Kind.ORGANISATION, role="")
    Actor.objects.filter(pk=rebuttal.statement.speaker_id).update(
        name=TYPO, role="foreign ministry spokesperson", organisation=ministry
    )
    Outlet.objects.filter(pk=rebuttal.statement.quote.source.outlet_id).update(
        name=OUTLET, homepage="https://kyivindependent.example/"
    )
    dispute.submit(by=editor)
    dispute.publish(by=reviewer)
    dispute.refresh_from_db()
    return dispute


def _speaker(dispute: Dispute) -> Actor:
    return dispute.links.get(role=DisputeLink.Role.REBUTTAL).statement.speaker


def test_a_renamed_speaker_reaches_readers_only_once_a_reviewer_approves(
    open_page: OpenPage, quoted: Dispute, editor: User, reviewer: User
) -> None:
    speaker = _speaker(quoted)

    # The editor corrects the name on the desk page; the page says what saving does first.
    desk, desk_problems = open_page(f"/login/?next=/desk/actors/{speaker.pk}/edit/", DESKTOP)
    sign_in(desk, editor)
    sync_api.expect(desk.get_by_role("heading", name="Edit a speaker")).to_be_visible()
    sync_api.expect(desk.get_by_text(f"Every dispute that quotes {TYPO} shows these details.")).to_be_visible()
    sync_api.expect(desk.get_by_role("link", name=quoted.claim_text)).to_be_visible()
    desk.get_by_label("Name").fill(FIXED)
    desk.get_by_role("button", name="Save details").click()
    sync_api.expect(desk.get_by_text("1 published dispute went back to review")).to_be_visible()
    sync_api.expect(desk.get_by_label("Name")).to_have_value(FIXED)

    # Readers keep the approved name meanwhile.
    reader, reader_problems = open_page(f"/d/{quoted.slug}/", DESKTOP)
    sync_api.expect(reader.get_by_text(TYPO, exact=True)).to_be_visible()
    sync_api.expect(reader.get_by_text(FIXED)).to_have_count(0)

    # Another person, a reviewer, finds it in the queue and approves it.
    review, review_problems = open_page("/login/?next=/review/", DESKTOP)
    sign_in(review, reviewer)
    # The queue says why a published dispute is back without an editor sending it.
    sync_api.expect(review.get_by_text(f"name “{TYPO}” → “{FIXED}”")).to_be_visible()
    save_screenshots(review, "review-queue-after-a-speaker-rename")
    review.get_by_role("link", name=quoted.claim_text).click()
    # The review page shows the change against the approved revision.
    sync_api.expect(review.get_by_text(f"speaker's name “{TYPO}” → “{FIXED}”")).to_be_visible()
    save_screenshots(review, "review-page-after-a-speaker-rename")
    review.get_by_label("Approve and publish").check()
    review.get_by_role("button", name="Record decision").click()
    sync_api.expect(review.get_by_text("Approved. Readers now see this version.")).to_be_visible()

    reader.reload()
    sync_api.expect(reader.get_by_text(FIXED, exact=True)).to_be_visible()
    sync_api.expect(reader.get_by_text(TYPO)).to_have_count(0)
    assert Dispute.objects.get(pk=quoted.pk).state == Dispute.State.PUBLISHED
    assert desk_problems == reader_problems == review_problems == []


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_speaker_and_outlet_pages_read_well(
    open_page: OpenPage, quoted: Dispute, editor: User, name: str, device: dict
) -> None:
    speaker = _speaker(quoted)
    ActorFactory(name=FIXED, organisation=speaker.organisation)
    statement = quoted.links.get(role=DisputeLink.Role.REBUTTAL).statement
    page, problems = open_page(f"/login/?next=/desk/statements/{statement.pk}/", device)
    sign_in(page, editor)
    page.get_by_role("link", name="Edit the speaker’s details").click()
    sync_api.expect(page.get_by_role("heading", name="Edit a speaker")).to_be_visible()

    # A name another speaker of the ministry has is refused in place (htmx), with what was typed kept.
    # (Screenshots come after the swap: Playwright leaves style="" on inputs, which htmx would copy.)
    page.get_by_label("Name").fill(FIXED)
    page.get_by_label("Role").fill("spokesperson")
    page.get_by_role("button", name="Save details").click()
    sync_api.expect(page.get_by_role("alert")).to_contain_text(f"Another speaker is already called “{FIXED}”")
    sync_api.expect(page.get_by_label("Role")).to_have_value("spokesperson")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"shared-rows-speaker-refused-{name}")
    page.reload()
    sync_api.expect(page.get_by_label("Name")).to_have_value(TYPO)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"shared-rows-speaker-{name}")

    # The outlet, from the source page.
    source = statement.quote.source
    page.goto(page.url.split("/desk/")[0] + f"/desk/sources/{source.pk}/")
    save_screenshots(page, f"shared-rows-source-{name}")
    page.get_by_role("link", name="Edit outlet").click()
    sync_api.expect(page.get_by_role("heading", name="Edit an outlet")).to_be_visible()
    sync_api.expect(page.get_by_label("Name")).to_have_value(OUTLET)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"shared-rows-outlet-{name}")
    # The one refused save answered 422, which the browser logs; nothing else went wrong.
    assert [problem for problem in problems if "status of 422" not in problem] == []
