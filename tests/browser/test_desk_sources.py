"""The desk in a real browser: its home page, adding a source, and watching the worker fetch it."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright import sync_api

from articles.models import Source
from articles.tests.factories import SourceFactory
from articles.tests.test_checking import PATH, html, serve, server, site  # noqa: F401  (fixtures)
from articles.tests.test_tasks import queue, start_worker, worker  # noqa: F401  (a real Celery worker)
from disputes.models import Dispute
from disputes.tests.factories import DisputeFactory
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, save_screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

EXTRACTED = "Trump probably does not want to begin his second presidential term"


@pytest.fixture
def busy_desk(editor: User, reviewer: User) -> None:
    """Give the editor a draft, a dispute sent back with a comment, a flagged one and a source that moved."""
    DisputeFactory(claim_text="Ukraine was told in advance of the Trump–Putin call", created_by=editor,
                   last_edited_by=editor)  # fmt: skip
    returned = DisputeFactory(claim_text="The Kremlin denied that the call took place", created_by=editor,
                              last_edited_by=editor, state=Dispute.State.IN_REVIEW)  # fmt: skip
    returned.request_changes(by=reviewer, comment="Cite the Kremlin spokesman's own words, not the agency summary.")
    DisputeFactory(
        claim_text="Trump advised Putin not to escalate the war in Ukraine", created_by=editor,
        state=Dispute.State.IN_REVIEW, needs_recheck=True,
        recheck_reason="A quoted passage of The Guardian article was reworded.",
    )  # fmt: skip
    SourceFactory(title="Trump speaks with Putin – report", liveness=Source.Liveness.MOVED,
                  liveness_detail="Now redirects to another article.", last_changed_at=timezone.now())  # fmt: skip


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_desk_home_and_the_add_form_read_well(
    open_page: OpenPage, busy_desk: None, editor: User, name: str, device: dict
) -> None:
    page, problems = open_page("/login/?next=/desk/", device)
    sign_in(page, editor)
    sync_api.expect(page.get_by_role("heading", level=1)).to_have_text("Desk")
    sync_api.expect(page.get_by_text("Cite the Kremlin spokesman's own words")).to_be_visible()
    sync_api.expect(page.get_by_text("A quoted passage of The Guardian article was reworded.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"desk-home-{name}")

    page.get_by_role("link", name="Add a source").click()
    page.get_by_label("Address of the page").fill("javascript:alert(1)")
    page.get_by_role("button", name="Add and fetch").click()
    sync_api.expect(page.get_by_role("alert")).to_have_text("Only http:// and https:// addresses can be tracked.")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"desk-add-source-{name}")
    assert problems == []


def test_an_added_source_is_fetched_by_the_worker_while_the_page_watches(  # type: ignore[no-untyped-def]
    open_page: OpenPage,
    site,  # noqa: F811  (the page server fixture)
    worker,  # noqa: F811  (a real Celery worker)
    editor: User,
) -> None:
    """Desk → Add a source → a bad address is refused → a real one is checked → its text shows, no reload."""
    serve(site, html("guardian-trump-putin-v1"))
    page, problems = open_page("/login/?next=/desk/", DESKTOP)
    sign_in(page, editor)
    page.get_by_role("link", name="Add a source").click()

    address = page.get_by_label("Address of the page")
    address.fill("http://10.0.0.1/admin")
    page.get_by_role("button", name="Add and fetch").click()
    sync_api.expect(page.get_by_role("alert")).to_contain_text("a private network address (10.0.0.1)")
    assert not Source.objects.exists()

    page.get_by_label("Address of the page").fill(f"http://127.0.0.1:{site.port}{PATH}?utm_source=twitter")
    page.get_by_role("button", name="Add and fetch").click()
    sync_api.expect(page.get_by_text("Checking this page")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    # No reload: htmx polls the panel until the worker is done, then the copy shows.
    sync_api.expect(page.get_by_text(EXTRACTED)).to_be_visible(timeout=30_000)
    sync_api.expect(page.get_by_role("button", name="Check now")).to_be_visible()
    sync_api.expect(page.locator(".pill")).to_have_text("Online")
    assert page.evaluate("window.notReloaded === true")
    source = Source.objects.get()
    assert source.url == f"http://127.0.0.1:{site.port}{PATH}"
    assert source.snapshots.count() == 1
    save_screenshots(page, "desk-source-added")
    assert problems == []


def test_a_page_that_cannot_be_fetched_shows_the_honest_reason(  # type: ignore[no-untyped-def]
    open_page: OpenPage,
    site,  # noqa: F811  (the page server fixture)
    worker,  # noqa: F811  (a real Celery worker)
    editor: User,
) -> None:
    serve(site, "<h1>Not Found</h1>", path="/gone", status=404)
    page, problems = open_page("/login/?next=/desk/sources/add/", DESKTOP)
    sign_in(page, editor)
    page.get_by_label("Address of the page").fill(f"http://127.0.0.1:{site.port}/gone")
    page.get_by_role("button", name="Add and fetch").click()
    sync_api.expect(page.get_by_role("button", name="Check now")).to_be_visible(timeout=30_000)
    sync_api.expect(page.get_by_text("HTTP 404")).to_be_visible()
    # The worker's own words, not a generic "failed".
    sync_api.expect(page.get_by_text("The address answered 404 Not Found.")).to_be_visible()
    assert "404 Not Found" in Source.objects.get().liveness_detail
    save_screenshots(page, "desk-source-failed")
    assert problems == []


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_details_are_filled_in_by_hand(open_page: OpenPage, editor: User, name: str, device: dict) -> None:
    source = SourceFactory(title="", byline="", published_at=None, language="",
                           outlet__name="kyivindependent.com", outlet__domain="kyivindependent.com")  # fmt: skip
    page, problems = open_page(f"/login/?next=/desk/sources/{source.pk}/edit/", device)
    sign_in(page, editor)
    page.get_by_label("Title").fill("Ukraine denies it was told of the Trump–Putin call in advance")
    page.get_by_label("Outlet").fill("The Kyiv Independent")
    page.get_by_label("Language").fill("English")
    page.get_by_role("button", name="Save details").click()
    sync_api.expect(page.get_by_role("alert")).to_have_text(
        "“English” is not a language tag: write one such as en, uk or pt-BR."
    )
    save_screenshots(page, f"desk-source-edit-{name}")
    page.get_by_label("Language").fill("en")
    page.get_by_role("button", name="Save details").click()
    sync_api.expect(page.get_by_text("Details saved.")).to_be_visible()
    sync_api.expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ukraine denies it was told of the Trump–Putin call in advance"
    )
    sync_api.expect(page.locator(".kicker")).to_have_text("The Kyiv Independent")
    assert problems == []
