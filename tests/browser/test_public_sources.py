"""A published dispute and one of its sources in a real browser: the two columns, the states, the versions.

Desktop shows appearances beside rebuttals; a phone stacks them and never scrolls sideways. Hostile text
in every field a reader sees must stay text: a dialog opened by any script fails the test.
Screenshots go to test-artifacts/ for a person to look at.
"""

import datetime as dt
from pathlib import Path

import pytest
from playwright import sync_api

from articles import extract
from articles.models import Fetch, Quote, QuoteCheck, Snapshot, Source
from articles.tests.factories import OutletFactory, SourceFactory
from disputes.models import Actor, Dispute, DisputeLink, Statement
from disputes.tests.factories import ActorFactory, DisputeFactory, StatementFactory, add_link, publish_as_is
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, save_screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PAGES = Path(__file__).resolve().parents[2] / "articles" / "tests" / "pages"
QUOTED = "Trump probably does not want to begin his second presidential term with an escalation in the Ukraine war"
PESKOV = "This is completely untrue. This is pure fiction, it's just false information."
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)> \u202egnp.exe'


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2024, 11, day, hour, tzinfo=dt.UTC)


def snapshot_of(source: Source, page: str, when: dt.datetime) -> Snapshot:
    html = (PAGES / page).read_bytes()
    text = extract.extract(html, source.url)
    return Snapshot.objects.create(
        source=source, captured_at=when, raw_html=html, raw_sha256=extract.sha256(html), main_text=text.main_text,
        main_sha256=extract.sha256(text.main_text), fingerprint=extract.fingerprint(text.main_text),
        full_text=text.full_text, title=text.title, extractor=extract.EXTRACTOR,
    )  # fmt: skip


def publish(dispute: Dispute) -> Dispute:
    dispute = publish_as_is(dispute, published_at=at(12, 14))
    dispute.events.create(kind="published", public=True, created_at=at(12, 14))
    return dispute


def checks(source: Source, outcomes: list[tuple[dt.datetime, int | None, str, str, str]]) -> None:
    for started, status, outcome, verdict, tier in outcomes:
        Fetch.objects.create(
            source=source, slot=started, started_at=started, finished_at=started, requested_url=source.url,
            status_code=status, outcome=outcome, verdict=verdict, tier=tier,
        )  # fmt: skip


@pytest.fixture
def edited_source() -> Source:
    """The Guardian's report, copy-edited after we first captured it: the quoted words were reworded."""
    source = SourceFactory(
        outlet=OutletFactory(name="The Guardian", domain="theguardian.example"),
        url="https://theguardian.example/us-news/2024/nov/10/trump-putin-call",
        title="Trump speaks with Putin and advises him not to escalate Ukraine war – report",
        liveness=Source.Liveness.ALIVE, last_checked_at=at(20),
    )  # fmt: skip
    v1 = snapshot_of(source, "guardian-trump-putin-v1.html", at(10))
    v2 = snapshot_of(source, "guardian-trump-putin-v2-copyedit.html", at(12))
    Source.objects.filter(pk=source.pk).update(current_snapshot=v2, last_changed_at=at(12))
    start = v1.main_text.index(QUOTED)
    quote = Quote.objects.create(source=source, snapshot=v1, exact=QUOTED, start=start, end=start + len(QUOTED))
    checks(source, [
        (at(10), 200, "changed", "alive", "first"),
        (at(11), 200, "unchanged", "alive", "same_raw"),
        (at(12), 200, "changed", "alive", "changed"),
        (at(14), 304, "not_modified", "alive", "not_modified"),
        (at(16), 503, "error", "unreachable", ""),
        (at(18), 304, "not_modified", "alive", "not_modified"),
        (at(20), 304, "not_modified", "alive", "not_modified"),
    ])  # fmt: skip
    fetch = Fetch.objects.get(source=source, started_at=at(12))
    check = QuoteCheck.objects.create(
        fetch=fetch, quote=quote, status=Quote.Status.EDITED, matched_text=QUOTED.replace("probably", "likely")
    )
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.EDITED, last_check=check)
    source.refresh_from_db()
    return source


@pytest.fixture
def story(edited_source: Source) -> Dispute:
    """Publish the seed story: two appearances, two rebuttals (one source gone), and some context."""
    ki = OutletFactory(name="Kyiv Independent", domain="kyivindependent.com")
    ministry = ActorFactory(name="Ministry of Foreign Affairs of Ukraine", kind=Actor.Kind.ORGANISATION, role="")
    tykhyi = ActorFactory(name="Heorhii Tykhyi", role="foreign ministry spokesperson", organisation=ministry)
    peskov = ActorFactory(name="Dmitry Peskov", role="Kremlin spokesman")
    dispute = DisputeFactory(
        slug="kyiv-told-in-advance",
        claim_text="Kyiv was told in advance about the Trump–Putin call",
        summary="The Washington Post reported that Ukraine's government knew of a Trump–Putin phone call in "
        "advance. Ukraine's foreign ministry called the report false; the Kremlin said no call took place.",
        resolution=Dispute.Resolution.DENIED,
    )
    statement = StatementFactory(
        quote=Quote.objects.get(source=edited_source), speaker=None,
        attribution=Statement.Attribution.ANONYMOUS_OFFICIALS, stated_on=dt.date(2024, 11, 10),
    )  # fmt: skip
    DisputeLink.objects.create(dispute=dispute, statement=statement, role=DisputeLink.Role.APPEARANCE, position=0)
    star = add_link(
        dispute, DisputeLink.Role.APPEARANCE, speaker=None, attribution=Statement.Attribution.OUTLET_REPORTING,
        stated_on=dt.date(2024, 11, 11), quote__exact="Trump in phone call advised Putin not to escalate in Ukraine",
        quote__source__outlet=OutletFactory(name="The Star", domain="thestar.com.my"),
        quote__source__title="Trump in phone call advised Putin not to escalate in Ukraine - Washington Post",
        quote__source__url="https://www.thestar.com.my/news/world/2024/11/11/trump-in-phone-call-advised-putin",
        quote__source__liveness="alive", quote__source__last_checked_at=at(20), quote__status="present",
    )  # fmt: skip
    add_link(
        dispute, DisputeLink.Role.REBUTTAL, speaker=tykhyi, stated_on=dt.date(2024, 11, 11),
        quote__exact="Reports that the Ukrainian side was informed in advance of the alleged call are false.",
        quote__source__outlet=ki, quote__source__liveness="alive", quote__source__last_checked_at=at(20),
        quote__source__title="'Pure fiction' — Kremlin denies Putin and Trump spoke by phone after election victory",
        quote__source__url="https://kyivindependent.com/pure-fiction-kremlin-denies-putin-and-trump-spoke-by-phone",
        quote__status="present",
    )  # fmt: skip
    add_link(
        dispute, DisputeLink.Role.REBUTTAL, speaker=peskov, stated_on=dt.date(2024, 11, 11), quote__exact=PESKOV,
        quote__source__outlet=OutletFactory(name="The Moscow Times", domain="themoscowtimes.com"),
        quote__source__title="Kremlin Denies Reports of Putin-Trump Phone Call Over Ukraine",
        quote__source__url="https://www.themoscowtimes.com/2024/11/11/kremlin-denies-reports-a86977",
        quote__source__liveness="dead", quote__source__first_dead_signal_at=at(20),
        quote__source__last_checked_at=at(22), quote__status="gone_with_page",
    )  # fmt: skip
    add_link(
        dispute, DisputeLink.Role.CONTEXT, speaker=None, attribution=Statement.Attribution.OUTLET_REPORTING,
        quote__exact="The Washington Post first reported the call on 10 November, citing people familiar with it.",
        quote__source__outlet=ki, quote__source__title="What we know about the Trump–Putin call",
        quote__source__url="https://kyivindependent.com/what-we-know-about-the-call",
    )  # fmt: skip
    Snapshot.objects.filter(source__in=[star.statement.quote.source_id]).update(captured_at=at(11))
    Snapshot.objects.filter(source__title__startswith="Kremlin Denies").update(captured_at=at(11))
    Snapshot.objects.filter(source__title__startswith="'Pure fiction'").update(captured_at=at(11))
    dispute = publish(dispute)

    # Another dispute quoting Peskov: related by its speaker.
    other = DisputeFactory(slug="no-call-at-all", claim_text="Putin and Trump spoke by phone after the election")
    add_link(other, DisputeLink.Role.REBUTTAL, speaker=peskov, quote__exact="There was no conversation.")
    publish(other)
    return dispute


@pytest.fixture
def hostile() -> Dispute:
    """A dispute whose every field a reader sees is an attack, and whose source's text is one too."""
    outlet = OutletFactory(name=HOSTILE, domain="evil.example", homepage="javascript:alert(3)")
    dispute = DisputeFactory(slug="hostile", claim_text='<script>alert(1)</script>"><img onerror=x>', summary=HOSTILE)
    link = add_link(
        dispute, DisputeLink.Role.APPEARANCE, speaker=ActorFactory(name=HOSTILE, role=HOSTILE),
        quote__exact=HOSTILE, quote__source__title=HOSTILE, quote__source__outlet=outlet,
        quote__source__url="https://evil.example/\"><script>alert(4)</script>",
    )  # fmt: skip
    add_link(dispute, DisputeLink.Role.REBUTTAL, speaker=ActorFactory(name=HOSTILE + " 2"), quote__exact=HOSTILE + " 2")
    source = link.statement.quote.source
    Snapshot.objects.filter(source=source).update(
        main_text=f"Before. {HOSTILE} After.", raw_html=b"<script>alert(5)</script>", captured_at=at(10)
    )
    second = Snapshot.objects.create(
        source=source, captured_at=at(12), raw_html=b"<script>alert(6)</script>", raw_sha256="2",
        main_text=f"Before, changed. {HOSTILE} After. <img src=x onerror=alert(7)>",
    )  # fmt: skip
    Source.objects.filter(pk=source.pk).update(
        current_snapshot=second, liveness="alive", last_changed_at=at(12), last_checked_at=at(20)
    )
    return publish(dispute)


def no_dialog(page: sync_api.Page) -> list[str]:
    """Record every alert, confirm or prompt the page opens; the test expects none."""
    opened: list[str] = []

    def record(dialog: sync_api.Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def safe_href(href: str) -> bool:
    """Tell whether an address is http(s), a path on this site, a fragment, or base.html's empty icon."""
    return href.startswith(("http://", "https://", "#")) or (href[:1] == "/" and href[:2] != "//") or href == "data:,"


def box(locator: sync_api.Locator) -> dict:
    found = locator.bounding_box()
    assert found is not None
    return found


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_dispute_page_puts_appearances_beside_rebuttals(
    open_page: OpenPage, story: Dispute, name: str, device: dict
) -> None:
    page, problems = open_page(story.get_absolute_url(), device)

    appearance = box(page.locator(".statement--appearance").first)
    rebuttal = box(page.locator(".statement--rebuttal").first)
    context = box(page.locator(".statement--context").first)
    if name == "desktop":
        assert rebuttal["x"] >= appearance["x"] + appearance["width"]  # side by side
        assert abs(rebuttal["y"] - appearance["y"]) < 2  # on the same line
    else:
        assert rebuttal["x"] == appearance["x"]  # stacked
        assert rebuttal["y"] >= appearance["y"] + appearance["height"]
    assert context["y"] > max(appearance["y"] + appearance["height"], rebuttal["y"] + rebuttal["height"])
    sync_api.expect(page.get_by_text("Source now: Edited 12 Nov 2024; the quoted words were reworded")).to_be_visible()
    sync_api.expect(page.get_by_text("Source now: Gone since 20 Nov 2024")).to_be_visible()
    sync_api.expect(page.get_by_role("link", name="Putin and Trump spoke by phone after the election")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"public-dispute-{name}")
    # On paper: no site chrome, the cards one under the other, each outside address spelled out.
    page.emulate_media(media="print")
    sync_api.expect(page.locator(".site-header")).to_be_hidden()
    sync_api.expect(page.get_by_text("This page: ")).to_be_visible()
    after = page.evaluate("getComputedStyle(document.querySelector('.statement__link a'), '::after').content")
    assert after == '" (https://theguardian.example/us-news/2024/nov/10/trump-putin-call)"'
    appearance, rebuttal = (
        box(page.locator(".statement--appearance").first),
        box(page.locator(".statement--rebuttal").first),
    )
    assert rebuttal["y"] > appearance["y"] + appearance["height"]
    save_screenshots(page, f"public-dispute-{name}-print")
    assert problems == []


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_source_page_shows_what_changed(
    open_page: OpenPage, story: Dispute, edited_source: Source, name: str, device: dict
) -> None:
    page, problems = open_page(story.get_absolute_url(), device)

    page.get_by_role("link", name="see what changed").click()

    sync_api.expect(page.get_by_role("heading", level=1)).to_have_text(edited_source.title)
    diff = page.locator(".diff")
    sync_api.expect(diff.locator("ins", has_text="likely")).to_be_visible()
    sync_api.expect(diff.locator("del", has_text="probably")).to_be_visible()
    sync_api.expect(page.locator(".source-text mark").first).to_be_visible()
    sync_api.expect(page.get_by_role("link", name=story.claim_text)).to_be_visible()
    sync_api.expect(page.get_by_role("cell", name="Could not be reached").first).to_be_visible()
    # Compare the first version with itself: the form works without JavaScript.
    page.get_by_label("with").select_option(index=1)
    with page.expect_navigation():
        page.get_by_role("button", name="Show changes").click()
    sync_api.expect(page.get_by_text("The text of these two versions is the same.")).to_be_visible()
    page.get_by_label("with").select_option(index=0)
    with page.expect_navigation():
        page.get_by_role("button", name="Show changes").click()
    sync_api.expect(diff.locator("ins", has_text="likely")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"public-source-{name}")
    assert problems == []


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_hostile_text_never_runs(open_page: OpenPage, hostile: Dispute, name: str, device: dict) -> None:
    source = Source.objects.get(title=HOSTILE)
    for path, shot in [(hostile.get_absolute_url(), "dispute"), (f"/sources/{source.pk}/", "source")]:
        page, problems = open_page(path, device)
        opened = no_dialog(page)
        page.reload()  # again, with the listener in place before any script could run

        sync_api.expect(page.get_by_role("heading", level=1)).to_contain_text("<script>alert(1)</script>")
        assert page.locator("img").count() == 0
        hrefs = page.evaluate("[...document.querySelectorAll('[href]')].map(e => e.getAttribute('href'))")
        assert all(safe_href(href) for href in hrefs), hrefs
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        save_screenshots(page, f"public-hostile-{shot}-{name}")
        assert opened == []
        assert problems == []
