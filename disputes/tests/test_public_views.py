import datetime as dt
import json
from xml.etree.ElementTree import Element

import html5lib
import pytest
import time_machine
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from articles.models import Snapshot, Source
from articles.tests.factories import OutletFactory
from disputes import search
from disputes.models import Actor, Dispute, DisputeLink, Revision, Statement
from disputes.tests.factories import ActorFactory, DisputeFactory, add_link

PASSWORD = "correct horse battery"
VENDORED_SCRIPTS = {"/static/js/vendor/htmx-2.0.11.min.js", "/static/js/site.js"}
ROLES = [DisputeLink.Role.APPEARANCE, DisputeLink.Role.REBUTTAL]


# --- helpers ---------------------------------------------------------------------------------


def publish_directly(dispute: Dispute, *, published_at: dt.datetime | None = None) -> Dispute:
    """Publish without the workflow: freeze the dispute into a revision and point readers at it."""
    revision = Revision.objects.create(dispute=dispute, dispute_version=dispute.version, data=dispute.frozen())
    Dispute.objects.filter(pk=dispute.pk).update(
        state=Dispute.State.PUBLISHED,
        public_revision=revision,
        published_at=published_at or timezone.now(),
        public_changed_at=timezone.now(),
    )
    dispute.refresh_from_db()
    search.index(dispute, revision.data)
    return dispute


def dispute_with_links(count: int, **kwargs: object) -> Dispute:
    dispute = DisputeFactory(**kwargs)
    for n in range(count):
        add_link(dispute, ROLES[n % 2], snapshot=False)
    return dispute


def parse(response) -> Element:
    return html5lib.parse(response.content.decode(), namespaceHTMLElements=False)


def json_ld(response) -> dict:
    blocks = [s for s in parse(response).iter("script") if s.get("type") == "application/ld+json"]
    assert len(blocks) == 1
    return json.loads(blocks[0].text)


def assert_inert(response) -> None:
    """Check the page could run nothing but our own scripts, under a 'self'-only CSP."""
    for element in parse(response).iter():
        if element.tag == "script":
            assert element.get("src") in VENDORED_SCRIPTS or element.get("type") == "application/ld+json"
            assert element.get("src") is None or not (element.text or "").strip()
        assert element.tag not in {"style", "img", "iframe", "object", "embed"}
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert name.lower() != "style", element.tag
            # htmx attributes only where we put them: the CSRF header, and the search form's live results.
            ours = name == "hx-headers" or "search-form" in element.get("class", "").split()
            assert not name.lower().startswith("hx-") or ours, (element.tag, name)
            if name in {"href", "src", "cite", "action"}:
                assert value.startswith(("/", "#", "http://", "https://")) or value == "data:,", (name, value)
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


@pytest.fixture
def story(editor: User, reviewer: User) -> Dispute:
    """Publish the seed story's dispute: a claim in two outlets, and Kyiv's denial."""
    ki = OutletFactory(name="Kyiv Independent", domain="kyivindependent.com", homepage="https://kyivindependent.com/")
    star = OutletFactory(name="The Star", domain="thestar.com.my", homepage="https://www.thestar.com.my/")
    ministry = ActorFactory(name="Ministry of Foreign Affairs of Ukraine", kind=Actor.Kind.ORGANISATION, role="")
    tykhyi = ActorFactory(name="Heorhii Tykhyi", role="foreign ministry spokesperson", organisation=ministry)
    dispute = DisputeFactory(
        slug="kyiv-told-in-advance",
        claim_text="Kyiv was told in advance about the Trump–Putin call",
        summary="Ukraine's foreign ministry denied a report that Kyiv knew of the call beforehand. "
        "The Kremlin said there was no call at all.",
        context="The Washington Post reported the call on 10 November, citing people familiar with it.",
        resolution=Dispute.Resolution.DENIED,
        created_by=editor,
        last_edited_by=editor,
    )
    add_link(
        dispute, DisputeLink.Role.APPEARANCE, speaker=None, attribution=Statement.Attribution.OUTLET_REPORTING,
        stated_on=dt.date(2024, 11, 11), quote__exact="Trump in phone call advised Putin not to escalate in Ukraine",
        quote__source__outlet=star, quote__source__title="Trump in phone call advised Putin - Washington Post",
        quote__source__url="https://www.thestar.com.my/news/world/2024/11/11/trump-in-phone-call",
    )  # fmt: skip
    add_link(
        dispute, DisputeLink.Role.APPEARANCE, speaker=None, attribution=Statement.Attribution.ANONYMOUS_OFFICIALS,
        stated_on=dt.date(2024, 11, 10),
        quote__exact="the Ukrainian government was informed of the call in advance and did not object",
        quote__source__outlet=ki, quote__source__title="Trump urges Putin to avoid escalation in Ukraine, WP reports",
        quote__source__url="https://kyivindependent.com/trump-urges-putin-to-avoid-escalation-situation-in-ukraine-wp-reports/",
    )  # fmt: skip
    add_link(
        dispute, DisputeLink.Role.REBUTTAL, speaker=tykhyi, stated_on=None,
        quote__exact="Reports that the Ukrainian side was informed in advance of the alleged call are false.",
        quote__source__outlet=ki, quote__source__title="'Pure fiction' — Kremlin denies Putin and Trump spoke",
        quote__source__url="https://kyivindependent.com/pure-fiction-kremlin-denies-putin-and-trump-spoke-by-phone",
        quote__source__published_at=dt.datetime(2024, 11, 11, 23, 30, tzinfo=dt.UTC),
    )  # fmt: skip
    with time_machine.travel(dt.datetime(2024, 11, 12, 14, 5, tzinfo=dt.UTC), tick=False):
        dispute.submit(by=editor)
        dispute.publish(by=reviewer, note="Internal: checked against the Reuters wire")
    return dispute


# --- the list ----------------------------------------------------------------------------------


def test_index_lists_published_disputes_newest_first(client: Client, db: None) -> None:
    publish_directly(DisputeFactory(claim_text="Older claim"), published_at=timezone.now() - dt.timedelta(days=2))
    publish_directly(DisputeFactory(claim_text="Newer claim"), published_at=timezone.now() - dt.timedelta(days=1))
    DisputeFactory(claim_text="A draft nobody approved")

    response = client.get("/")

    body = response.content.decode()
    assert body.index("Newer claim") < body.index("Older claim")
    assertNotContains(response, "A draft nobody approved")
    assertContains(response, "Denied by the subject")


def test_index_shows_the_approved_wording_not_the_live_one(client: Client, published: Dispute) -> None:
    Dispute.objects.filter(pk=published.pk).update(claim_text="Live edit", resolution=Dispute.Resolution.CONFIRMED)

    response = client.get("/")

    assertContains(response, published.claim_text)
    assertNotContains(response, "Live edit")
    results = response.content.decode().split('id="results"', 1)[1]
    assert "Confirmed" not in results  # the filter's list of resolutions names it, the list of disputes must not


def test_index_marks_disputes_to_recheck_and_withdrawn_ones(client: Client, published: Dispute, reviewer) -> None:
    flagged = publish_directly(DisputeFactory(claim_text="A flagged claim"))
    flagged.flag_for_recheck(reason="A cited article was edited.")
    published.withdraw(by=reviewer, reason="The report was misread.")

    response = client.get("/")

    assertContains(response, '<span class="tag tag--recheck">Needs re-check</span>', count=1, html=True)
    assertContains(response, '<span class="tag tag--withdrawn">Withdrawn</span>', count=1, html=True)


def test_index_shows_the_published_date(client: Client, db: None) -> None:
    publish_directly(DisputeFactory(), published_at=dt.datetime(2024, 11, 12, 14, 5, tzinfo=dt.UTC))

    response = client.get("/")

    assertContains(response, '<time datetime="2024-11-12T14:05:00+00:00">12 Nov 2024</time>', html=True)


def test_index_has_a_friendly_empty_state(client: Client, db: None) -> None:
    response = client.get("/")

    assertContains(response, "Nothing published yet")
    assertNotContains(response, 'class="dispute-list"')


def test_index_pages_twenty_disputes_at_a_time(client: Client, db: None) -> None:
    start = timezone.now()
    for n in range(21):
        publish_directly(DisputeFactory(claim_text=f"Claim {n:02}"), published_at=start + dt.timedelta(minutes=n))

    first, second = client.get("/"), client.get("/?page=2")

    assert len(first.context["page"].object_list) == 20
    assertContains(first, "Claim 20")
    assertContains(first, 'rel="next" href="?page=2"')
    assert [d.public_claim for d in second.context["page"].object_list] == ["Claim 00"]
    assert client.get("/?page=99").context["page"].number == 2


# --- one dispute -------------------------------------------------------------------------------


def test_dispute_page_shows_the_claim_and_each_statement_by_role(client: Client, story: Dispute) -> None:
    response = client.get(story.get_absolute_url())

    assertContains(
        response, '<h1 class="dispute__claim">Kyiv was told in advance about the Trump–Putin call</h1>', html=True
    )
    groups = response.context["groups"]
    assert [g.heading for g in groups] == ["Appearances of the claim", "Rebuttals"]
    assert [len(g.cards) for g in groups] == [2, 1]
    assert parse(response).findall(".//article[@class='statement statement--rebuttal']")
    assertContains(response, "Reports that the Ukrainian side was informed in advance of the alleged call are false.")
    assertContains(response, "Heorhii Tykhyi")
    assertContains(response, "foreign ministry spokesperson, Ministry of Foreign Affairs of Ukraine")
    assertContains(response, "Anonymous sources")
    assertContains(response, "The outlet&#x27;s own reporting")
    assertContains(response, "Denied by the subject")
    assertContains(response, "Ukraine&#x27;s foreign ministry denied a report")
    assertContains(response, "The Washington Post reported the call on 10 November")


def test_dispute_page_links_sources_safely(client: Client, story: Dispute) -> None:
    response = client.get(story.get_absolute_url())

    links = [a for a in parse(response).iter("a") if a.get("href", "").startswith("https://kyivindependent.com/")]
    assert len(links) == 2
    assert all(a.get("rel") == "noopener noreferrer nofollow" for a in links)
    assertContains(response, "Trump urges Putin to avoid escalation in Ukraine, WP reports")


def test_dispute_page_dates_statements_when_said_or_when_published(client: Client, story: Dispute) -> None:
    response = client.get(story.get_absolute_url())

    assertContains(response, '<time datetime="2024-11-10">10 Nov 2024</time>', html=True)
    # The rebuttal has no date of its own: its source's, in London time (23:30 UTC is still the 11th).
    assertContains(response, '<time datetime="2024-11-11">11 Nov 2024</time>', count=2, html=True)


def test_dispute_page_shows_each_sources_current_state(client: Client, story: Dispute) -> None:
    source = Source.objects.get(title__startswith="'Pure fiction'")
    source.liveness = Source.Liveness.UNREACHABLE
    source.last_checked_at = dt.datetime(2024, 11, 20, 9, 0, tzinfo=dt.UTC)
    source.save()
    Snapshot.objects.filter(pk=source.current_snapshot_id).update(captured_at=dt.datetime(2024, 11, 11, tzinfo=dt.UTC))

    response = client.get(story.get_absolute_url())

    states = [
        " ".join("".join(p.itertext()).split())
        for p in parse(response).iter("p")
        if "source-state" in p.get("class", "")
    ]
    assert states == [
        "Source now: Not checked yet",
        "Source now: Not checked yet",
        "Source now: Unreachable at our last check, 20 Nov 2024 — our copy of 11 Nov 2024",
    ]
    assertContains(response, '<p class="source-state source-state--warn">', count=1)
    assertContains(response, f'<a href="/sources/{source.pk}/#text">our copy of 11 Nov 2024</a>', html=True)


def test_claim_review_json_ld_carries_every_field(client: Client, story: Dispute, settings) -> None:
    settings.SITE_URL = "https://counterclaim.example"
    settings.SITE_NAME = "Counterclaim"

    review = json_ld(client.get(story.get_absolute_url()))

    first = {
        "@type": "CreativeWork",
        "url": "https://kyivindependent.com/trump-urges-putin-to-avoid-escalation-situation-in-ukraine-wp-reports/",
        "headline": "Trump urges Putin to avoid escalation in Ukraine, WP reports",
        "publisher": {"@type": "Organization", "name": "Kyiv Independent"},
        "datePublished": "2024-11-10",
    }
    assert review == {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://counterclaim.example/d/kyiv-told-in-advance/",
        "claimReviewed": "Kyiv was told in advance about the Trump–Putin call",
        "itemReviewed": {
            "@type": "Claim",
            # Anonymous sources: the claim is the outlet's to answer for.
            "author": {"@type": "Organization", "name": "Kyiv Independent", "url": "https://kyivindependent.com/"},
            "appearance": [
                first,
                {
                    "@type": "CreativeWork",
                    "url": "https://www.thestar.com.my/news/world/2024/11/11/trump-in-phone-call",
                    "headline": "Trump in phone call advised Putin - Washington Post",
                    "publisher": {"@type": "Organization", "name": "The Star"},
                    "datePublished": "2024-11-11",
                },
            ],
            "firstAppearance": first,
            "datePublished": "2024-11-10",
        },
        "reviewRating": {
            "@type": "Rating",
            "alternateName": "Denied by the subject",
            "ratingExplanation": "Ukraine's foreign ministry denied a report that Kyiv knew of the call beforehand.",
        },
        "datePublished": "2024-11-12",
        "author": {"@type": "Organization", "name": "Counterclaim", "url": "https://counterclaim.example/"},
    }


def test_claim_review_names_a_speaking_person_as_the_claims_author(client: Client, published: Dispute) -> None:
    speaker = published.links.get(role=DisputeLink.Role.APPEARANCE).statement.speaker

    review = json_ld(client.get(published.get_absolute_url()))

    assert review["itemReviewed"]["author"] == {"@type": "Person", "name": speaker.name, "jobTitle": "spokesperson"}


def test_dispute_page_has_opengraph_tags(client: Client, story: Dispute, settings) -> None:
    settings.SITE_URL = "https://counterclaim.example"

    meta = {m.get("property"): m.get("content") for m in parse(client.get(story.get_absolute_url())).iter("meta")}

    assert meta["og:type"] == "article"
    assert meta["og:title"] == "Kyiv was told in advance about the Trump–Putin call"
    assert meta["og:url"] == "https://counterclaim.example/d/kyiv-told-in-advance/"
    assert meta["og:description"] == "Ukraine's foreign ministry denied a report that Kyiv knew of the call beforehand."
    assert meta["og:site_name"] == "Counterclaim"
    assert meta["article:published_time"] == "2024-11-12T14:05:00+00:00"


def test_timeline_shows_public_events_oldest_first_in_the_named_zone(client: Client, story: Dispute) -> None:
    with time_machine.travel(dt.datetime(2024, 11, 14, 9, 0, tzinfo=dt.UTC), tick=False):
        story.flag_for_recheck(reason="The Kyiv Independent article was edited.")

    response = client.get(story.get_absolute_url())

    items = [
        " ".join("".join(li.itertext()).split())
        for li in parse(response).iter("li")
        if "timeline__item" in li.get("class", "")
    ]
    assert items == [
        "12 Nov 2024, 14:05 GMT Published",
        "14 Nov 2024, 09:00 GMT Flagged for re-check The Kyiv Independent article was edited.",
    ]
    assertContains(response, "Times are in Europe/London time.")
    assertNotContains(response, "Internal: checked against the Reuters wire")  # a reviewer's note, not for readers
    assertNotContains(response, "submitted")


def test_dispute_page_gives_notice_of_a_recheck(client: Client, story: Dispute) -> None:
    story.flag_for_recheck(reason="A quoted passage was edited in substance.")

    response = client.get(story.get_absolute_url())

    assertContains(response, "Under re-check")
    assertContains(response, "A quoted passage was edited in substance.", count=2)  # the notice and the history


def test_withdrawn_dispute_stays_up_with_its_notice(client: Client, story: Dispute, reviewer: User) -> None:
    story.withdraw(by=reviewer, reason="The report we cited was misread.")

    response = client.get(story.get_absolute_url())

    assert response.status_code == 200
    assertContains(response, "This dispute has been withdrawn")
    assertContains(response, "The report we cited was misread.", count=2)  # the notice and the history
    assertContains(response, "Heorhii Tykhyi")
    # No longer offered to aggregators as a live review.
    assertNotContains(response, "application/ld+json")


def test_an_edit_in_progress_does_not_reach_readers(client: Client, published: Dispute, editor: User) -> None:
    approved_claim = published.claim_text
    published.start_revision(by=editor)
    published.update_content(
        by=editor, version=published.version, claim_text="Half-rewritten claim", summary="Unfinished summary."
    )
    add_link(published, DisputeLink.Role.REBUTTAL, quote__exact="A rebuttal nobody approved yet.")

    for url in (published.get_absolute_url(), "/"):
        response = client.get(url)
        assertContains(response, approved_claim)
        assertNotContains(response, "Half-rewritten claim")
        assertNotContains(response, "Unfinished summary.")
        assertNotContains(response, "A rebuttal nobody approved yet.")


@pytest.mark.parametrize("step", ["draft", "in_review", "rejected"])
def test_disputes_never_published_are_not_found(client: Client, request, reviewer: User, step: str) -> None:
    dispute = request.getfixturevalue("in_review" if step == "rejected" else step)
    if step == "rejected":
        dispute.reject(by=reviewer, comment="Not a dispute.")

    response = client.get(dispute.get_absolute_url())

    assert response.status_code == 404
    assertNotContains(response, dispute.claim_text, status_code=404)


def test_unknown_slug_is_not_found_in_the_site_look(client: Client, db: None) -> None:
    response = client.get("/d/no-such-dispute/")

    assertContains(response, "We can't find that page", status_code=404)
    assertContains(response, '<main id="main"', status_code=404)
    assert not response.cookies


def test_error_page_renders_without_a_request(db: None) -> None:
    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
    assert '<html lang="en">' in html


# --- budgets: the same queries for 1 link or 30, 5 disputes or 50 --------------------------------


def test_dispute_page_costs_the_same_queries_with_1_link_or_50(
    client: Client, db: None, django_assert_num_queries
) -> None:
    # Its cache validators (the dispute, the cited quotes with their sources); then the dispute with its
    # revision, the cited sources, their quotes, the public history, related disputes.
    small = publish_directly(dispute_with_links(1))
    large = publish_directly(dispute_with_links(50))

    with django_assert_num_queries(7):
        assert client.get(small.get_absolute_url()).status_code == 200
    with django_assert_num_queries(7):
        response = client.get(large.get_absolute_url())
    assert sum(len(g.cards) for g in response.context["groups"]) == 50


def test_index_costs_the_same_queries_with_5_disputes_or_50(
    client: Client, db: None, django_assert_num_queries
) -> None:
    # The public stamp; the count for the paginator, one page of ids, their rows, the speakers and the
    # outlets to filter by.
    for _ in range(5):
        publish_directly(dispute_with_links(2))
    with django_assert_num_queries(6):
        client.get("/")
    for _ in range(45):
        publish_directly(dispute_with_links(2))
    with django_assert_num_queries(6):
        response = client.get("/")
    assert len(response.context["page"].object_list) == 20


# --- readers: no cookies, cacheable; staff: private ---------------------------------------------


@pytest.mark.parametrize("path", ["/", "/d/{slug}/"])
def test_readers_get_no_cookie_and_a_cacheable_page(client: Client, published: Dispute, path: str) -> None:
    response = client.get(path.format(slug=published.slug))

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert not response.cookies
    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert "Cookie" not in response.get("Vary", "")
    assertNotContains(response, "csrfmiddlewaretoken")
    assertNotContains(response, "hx-headers")
    assertContains(response, "Sign in")
    assert_inert(response)


@pytest.mark.parametrize("path", ["/", "/d/{slug}/"])
def test_signed_in_pages_are_private(client: Client, published: Dispute, editor: User, path: str) -> None:
    client.force_login(editor)

    response = client.get(path.format(slug=published.slug))

    assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}
    body = parse(response).find("body")
    assert json.loads(body.get("hx-headers"))["x-csrftoken"]
    assertContains(response, "Signed in as</span> <strong>editor</strong>")
    assertNotContains(response, 'href="/admin/"')


def test_staff_see_a_link_to_the_admin(client: Client, admin_user: User, db: None) -> None:
    client.force_login(admin_user)

    assertContains(client.get("/"), '<a href="/admin/">Admin</a>', html=True)


# --- hostile text and addresses -----------------------------------------------------------------

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a> \u202egnp.exe'
HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/path",
    "https://",
]


def test_hostile_text_renders_as_text(client: Client, db: None) -> None:
    outlet = OutletFactory(name=HOSTILE, homepage="https://evil.example/")
    speaker = ActorFactory(name=HOSTILE, role=HOSTILE)
    dispute = DisputeFactory(claim_text='<script>alert(1)</script>"><img onerror=x>', summary=HOSTILE, context=HOSTILE)
    link = add_link(
        dispute, DisputeLink.Role.APPEARANCE, speaker=speaker, quote__exact=HOSTILE,
        quote__source__title=HOSTILE, quote__source__outlet=outlet,
        quote__source__url='https://evil.example/"><script>alert(1)</script>',
    )  # fmt: skip
    DisputeLink.objects.filter(pk=link.pk).update(note=HOSTILE)
    publish_directly(dispute)
    dispute.flag_for_recheck(reason=HOSTILE)

    for url in (dispute.get_absolute_url(), "/"):
        response = client.get(url)
        body = response.content.decode()
        assert "<script>alert" not in body
        assert "<img" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert_inert(response)
    response = client.get(dispute.get_absolute_url())
    # In the JSON-LD block, escaped as json_script does it, so no string can close the element.
    assert "\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E" in response.content.decode()
    review = json_ld(response)
    assert review["claimReviewed"] == '<script>alert(1)</script>"><img onerror=x>'
    assert review["itemReviewed"]["appearance"][0]["url"] == 'https://evil.example/"><script>alert(1)</script>'


def test_only_http_addresses_become_links(client: Client, db: None) -> None:
    dispute = publish_directly(dispute_with_links(len(HOSTILE_URLS)))
    revision = dispute.public_revision
    for link, url in zip(revision.data["links"], HOSTILE_URLS, strict=True):
        link["source"]["url"] = url
        link["source"]["outlet_homepage"] = url
    revision.save()

    response = client.get(dispute.get_absolute_url())

    hrefs = [a.get("href") for a in parse(response).iter("a")]
    assert all(href.startswith(("/", "#", "https://", "http://")) and href != "https://" for href in hrefs), hrefs
    assert not [href for href in hrefs if href.startswith("http")]
    assert_inert(response)
    review = json_ld(response)
    assert all("url" not in work for work in review["itemReviewed"]["appearance"])


# --- signing in and out --------------------------------------------------------------------------


def test_login_page_has_labelled_fields_with_autocomplete(client: Client, db: None) -> None:
    response = client.get("/login/")

    form = parse(response).find(".//form[@action='/login/']")
    username, password = form.find(".//input[@name='username']"), form.find(".//input[@name='password']")
    assert username.get("autocomplete") == "username"
    assert password.get("autocomplete") == "current-password"
    labels = {label.get("for"): label.text for label in form.iter("label")}
    assert labels == {username.get("id"): "Username", password.get("id"): "Password"}
    assertContains(response, "<h1>Sign in</h1>", html=True)
    assert_inert(response)


def test_a_wrong_password_says_so(client: Client, editor: User) -> None:
    response = client.post("/login/", {"username": "editor", "password": "wrong"})

    assertContains(response, 'role="alert"')
    assertContains(response, "Please enter a correct username and password.")


def test_demo_login_and_logout_work_end_to_end(editor: User, published: Dispute) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies["csrftoken"].value

    response = client.post("/login/", {"username": "editor", "password": PASSWORD, "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert response["Location"] == reverse("disputes:index")
    page = client.get(response["Location"])
    assertContains(page, "Signed in as</span> <strong>editor</strong>")
    assertContains(page, '<button type="submit" class="button button--quiet">Sign out</button>', html=True)
    token = parse(page).find(".//form[@action='/logout/']/input[@name='csrfmiddlewaretoken']").get("value")

    response = client.post("/logout/", {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    page = client.get(response["Location"])
    assertContains(page, "Sign in")
    assertNotContains(page, "Signed in as")


def test_an_outlet_citing_unnamed_sources_is_named(client: Client, editor: User, reviewer: User) -> None:
    from disputes.tests.factories import ready_for_review

    dispute = ready_for_review(created_by=editor, last_edited_by=editor)
    link = dispute.links.get(role=DisputeLink.Role.APPEARANCE)
    post = ActorFactory(name="The Washington Post", role="newspaper")
    Statement.objects.filter(pk=link.statement_id).update(
        attribution=Statement.Attribution.ANONYMOUS_OFFICIALS, speaker=post
    )
    dispute.submit(by=editor)
    dispute.publish(by=reviewer)
    response = client.get(dispute.get_absolute_url())
    assertContains(response, "The Washington Post")
    assertContains(response, "newspaper, citing unnamed sources")
