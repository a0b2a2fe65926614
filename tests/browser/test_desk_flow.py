"""The whole desk flow in a real browser, as an editor works: from two URLs to a dispute in review.

Pages are served on 127.0.0.1; the first fetch of each source runs on a real Celery worker.
"""

import pytest
from django.contrib.auth.models import User
from playwright import sync_api

from articles import extract
from articles.tests.test_checking import html, server, site  # noqa: F401  (the page server)
from articles.tests.test_tasks import queue, start_worker, worker  # noqa: F401  (a real Celery worker)
from disputes.models import Dispute, DisputeLink
from tests.browser.helpers import DESKTOP, OpenPage, save_screenshots, settle, sign_in, tab_to, tab_to_text
from tests.browser.test_capture import SELECT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CLAIM_PAGE, CLAIM_PATH = "kyivindependent-kremlin-denies-call", "/news/trump-urges-putin-wp-reports"
REBUTTAL_PAGE, REBUTTAL_PATH = "guardian-trump-putin-v1", "/us-news/2024/nov/11/trump-putin-call"
CLAIM = "the Ukrainian government had been informed of the call in advance and did not object to it taking place"
REBUTTAL = "Reports that the Ukrainian side was informed in advance of the alleged call are false."
CLAIM_TEXT = "Kyiv was told in advance about the Trump–Putin call"


@pytest.fixture
def pages(site):  # type: ignore[no-untyped-def]  # noqa: F811
    """Serve the claim's page and the rebuttal's page; return their addresses."""
    site.clear_all_handlers()
    for name, path in ((CLAIM_PAGE, CLAIM_PATH), (REBUTTAL_PAGE, REBUTTAL_PATH)):
        site.expect_request(path).respond_with_data(html(name), content_type="text/html; charset=utf-8")
    return {
        name: f"http://127.0.0.1:{site.port}{path}" for name, path in ((CLAIM, CLAIM_PATH), (REBUTTAL, REBUTTAL_PATH))
    }


def follow(page: sync_api.Page) -> None:
    """Press Enter on the focused link or form and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")


def offsets(page_name: str, passage: str) -> tuple[int, int]:
    text = extract.extract(html(page_name)).main_text
    start = text.index(passage)
    return start, start + len(passage)


def add_source_for(page: sync_api.Page, role_button: str, url: str, name: str) -> None:
    """From the builder, go to the sources, add one by its address and wait for the worker's copy."""
    page.get_by_role("link", name=role_button).click()
    page.get_by_role("link", name="Add a source by its address").click()
    page.get_by_label("Address of the page").fill(url)
    save_screenshots(page, f"flow-add-source-{name}")
    page.get_by_role("button", name="Add and fetch").click()
    sync_api.expect(page.locator("#source-text")).to_be_visible(timeout=30_000)
    page.wait_for_load_state("load")


def attribute_new_speaker(page: sync_api.Page, name: str, role: str, organisation: str, kind: str) -> None:
    step = page.locator("#attribute-step")
    sync_api.expect(step.get_by_role("heading", name="Who said it?")).to_be_visible()
    settle(page)
    step.get_by_text("Not in the list? Add a new speaker").click()
    step.get_by_label("Name").fill(name)
    step.get_by_label("Role").fill(role)
    step.get_by_label("Organisation").fill(organisation)
    step.get_by_role("button", name="Add this speaker").click()
    sync_api.expect(step.get_by_role("radio", name=name)).to_be_checked()
    step.get_by_label("How it is attributed").select_option(kind)


def test_from_two_urls_to_a_dispute_in_review(open_page: OpenPage, pages: dict, worker, editor: User) -> None:  # noqa: F811
    page, problems = open_page("/login/?next=/desk/", DESKTOP)
    sign_in(page, editor)
    save_screenshots(page, "flow-desk-home")
    page.get_by_role("link", name="New dispute").click()
    page.get_by_label("Claim").fill(CLAIM_TEXT)
    page.get_by_role("button", name="Open the draft").click()
    sync_api.expect(page.get_by_role("heading", name="The dispute in our words")).to_be_visible()

    # The claim: where it appeared, selected with the mouse.
    add_source_for(page, "Add an appearance from a source", pages[CLAIM], "claim")
    page.evaluate(SELECT, list(offsets(CLAIM_PAGE, CLAIM)))
    sync_api.expect(page.locator("#capture-form")).to_be_visible()
    save_screenshots(page, "flow-select-claim")
    page.locator("#capture-form").get_by_role("button", name="Use this passage").click()
    attribute_new_speaker(page, "The Washington Post", "newspaper", "", "anonymous_officials")
    save_screenshots(page, "flow-attribute-claim")
    page.get_by_role("button", name="Save the statement").click()
    sync_api.expect(page.get_by_text("Statement saved and added to the dispute.")).to_be_visible()

    # The rebuttal: the foreign ministry's denial, from another source.
    add_source_for(page, "Add a rebuttal from a source", pages[REBUTTAL], "rebuttal")
    page.evaluate(SELECT, list(offsets(REBUTTAL_PAGE, REBUTTAL)))
    page.locator("#capture-form").get_by_role("button", name="Use this passage").click()
    attribute_new_speaker(
        page,
        "Heorhii Tykhyi",
        "foreign ministry spokesperson",
        "Ministry of Foreign Affairs of Ukraine",
        "direct_quote",
    )
    page.get_by_role("button", name="Save the statement").click()
    sync_api.expect(page.get_by_text("Statement saved and added to the dispute.")).to_be_visible()

    # The words of our own, a preview, and off to review.
    page.get_by_label("Summary").fill(
        "The Post reported that Kyiv knew of the call; Ukraine's foreign ministry denied it."
    )
    page.get_by_label("How it stands").select_option("denied")
    page.get_by_role("button", name="Save", exact=True).click()
    sync_api.expect(page.get_by_text("Saved.")).to_be_visible()
    save_screenshots(page, "flow-builder")
    page.get_by_role("link", name="Preview").click()
    sync_api.expect(page.get_by_text("Preview — not published")).to_be_visible()
    sync_api.expect(page.locator("blockquote", has_text=REBUTTAL)).to_be_visible()
    save_screenshots(page, "flow-preview")
    page.go_back()
    page.get_by_role("button", name="Submit for review").click()
    sync_api.expect(page.get_by_text("In review", exact=False).first).to_be_visible()
    save_screenshots(page, "flow-submitted")

    dispute = Dispute.objects.get()
    assert (dispute.state, dispute.claim_text, dispute.resolution) == ("in_review", CLAIM_TEXT, "denied")
    links = list(dispute.links.select_related("statement__quote__source", "statement__speaker").order_by("position"))
    assert [(link.role, link.statement.quote.exact) for link in links] == [
        (DisputeLink.Role.APPEARANCE, CLAIM),
        (DisputeLink.Role.REBUTTAL, REBUTTAL),
    ]
    assert links[1].statement.speaker.name == "Heorhii Tykhyi"
    assert links[1].statement.speaker.organisation.name == "Ministry of Foreign Affairs of Ukraine"
    assert [link.statement.quote.source.url for link in links] == [pages[CLAIM], pages[REBUTTAL]]
    assert problems == []


def test_the_same_flow_by_keyboard_only(open_page: OpenPage, pages: dict, worker, editor: User) -> None:  # noqa: F811
    """No mouse: the passage is pasted, found by the server and confirmed, all with Tab and Enter."""
    page, problems = open_page("/login/?next=/desk/disputes/new/", DESKTOP)
    sign_in(page, editor)
    tab_to(page, "#id_claim_text")
    page.keyboard.type(CLAIM_TEXT)
    tab_to(page, "form.builder-form button[type=submit]")
    page.keyboard.press("Enter")
    sync_api.expect(page.get_by_role("heading", name="The dispute in our words")).to_be_visible()

    for role_button, url, passage, speaker in (
        ("Add an appearance from a source", pages[CLAIM], CLAIM, ("The Washington Post", "newspaper")),
        ("Add a rebuttal from a source", pages[REBUTTAL], REBUTTAL, ("Heorhii Tykhyi", "spokesperson")),
    ):
        tab_to_text(page, role_button)
        follow(page)
        tab_to_text(page, "Add a source by its address")
        follow(page)
        tab_to(page, "input[name=url]")
        page.keyboard.type(url)
        page.keyboard.press("Enter")
        sync_api.expect(page.locator("#source-text")).to_be_visible(timeout=30_000)
        page.wait_for_load_state("load")
        tab_to(page, "#paste-passage")
        page.keyboard.type(passage)
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        sync_api.expect(page.get_by_role("button", name="Use this passage").last).to_be_focused()
        page.keyboard.press("Enter")
        sync_api.expect(page.get_by_role("heading", name="Who said it?")).to_be_visible()
        settle(page)
        tab_to(page, "#new-actor summary")
        page.keyboard.press("Enter")
        tab_to(page, "#new-actor input[name=name]")
        page.keyboard.type(speaker[0])
        page.keyboard.press("Tab")
        page.keyboard.type(speaker[1])
        tab_to(page, "#new-actor button[type=submit]")
        page.keyboard.press("Enter")
        sync_api.expect(page.get_by_role("radio", name=speaker[0])).to_be_checked()
        tab_to(page, "#statement-form button[type=submit]")
        page.keyboard.press("Enter")
        sync_api.expect(page.get_by_text("Statement saved and added to the dispute.")).to_be_visible()

    tab_to_text(page, "Submit for review")
    page.keyboard.press("Enter")
    sync_api.expect(page.get_by_text("In review", exact=False).first).to_be_visible()
    dispute = Dispute.objects.get()
    assert dispute.state == "in_review"
    assert sorted(dispute.links.values_list("role", "statement__quote__exact")) == [
        ("appearance", CLAIM),
        ("rebuttal", REBUTTAL),
    ]
    assert problems == []
