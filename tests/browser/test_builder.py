"""The dispute builder in a real browser: two editors at once, the live counter, the unsaved prompt."""

import pytest
from django.contrib.auth.models import User
from playwright import sync_api

from disputes.models import Dispute
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, save_screenshots, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

expect = sync_api.expect


def open_builder(open_page: OpenPage, dispute: Dispute, user: User, device: dict) -> tuple["sync_api.Page", list[str]]:
    page, problems = open_page(f"/login/?next=/desk/disputes/{dispute.pk}/", device)
    sign_in(page, user)
    expect(page.get_by_role("heading", name="The dispute in our words")).to_be_visible()
    # The heading shows as soon as the HTML is parsed, before htmx (a deferred script) has bound the
    # fields: typing then would send nothing. A person cannot type that fast; the test can.
    page.wait_for_load_state("load")
    return page, problems


def shoot(page: "sync_api.Page", name: str, problems: list[str]) -> None:
    """Save screenshots, forgetting the CSP notes Playwright's own screenshot styling causes meanwhile.

    The screenshot leaves empty `style` attributes behind, which htmx's settling then copies: so a
    test navigates away after a screenshot rather than swapping more fragments.
    """
    seen = len(problems)
    save_screenshots(page, name)
    page.wait_for_timeout(100)
    del problems[seen:]


def real_problems(problems: list[str]) -> list[str]:
    """Drop the browser's own note about a 409 answer: the conflict is expected, and shown."""
    return [problem for problem in problems if "status of 409" not in problem]


def test_two_editors_at_once_the_second_sees_a_conflict_and_loses_nothing(
    open_page: OpenPage, draft: Dispute, editor: User, other_editor: User
) -> None:
    first, first_problems = open_builder(open_page, draft, editor, DESKTOP)
    second, second_problems = open_builder(open_page, draft, other_editor, DESKTOP)

    first.get_by_label("Summary").fill("The ministry denied it the same evening.")
    first.get_by_role("button", name="Save", exact=True).click()
    expect(first.locator(".builder-form__status")).to_have_text("Saved.")

    mine = "The ministry denied it within hours, in a statement on its website."
    second.get_by_label("Summary").fill(mine)
    second.get_by_role("button", name="Save", exact=True).click()

    conflict = second.locator(".conflict")
    expect(conflict).to_contain_text("Someone else saved this dispute")
    expect(conflict.locator(".conflict__side--theirs")).to_contain_text("The ministry denied it the same evening.")
    expect(conflict.locator(".conflict__side--yours")).to_contain_text(mine)
    expect(second.get_by_label("Summary")).to_have_value(mine)

    second.get_by_role("button", name="Save mine over theirs").click()
    expect(second.locator(".builder-form__status")).to_have_text("Saved.")
    expect(second.locator(".conflict")).to_have_count(0)
    draft.refresh_from_db()
    assert draft.summary == mine
    assert draft.last_edited_by == other_editor
    assert real_problems(first_problems + second_problems) == []


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_a_conflict_keeps_the_text_fits_the_screen_and_can_keep_theirs(
    open_page: OpenPage, draft: Dispute, editor: User, other_editor: User, name: str, device: dict
) -> None:
    page, problems = open_builder(open_page, draft, other_editor, device)
    draft.update_content(by=editor, version=draft.version, claim_text="The bridge was closed on Monday")

    page.get_by_label("Claim").fill("The bridge was closed all week")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".conflict")).to_contain_text("The bridge was closed on Monday")
    expect(page.get_by_label("Claim")).to_have_value("The bridge was closed all week")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, f"builder-conflict-{name}", problems)

    # Keeping theirs is a deliberate choice: it leaves without asking.
    page.get_by_role("link", name="Keep theirs").click()
    expect(page.get_by_label("Claim")).to_have_value("The bridge was closed on Monday")
    assert real_problems(problems) == []


def test_the_claim_counter_follows_typing(open_page: OpenPage, draft: Dispute, editor: User) -> None:
    page, problems = open_builder(open_page, draft, editor, DESKTOP)
    claim = page.get_by_label("Claim")
    claim.fill("")
    claim.press_sequentially("Twelve chars")
    expect(page.locator("#claim-counter")).to_have_text("12 / 75 characters")
    claim.press_sequentially(" more")
    expect(page.locator("#claim-counter")).to_have_text("17 / 75 characters")
    assert problems == []


def test_leaving_with_unsaved_changes_asks_first(open_page: OpenPage, draft: Dispute, editor: User) -> None:
    page, problems = open_builder(open_page, draft, editor, DESKTOP)
    dialogs: list[str] = []

    def answer(dialog: "sync_api.Dialog") -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    summary = page.get_by_label("Summary")
    summary.click()
    summary.press_sequentially("Half a thought")
    page.get_by_role("link", name="Preview").click()

    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    expect(page.get_by_label("Summary")).to_have_value(draft.summary + "Half a thought")

    # Once saved, leaving asks nothing.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".builder-form__status")).to_have_text("Saved.")
    page.get_by_role("link", name="Preview").click()
    expect(page.get_by_text("Preview — not published")).to_be_visible()
    assert dialogs == ["beforeunload"]
    assert problems == []


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_builder_and_preview_look_right(
    open_page: OpenPage, draft: Dispute, editor: User, name: str, device: dict
) -> None:
    draft.update_content(by=editor, version=draft.version, context="The bridge carries the main road into the city.")
    page, problems = open_builder(open_page, draft, editor, device)
    expect(page.locator(".link-item")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, f"builder-{name}", problems)

    page.get_by_role("link", name="Preview").click()
    expect(page.get_by_text("Preview — not published")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(draft.claim_text)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, f"builder-preview-{name}", problems)
    assert problems == []
