"""Review in a real browser: from submission to publication, four-eyes, and a re-check after a source changed.

Two people work side by side in two browser contexts, as in a newsroom: an editor and a reviewer. The
sources are served on 127.0.0.1 and fetched by a real Celery worker, first when the dispute is written
and again after publication, when the rebuttal's article loses the quoted passage.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright import sync_api

from articles.models import Source
from articles.tests.test_checking import html, make_source, page, serve, server, site  # noqa: F401
from articles.tests.test_tasks import dispatch, queue, start_worker, worker  # noqa: F401
from disputes.models import Actor, Dispute, DisputeLink, Event, Statement, content_hash
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, save_screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REBUTTAL_PATH = "/us-news/2024/nov/11/trump-putin-call"
REBUTTAL = "Reports that the Ukrainian side was informed in advance of the alleged call are false."
CLAIM = "the Ukrainian government had been informed of the call in advance and did not object to it taking place"
CLAIM_TEXT = "Kyiv was told in advance about the Trump–Putin call"


def _source(site, path: str, body: bytes) -> Source:  # type: ignore[no-untyped-def]  # noqa: F811
    serve(site, body, path=path)
    source = make_source(site, path=path)
    dispatch(source, 1)  # the worker fetches its first copy
    return Source.objects.get(pk=source.pk)


def _draft(site, editor: User) -> tuple[Dispute, Source]:  # type: ignore[no-untyped-def]  # noqa: F811
    """A complete draft as the desk builds it: the Post's claim, the ministry's denial, both fetched."""
    claim_source = _source(site, "/news/trump-urges-putin-wp-reports", html("kyivindependent-kremlin-denies-call"))
    rebuttal_source = _source(site, REBUTTAL_PATH, page("v1"))
    serve(site, page("v1"), path=REBUTTAL_PATH)
    post = Actor.objects.create(name="The Washington Post", kind=Actor.Kind.ORGANISATION)
    ministry = Actor.objects.create(name="Heorhii Tykhyi", role="foreign ministry spokesperson")
    dispute = Dispute.start_draft(by=editor, claim_text=CLAIM_TEXT, resolution=Dispute.Resolution.DENIED)
    for source, exact, speaker, attribution, role in (
        (claim_source, CLAIM, post, Statement.Attribution.ANONYMOUS_OFFICIALS, DisputeLink.Role.APPEARANCE),
        (rebuttal_source, REBUTTAL, ministry, Statement.Attribution.DIRECT_QUOTE, DisputeLink.Role.REBUTTAL),
    ):
        quote = source.quotes.create(exact=exact, snapshot=source.current_snapshot)
        statement = Statement.objects.create(quote=quote, speaker=speaker, attribution=attribution)
        dispute.add_link(by=editor, version=dispute.version, statement=statement, role=role)
    return dispute, rebuttal_source


def _decide(page: sync_api.Page, decision: str, comment: str = "") -> None:
    page.get_by_label(decision).check()
    if comment:
        page.get_by_label("Comment").fill(comment)
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_load_state("load")


def test_submit_review_revise_approve_then_recheck(
    open_page: OpenPage,
    site,  # noqa: F811
    worker,  # noqa: F811
    editor: User,
    reviewer: User,
    editor_reviewer: User,
    live_server,
) -> None:
    dispute, rebuttal_source = _draft(site, editor)
    base = live_server.url

    # The editor sends the draft to review.
    desk, desk_problems = open_page(f"/login/?next=/desk/disputes/{dispute.pk}/", DESKTOP)
    sign_in(desk, editor)
    desk.get_by_role("button", name="Submit for review").click()
    sync_api.expect(desk.get_by_text("Sent for review.")).to_be_visible()

    # The reviewer finds it in the queue and asks for changes; a comment is required.
    review, review_problems = open_page("/login/?next=/desk/", DESKTOP)
    sign_in(review, reviewer)
    review.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    sync_api.expect(review.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    save_screenshots(review, "review-queue")
    review.get_by_role("link", name=CLAIM_TEXT).click()
    sync_api.expect(review.get_by_text("This dispute has never been published")).to_be_visible()
    save_screenshots(review, "review-page")
    _decide(review, "Ask the editor for changes")
    sync_api.expect(review.get_by_text("Say why, so the editor knows what to do next.")).to_be_visible()
    _decide(review, "Ask the editor for changes", "Name the ministry's spokesperson in the summary.")
    sync_api.expect(review.get_by_text("Sent back to the editor with your comment.")).to_be_visible()

    # The editor hears of it: a badge in the header, and the comment in the list.
    desk.goto(base + "/desk/")
    badge = desk.get_by_role("link", name="Notifications 1 unread")
    sync_api.expect(badge).to_be_visible()
    badge.click()
    sync_api.expect(desk.get_by_text("Name the ministry's spokesperson in the summary.")).to_be_visible()
    save_screenshots(desk, "review-notifications")
    desk.get_by_role("button", name="Mark all as read").click()
    sync_api.expect(desk.get_by_text("Nothing unread.")).to_be_visible()

    # The editor sees the comment on the desk, revises and submits again.
    desk.goto(base + "/desk/")
    returned = desk.locator("section", has=desk.get_by_role("heading", name="Sent back to you"))
    sync_api.expect(returned.get_by_text("Name the ministry's spokesperson in the summary.")).to_be_visible()
    returned.get_by_role("link", name=CLAIM_TEXT).click()
    desk.get_by_label("Summary").fill(
        "The Post reported that Kyiv knew of the call; Heorhii Tykhyi, the foreign ministry's spokesperson, "
        "called the reports false."
    )
    desk.get_by_role("button", name="Save", exact=True).click()
    sync_api.expect(desk.get_by_text("Saved.")).to_be_visible()
    desk.get_by_role("button", name="Submit for review").click()
    sync_api.expect(desk.get_by_text("Sent for review.")).to_be_visible()

    # The reviewer approves; the public page shows the dispute and its history.
    review.goto(f"{base}/review/{dispute.pk}/")
    sync_api.expect(review.get_by_text("Changes requested").first).to_be_visible()  # the earlier review is listed
    _decide(review, "Approve and publish")
    sync_api.expect(review.get_by_text("Approved. Readers now see this version.")).to_be_visible()

    reader, reader_problems = open_page(f"/d/{dispute.slug}/", DESKTOP)
    sync_api.expect(reader.get_by_role("heading", name=CLAIM_TEXT)).to_be_visible()
    sync_api.expect(reader.get_by_text("Heorhii Tykhyi, the foreign ministry's spokesperson")).to_be_visible()
    timeline = reader.locator(".timeline")
    sync_api.expect(timeline.get_by_text("Published", exact=True)).to_be_visible()
    sync_api.expect(reader.get_by_text("Under re-check")).to_have_count(0)

    # A reviewer cannot approve a dispute they wrote: no button, and a forged POST is refused.
    own = Dispute.start_draft(by=editor_reviewer, claim_text="Kyiv was not told in advance", resolution="denied")
    for link in dispute.links.all():
        own.add_link(by=editor_reviewer, version=own.version, statement=link.statement, role=link.role)
    own.refresh_from_db()
    own.submit(by=editor_reviewer)
    author, author_problems = open_page(f"/login/?next=/review/{own.pk}/", DESKTOP)
    sign_in(author, editor_reviewer)
    sync_api.expect(author.get_by_text("You contributed to this version (wrote this dispute")).to_be_visible()
    sync_api.expect(author.get_by_role("button", name="Record decision")).to_have_count(0)
    token = author.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    forged = author.request.post(
        f"{base}/review/{own.pk}/decide/",
        form={
            "decision": "approve",
            "comment": "",
            "version": str(own.version),
            "content_hash": content_hash(own.frozen()),
        },
        headers={"X-CSRFToken": token or "", "Referer": author.url},
    )
    assert forged.status == 403
    assert Dispute.objects.get(pk=own.pk).state == Dispute.State.IN_REVIEW

    # The rebuttal's article loses the quoted passage; the worker's re-checks confirm it and flag the dispute.
    serve(site, page("v3-quote-removed"), path=REBUTTAL_PATH)
    for fetches in (2, 3, 4):
        dispatch(rebuttal_source, fetches)
        if Dispute.objects.get(pk=dispute.pk).needs_recheck:
            break
    assert Dispute.objects.get(pk=dispute.pk).needs_recheck
    reader.reload()
    sync_api.expect(reader.get_by_text("Under re-check")).to_be_visible()
    save_screenshots(reader, "review-public-flagged")

    # The reviewer looks at what changed and re-confirms; the notice goes.
    review.goto(base + "/review/recheck/")
    review.get_by_role("link", name=CLAIM_TEXT).click()
    sync_api.expect(review.get_by_text("What changed in this source since approval")).to_be_visible()
    save_screenshots(review, "review-recheck")
    review.get_by_label("What you checked").fill("The ministry's denial still stands; the Guardian trimmed the story.")
    review.get_by_role("button", name="Re-confirm").click()
    sync_api.expect(review.get_by_text("Re-confirmed.")).to_be_visible()
    reader.reload()
    sync_api.expect(reader.get_by_text("Under re-check")).to_have_count(0)
    sync_api.expect(reader.locator(".timeline").get_by_text("Re-checked and confirmed")).to_be_visible()

    kinds = list(Event.objects.filter(dispute=dispute).order_by("pk").values_list("kind", flat=True))
    assert [kind for kind in kinds if kind not in {"link_added", "edited"}] == [
        "created", "submitted", "changes_requested", "submitted", "published", "flagged", "reconfirmed",
    ]  # fmt: skip
    # The one refused decision (no comment) answered 422, which the browser logs; nothing else went wrong.
    assert [problem for problem in review_problems if "status of 422" not in problem] == []
    assert len(review_problems) == 1
    assert desk_problems == reader_problems == author_problems == []


def test_the_review_page_on_a_phone(open_page: OpenPage, in_review: Dispute, reviewer: User) -> None:
    phone, problems = open_page(f"/login/?next=/review/{in_review.pk}/", PHONE)
    sign_in(phone, reviewer)
    sync_api.expect(phone.get_by_role("heading", name="Your decision")).to_be_visible()
    # The decision comes first on a narrow screen, and nothing is wider than the screen.
    decision_top = phone.get_by_role("heading", name="Your decision").bounding_box()["y"]
    changes_top = phone.get_by_role("heading", name="What changed since readers last saw it").bounding_box()["y"]
    assert decision_top < changes_top
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(phone, "review-page-phone")
    phone.goto(phone.url.split("/review/")[0] + "/review/")
    save_screenshots(phone, "review-queue-phone")
    assert problems == []
