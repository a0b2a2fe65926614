"""The public pages in a real browser: the layout on a desktop and a phone, the CSP, and signing in.

Screenshots go to test-artifacts/ (git-ignored) for a person to look at.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright import sync_api

from articles.tests.factories import OutletFactory
from disputes.models import Actor, Dispute, DisputeLink, Revision, Statement
from disputes.tests.factories import ActorFactory, DisputeFactory, add_link
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, save_screenshots

# serialized_rollback: put back what migrations created (the groups) after each test empties the tables.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REBUTTAL = "Reports that the Ukrainian side was informed in advance of the alleged call are false."


@pytest.fixture
def story() -> Dispute:
    """Publish the seed story's dispute, with long names and addresses to stretch the layout."""
    ki = OutletFactory(name="Kyiv Independent", domain="kyivindependent.com", homepage="https://kyivindependent.com/")
    star = OutletFactory(name="The Star", domain="thestar.com.my", homepage="https://www.thestar.com.my/")
    ministry = ActorFactory(name="Ministry of Foreign Affairs of Ukraine", kind=Actor.Kind.ORGANISATION, role="")
    tykhyi = ActorFactory(name="Heorhii Tykhyi", role="foreign ministry spokesperson", organisation=ministry)
    peskov = ActorFactory(name="Dmitry Peskov", role="Kremlin spokesman")
    dispute = DisputeFactory(
        slug="kyiv-told-in-advance",
        claim_text="Kyiv was told in advance about the Trump–Putin call",
        summary="The Washington Post reported, citing two sources, that Ukraine's government knew of a "
        "Trump–Putin phone call in advance and did not object. Ukraine's foreign ministry called the "
        "report false; the Kremlin said no call took place.",
        context="The call was said to have taken place on 7 November 2024, from Mar-a-Lago, days after the US "
        "election. Trump's communications director declined to comment on private calls.",
        resolution=Dispute.Resolution.DENIED,
    )
    add_link(
        dispute, DisputeLink.Role.APPEARANCE, speaker=None, attribution=Statement.Attribution.ANONYMOUS_OFFICIALS,
        stated_on=dt.date(2024, 11, 10),
        quote__exact="The Ukrainian government was informed of the call in advance and did not object to it taking place, two sources said.",
        quote__source__outlet=ki, quote__source__title="Trump urges Putin to avoid escalation in Ukraine, WP reports",
        quote__source__url="https://kyivindependent.com/trump-urges-putin-to-avoid-escalation-situation-in-ukraine-wp-reports/",
    )  # fmt: skip
    add_link(
        dispute, DisputeLink.Role.APPEARANCE, speaker=None, attribution=Statement.Attribution.OUTLET_REPORTING,
        stated_on=dt.date(2024, 11, 11),
        quote__exact="Trump in phone call advised Putin not to escalate in Ukraine",
        quote__source__outlet=star,
        quote__source__title="Trump in phone call advised Putin not to escalate in Ukraine - Washington Post",
        quote__source__url="https://www.thestar.com.my/news/world/2024/11/11/trump-in-phone-call-advised-putin-not-to-escalate-in-ukraine---washington-post",
    )  # fmt: skip
    add_link(
        dispute, DisputeLink.Role.REBUTTAL, speaker=tykhyi, stated_on=dt.date(2024, 11, 11),
        quote__exact=REBUTTAL + " Subsequently, Ukraine could not have endorsed or opposed the call.",
        quote__source__outlet=ki,
        quote__source__title="'Pure fiction' — Kremlin denies Putin and Trump spoke by phone after election victory",
        quote__source__url="https://kyivindependent.com/pure-fiction-kremlin-denies-putin-and-trump-spoke-by-phone-after-election-victory",
    )  # fmt: skip
    add_link(
        dispute, DisputeLink.Role.REBUTTAL, speaker=peskov, stated_on=dt.date(2024, 11, 11),
        quote__exact="This is completely untrue. This is pure fiction, it's just false information.",
        quote__source__outlet=OutletFactory(name="The Moscow Times", domain="themoscowtimes.com"),
        quote__source__title="Kremlin Denies Reports of Putin-Trump Phone Call Over Ukraine",
        quote__source__url="https://www.themoscowtimes.com/2024/11/11/kremlin-denies-reports-of-putin-trump-phone-call-over-ukraine-a86977",
        quote__source__liveness="unreachable",
    )  # fmt: skip
    revision = Revision.objects.create(dispute=dispute, dispute_version=dispute.version, data=dispute.frozen())
    Dispute.objects.filter(pk=dispute.pk).update(
        state=Dispute.State.PUBLISHED, public_revision=revision, published_at=timezone.now()
    )
    dispute.events.create(kind="published", public=True)
    dispute.refresh_from_db()
    dispute.flag_for_recheck(reason="The Moscow Times article could not be reached at the last two checks.")
    return dispute


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_dispute_page_reads_well(open_page: OpenPage, story: Dispute, name: str, device: dict) -> None:
    page, problems = open_page(story.get_absolute_url(), device)

    sync_api.expect(page.get_by_role("heading", level=1)).to_have_text(story.claim_text)
    sync_api.expect(page.locator("blockquote", has_text=REBUTTAL)).to_be_visible()
    sync_api.expect(page.get_by_role("heading", name="Heorhii Tykhyi")).to_be_visible()
    sync_api.expect(page.get_by_text("Unreachable at our last check")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"dispute-{name}")
    assert problems == []


@pytest.fixture
def other_disputes() -> list[Dispute]:
    """Publish two more disputes: a plain one, and one withdrawn."""
    disputes = []
    for slug, claim, state in [
        ("crimea-is-gone", "Bryan Lanza speaks for Donald Trump on Ukraine", Dispute.State.WITHDRAWN),
        ("no-comment-on-calls", "Trump's team confirmed the call with Putin", Dispute.State.PUBLISHED),
    ]:
        dispute = DisputeFactory(slug=slug, claim_text=claim, resolution=Dispute.Resolution.UNRESOLVED)
        add_link(dispute, DisputeLink.Role.APPEARANCE, snapshot=False)
        revision = Revision.objects.create(dispute=dispute, dispute_version=1, data=dispute.frozen())
        Dispute.objects.filter(pk=dispute.pk).update(
            state=state, public_revision=revision, published_at=timezone.now() - dt.timedelta(days=len(disputes) + 1)
        )
        disputes.append(dispute)
    return disputes


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_index_reads_well(open_page: OpenPage, story: Dispute, other_disputes, name: str, device: dict) -> None:  # type: ignore[no-untyped-def]
    page, problems = open_page("/", device)

    sync_api.expect(page.get_by_role("link", name=story.claim_text)).to_be_visible()
    sync_api.expect(page.get_by_text("Needs re-check")).to_be_visible()
    sync_api.expect(page.get_by_text("Withdrawn", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"index-{name}")
    assert problems == []


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_sign_in_and_out(open_page: OpenPage, live_server, name: str, device: dict) -> None:  # type: ignore[no-untyped-def]
    User.objects.create_user("demo-editor", password="correct horse battery", is_staff=True)
    page, problems = open_page("/", device)

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("demo-editor")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    sync_api.expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password")
    save_screenshots(page, f"login-error-{name}")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(live_server.url + "/")  # LOGIN_REDIRECT_URL
    sync_api.expect(page.get_by_text("Signed in as demo-editor")).to_be_visible()
    sync_api.expect(page.get_by_role("link", name="Admin")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"signed-in-{name}")
    page.get_by_role("button", name="Sign out").click()
    sync_api.expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert problems == []
