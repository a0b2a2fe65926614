"""The desk's source page in a real browser: versions, the word diff with quotes marked, check now."""

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright import sync_api

from articles import extract
from articles.models import Fetch, Quote, QuoteCheck, Snapshot, Source
from articles.tests.factories import OutletFactory, SourceFactory
from articles.tests.test_checking import check as run_check
from articles.tests.test_checking import html, make_source, serve, server, site  # noqa: F401  (fixtures)
from articles.tests.test_tasks import queue, start_worker, worker  # noqa: F401  (a real Celery worker)
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, save_screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PAGES = Path(__file__).resolve().parents[2] / "articles" / "tests" / "pages"
QUOTED = "Trump probably does not want to begin his second presidential term with an escalation in the Ukraine war"


def snapshot_of(source: Source, page: str, when: dt.datetime) -> Snapshot:
    html = (PAGES / page).read_bytes()
    text = extract.extract(html, source.url)
    return Snapshot.objects.create(
        source=source, captured_at=when, raw_html=html, raw_sha256=extract.sha256(html), main_text=text.main_text,
        main_sha256=extract.sha256(text.main_text), fingerprint=extract.fingerprint(text.main_text),
        full_text=text.full_text, title=text.title, extractor=extract.EXTRACTOR,
        correction_notices=text.correction_notices,
    )  # fmt: skip


@pytest.fixture
def edited_source() -> Source:
    outlet = OutletFactory(name="The Guardian", domain="theguardian.example")
    source = SourceFactory(
        outlet=outlet, url="https://theguardian.example/us-news/2024/nov/10/trump-putin-call",
        title="Trump speaks with Putin and advises him not to escalate Ukraine war – report",
        liveness=Source.Liveness.ALIVE, last_checked_at=timezone.now(),
        next_check_at=timezone.now() + dt.timedelta(hours=2),
    )  # fmt: skip
    v1 = snapshot_of(source, "guardian-trump-putin-v1.html", timezone.now() - dt.timedelta(days=1))
    v2 = snapshot_of(source, "guardian-trump-putin-v2-copyedit.html", timezone.now())
    Source.objects.filter(pk=source.pk).update(current_snapshot=v2, last_changed_at=timezone.now())
    start = v1.main_text.index(QUOTED)
    quote = Quote.objects.create(source=source, snapshot=v1, exact=QUOTED, start=start, end=start + len(QUOTED))
    fetch = Fetch.objects.create(
        source=source, slot=timezone.now(), requested_url=source.url, status_code=200, outcome="changed",
        snapshot=v2, elapsed_ms=412, verdict="alive",
    )  # fmt: skip
    now_reads = QUOTED.replace("probably", "likely")
    check = QuoteCheck.objects.create(
        fetch=fetch, quote=quote, status=Quote.Status.EDITED, matched_text=now_reads, score=0.96, searched_in="main"
    )
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.EDITED, last_check=check)
    return source


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_source_page_shows_what_changed(
    open_page: OpenPage, edited_source: Source, editor: User, name: str, device: dict
) -> None:
    page, problems = open_page(f"/login/?next=/desk/sources/{edited_source.pk}/", device)
    sign_in(page, editor)
    sync_api.expect(page.get_by_role("heading", level=1)).to_contain_text("Trump speaks with Putin")
    sync_api.expect(page.get_by_text("Reworded")).to_be_visible()
    # The copy-edit shows as a word diff, inside the marked quotation.
    sync_api.expect(page.locator(".diff del mark", has_text="probably")).to_be_visible()
    sync_api.expect(page.locator(".diff ins mark", has_text="likely")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"source-{name}")
    assert problems == []


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_a_rewritten_place_is_explained_and_never_offered_as_the_quote(
    open_page: OpenPage, edited_source: Source, editor: User, name: str, device: dict
) -> None:
    from articles import quotes

    quote = Quote.objects.get(source=edited_source)
    QuoteCheck.objects.filter(pk=quote.last_check_id).update(
        status=Quote.Status.UNCERTAIN, matched_text="", note=quotes.REWRITTEN_NOTE
    )
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.UNCERTAIN)

    page, problems = open_page(f"/login/?next=/desk/sources/{edited_source.pk}/", device)
    sign_in(page, editor)

    item = page.locator(".quote-item")
    sync_api.expect(item.get_by_text("Cannot be located with confidence")).to_be_visible()
    sync_api.expect(item.get_by_text(quotes.REWRITTEN_NOTE)).to_be_visible()
    sync_api.expect(item.get_by_text("Now reads")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"source-uncertain-{name}")
    assert problems == []


def test_check_now_runs_on_the_worker_and_the_page_updates_itself(  # type: ignore[no-untyped-def]
    open_page: OpenPage,
    site,  # noqa: F811  (the page server fixture)
    worker,  # noqa: F811  (a real Celery worker)
    editor: User,
) -> None:
    """Check now → a real Celery worker fetches the edited page → the panel refreshes on its own."""
    source = make_source(site, title="Trump speaks with Putin – report")
    serve(site, html("guardian-trump-putin-v1"))
    start = extract.extract(html("guardian-trump-putin-v1")).main_text.index(QUOTED)
    Quote.objects.create(source=source, exact=QUOTED)
    run_check(source)  # the first copy, taken in-process
    serve(site, html("guardian-trump-putin-v2-copyedit"))  # meanwhile, the outlet copy-edits
    assert start >= 0

    page, problems = open_page(f"/login/?next=/desk/sources/{source.pk}/", DESKTOP)
    sign_in(page, editor)
    sync_api.expect(page.get_by_text("Present as captured")).to_be_visible()
    page.get_by_role("button", name="Check now").click()
    sync_api.expect(page.get_by_text("Checking this page")).to_be_visible()
    # No reload: htmx polls the panel until the worker is done, then the new version shows.
    sync_api.expect(page.get_by_text("Reworded")).to_be_visible(timeout=30_000)
    sync_api.expect(page.get_by_role("button", name="Check now")).to_be_visible()
    sync_api.expect(page.locator(".diff del mark", has_text="probably")).to_be_visible()
    assert Source.objects.get(pk=source.pk).snapshots.count() == 2
    save_screenshots(page, "source-after-check-now")
    assert problems == []
