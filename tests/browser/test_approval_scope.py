"""An approval covers what the reviewer saw, in a real browser (issue 12).

A reviewer has a dispute's review page open; meanwhile an editor corrects the headline of a source it
cites. The reviewer's approval is refused with the conflict view, which shows the dispute as it now
stands; approved again, readers get the new headline. And an account in both roles that changed the
cited source is told it cannot decide, with no decision form.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright import sync_api

from articles.models import Source
from disputes.models import Dispute
from disputes.tests.factories import ready_for_review
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, save_screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NEW_TITLE = "Kremlin says Trump and Putin did not speak"


def _in_review(editor: User) -> tuple[Dispute, Source]:
    dispute = ready_for_review(created_by=editor, last_edited_by=editor, claim_text="Kyiv was told in advance")
    dispute.submit(by=editor)
    source = dispute.links.order_by("position").first().statement.quote.source
    return dispute, source


def _edit_headline(open_page: OpenPage, person: User, source: Source) -> sync_api.Page:
    desk, problems = open_page(f"/login/?next=/desk/sources/{source.pk}/edit/", DESKTOP)
    sign_in(desk, person)
    desk.get_by_label("Title").fill(NEW_TITLE)
    desk.get_by_role("button", name="Save details").click()
    desk.wait_for_url(f"**/desk/sources/{source.pk}/")  # htmx sends the browser to the source page
    sync_api.expect(desk.get_by_text("Details saved.")).to_be_visible()
    assert not problems
    return desk


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_approval_of_words_that_changed_meanwhile_is_refused_and_shows_the_new_words(
    open_page: OpenPage, editor: User, other_editor: User, reviewer: User, device: dict
) -> None:
    dispute, source = _in_review(editor)
    old_title = source.title
    review, problems = open_page(f"/login/?next=/review/{dispute.pk}/", device)
    sign_in(review, reviewer)
    sync_api.expect(review.get_by_role("heading", name="Your decision")).to_be_visible()
    sync_api.expect(review.locator(".review-preview").get_by_text(old_title)).to_be_visible()

    _edit_headline(open_page, other_editor, source)  # in another browser, while the page is open

    review.get_by_label("Approve and publish").check()
    review.get_by_role("button", name="Record decision").click()
    review.wait_for_load_state("load")
    sync_api.expect(review.get_by_text("Your decision was not recorded")).to_be_visible()
    sync_api.expect(review.get_by_text("What readers would see has changed since you opened this page")).to_be_visible()
    sync_api.expect(review.locator(".review-preview").get_by_text(NEW_TITLE)).to_be_visible()
    sync_api.expect(
        review.get_by_text(f"Source details changed: headline “{old_title}” → “{NEW_TITLE}”")
    ).to_be_visible()
    save_screenshots(review, f"review-conflict-after-a-source-edit-{'phone' if device is PHONE else 'desktop'}")
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.IN_REVIEW and dispute.public_revision_id is None

    # Now the reviewer has seen the new headline: the same form, sent again, approves it.
    review.get_by_label("Approve and publish").check()
    review.get_by_role("button", name="Record decision").click()
    review.wait_for_load_state("load")
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.PUBLISHED
    review.goto(review.url.split("/review/")[0] + dispute.get_absolute_url())
    sync_api.expect(review.get_by_text(NEW_TITLE)).to_be_visible()
    # The browser logs the refused decision's status (409), and nothing else went wrong.
    assert [problem for problem in problems if "409 (Conflict)" not in problem] == []


def test_an_account_in_both_roles_that_changed_the_cited_source_is_told_it_cannot_decide(
    open_page: OpenPage, editor: User, editor_reviewer: User
) -> None:
    dispute, source = _in_review(editor)
    desk = _edit_headline(open_page, editor_reviewer, source)
    desk.goto(desk.url.split("/desk/")[0] + f"/review/{dispute.pk}/")
    sync_api.expect(
        desk.get_by_text("You contributed to this version (changed a cited source's details)")
    ).to_be_visible()
    sync_api.expect(desk.get_by_role("button", name="Record decision")).to_have_count(0)
    contributors = desk.get_by_role("region", name="Who worked on this version")
    sync_api.expect(contributors.get_by_text(editor_reviewer.username, exact=True)).to_be_visible()
    sync_api.expect(contributors.get_by_text(editor.username, exact=True)).to_be_visible()
    save_screenshots(desk, "review-four-eyes-dual-role")
