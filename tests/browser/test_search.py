"""Searching the public record in a browser: as one types (htmx), and with JavaScript off (a plain form)."""

from __future__ import annotations

import pytest
from playwright import sync_api

from disputes.models import Dispute, DisputeLink
from disputes.tests.factories import DisputeFactory, add_link
from disputes.tests.test_public_views import publish_directly
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, save_screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def disputes(db: None) -> list[Dispute]:
    made = []
    for claim, summary in (
        ("Kyiv was told in advance about the Trump–Putin call", "The Post cited unnamed officials."),
        ("Trump and Putin spoke by phone on 7 November", "The Kremlin called the report pure fiction."),
        ("Bryan Lanza spoke for Trump when he said Crimea is gone", "A Trump spokesperson said he did not."),
    ):
        dispute = DisputeFactory(claim_text=claim, summary=summary)
        add_link(dispute, DisputeLink.Role.APPEARANCE)
        add_link(dispute, DisputeLink.Role.REBUTTAL)
        made.append(publish_directly(dispute))
    return made


def claims(page: sync_api.Page) -> list[str]:
    return page.locator("#results .dispute-item__claim").all_inner_texts()


def test_results_follow_what_is_typed(open_page: OpenPage, disputes: list[Dispute]) -> None:
    page, problems = open_page("/", DESKTOP)
    assert len(claims(page)) == 3
    page.get_by_label("Search claims, quotes, speakers and outlets").fill("Kremlin fiction")
    sync_api.expect(page.locator("#results-heading")).to_have_text("1 dispute found for “Kremlin fiction”")
    assert claims(page) == [disputes[1].claim_text]
    assert "q=Kremlin+fiction" in page.url  # the address can be shared and reloaded
    save_screenshots(page, "public-search")
    page.get_by_label("Search claims, quotes, speakers and outlets").fill("zzzyzx")
    sync_api.expect(page.get_by_text("No published dispute matches “zzzyzx”")).to_be_visible()
    assert problems == []


def test_search_and_filters_work_without_javascript(open_page: OpenPage, disputes: list[Dispute]) -> None:
    page, problems = open_page("/", {**PHONE, "java_script_enabled": False})
    page.get_by_label("Search claims, quotes, speakers and outlets").fill('"Crimea is gone"')
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state("load")
    assert claims(page) == [disputes[2].claim_text]
    save_screenshots(page, "public-search-no-js-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == []
