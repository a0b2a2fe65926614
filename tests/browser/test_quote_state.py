"""A passage captured in the browser says at once where it stands: in the builder, and to readers once published."""

import datetime as dt
from urllib.parse import quote as urlquote

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from playwright import sync_api
from pytest_django.live_server_helper import LiveServer

from articles.models import Fetch, Quote, Source
from articles.tests.factories import OutletFactory, SourceFactory
from disputes.models import Dispute, DisputeLink
from disputes.tests.factories import DisputeFactory, add_link
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, sign_in
from tests.browser.test_builder import shoot
from tests.browser.test_capture import SELECT
from tests.browser.test_source_pages import QUOTED, snapshot_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

expect = sync_api.expect


@pytest.fixture
def source() -> Source:
    """An article fetched once, an hour ago: the passage is selected in that copy, after the fetch."""
    outlet = OutletFactory(name="The Guardian", domain="theguardian.example")
    fetched_at = timezone.now() - dt.timedelta(hours=1)
    source = SourceFactory(
        outlet=outlet, url="https://theguardian.example/us-news/2024/nov/10/trump-putin-call",
        title="Trump speaks with Putin and advises him not to escalate Ukraine war – report",
        published_at=dt.datetime(2024, 11, 10, 9, tzinfo=dt.UTC), liveness=Source.Liveness.ALIVE,
        last_checked_at=fetched_at, next_check_at=timezone.now() + dt.timedelta(hours=2),
    )  # fmt: skip
    snapshot = snapshot_of(source, "guardian-trump-putin-v1.html", fetched_at)
    Fetch.objects.create(
        source=source, slot=fetched_at, started_at=fetched_at, requested_url=source.url, status_code=200,
        outcome=Fetch.Outcome.CHANGED, tier=Fetch.Tier.FIRST, verdict=Source.Liveness.ALIVE, snapshot=snapshot,
    )  # fmt: skip
    Source.objects.filter(pk=source.pk).update(current_snapshot=snapshot)
    return Source.objects.select_related("current_snapshot").get(pk=source.pk)


@pytest.fixture
def dispute(editor: User) -> Dispute:
    """A draft with its rebuttal cited already: the appearance is what the editor captures."""
    dispute = DisputeFactory(
        created_by=editor, last_edited_by=editor, claim_text="Trump and Putin spoke on the phone in November"
    )
    add_link(dispute, DisputeLink.Role.REBUTTAL)
    return dispute


def capture_appearance(
    open_page: OpenPage, source: Source, dispute: Dispute, editor: User, device: dict
) -> tuple[sync_api.Page, list[str]]:
    """Select the passage on the source page, opened from the builder, and cite it as an appearance."""
    there = urlquote(f"/desk/sources/{source.pk}/?dispute={dispute.pk}&role=appearance")
    page, problems = open_page(f"/login/?next={there}", device)
    sign_in(page, editor)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Trump speaks with Putin")
    page.wait_for_load_state("load")  # capture.js (deferred) listens from here on
    start = source.current_snapshot.main_text.index(QUOTED)
    page.evaluate(SELECT, [start, start + len(QUOTED)])
    page.locator("#capture-form").get_by_role("button", name="Use this passage").click()
    step = page.locator("#attribute-step")
    expect(step.get_by_role("heading", name="Who said it?")).to_be_visible()
    step.get_by_label("How it is attributed").select_option("anonymous_officials")
    step.get_by_role("button", name="Save the statement").click()
    expect(page.get_by_text("Statement saved and added to the dispute.")).to_be_visible()
    return page, problems


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_a_captured_passage_shows_its_state_in_the_builder_and_readers_never_see_it_unchecked(
    open_page: OpenPage,
    live_server: LiveServer,
    source: Source,
    dispute: Dispute,
    editor: User,
    reviewer: User,
    name: str,
    device: dict,
) -> None:
    page, problems = capture_appearance(open_page, source, dispute, editor, device)

    expect(page.get_by_role("heading", name="The dispute in our words")).to_be_visible()
    cited = page.locator(".link-item", has_text=QUOTED)
    expect(cited.locator(".link-item__state")).to_have_text("Passage now: Present as captured")
    assert Quote.objects.get(exact=QUOTED).status == Quote.Status.PRESENT
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    cited.scroll_into_view_if_needed()
    shoot(page, f"builder-quote-state-{name}", problems)
    assert problems == []

    dispute.refresh_from_db()
    dispute.submit(by=editor)
    dispute.publish(by=reviewer)
    reader, reader_problems = open_page(dispute.get_absolute_url(), device)
    card = reader.locator("article.statement", has_text=QUOTED)
    expect(card.locator(".source-state")).to_contain_text("Online, unchanged since")
    expect(card).not_to_contain_text("not checked", ignore_case=True)
    expect(card).not_to_contain_text("not yet checked", ignore_case=True)

    reader.goto(live_server.url + reverse("disputes:source-detail", args=[source.pk]))
    passage = reader.locator(".citation__passage", has_text=QUOTED)
    expect(passage.locator(".citation__status")).to_have_text("Now: present as captured")
    expect(passage).not_to_contain_text("not yet checked", ignore_case=True)
    assert reader_problems == []
