"""One re-check, in-process, against pages served on 127.0.0.1 (DESIGN §5).

The real fetcher, extractor and quote locator run; only the clock is moved (time-machine). The
helpers and fixtures at the top are shared with test_tasks.py and test_recheck_command.py.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from articles import checking, politeness, quotes, tasks
from articles.models import Fetch, Heartbeat, Outlet, Quote, QuoteCheck, RobotsTxt, Snapshot, Source
from articles.tests.factories import OutletFactory, SnapshotFactory, SourceFactory
from disputes.models import Dispute, DisputeLink, Event
from disputes.tests.factories import DisputeFactory, DisputeLinkFactory, StatementFactory, add_link

PAGES = Path(__file__).parent / "pages"
PATH = "/us-news/2024/nov/11/trump-putin-phone-call-ukraine-war-report"
QUOTE = "Reports that the Ukrainian side was informed in advance of the alleged call are false."
EDITED_ELSEWHERE = "Trump likely does not want to begin his second presidential term"


def page(name: str) -> bytes:
    return (PAGES / f"guardian-trump-putin-{name}.html").read_bytes()


def html(name: str) -> bytes:
    return (PAGES / f"{name}.html").read_bytes()


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    """A page server of our own on 127.0.0.1, so `localhost`'s ::1 never comes into it."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def clear_politeness(domain: str = "127.0.0.1") -> None:
    """Forget the site's last request, so a test does not wait for the one before it."""
    client = politeness._redis(settings.REDIS_URL)
    for key in client.scan_iter(f"{politeness.KEY_PREFIX}{domain}:*"):
        client.delete(key)


@pytest.fixture
def site(server: HTTPServer, settings) -> Iterator[HTTPServer]:  # type: ignore[no-untyped-def]
    """The page server, emptied, reachable by the fetcher, with no gap between requests."""
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.FETCH_MIN_GAP_SECONDS = 0
    clear_politeness()
    server.clear()
    yield server
    server.clear()
    clear_politeness()


def serve(server: HTTPServer, body: bytes | str = b"", *, path: str = PATH, status: int = 200,
          headers: dict[str, str] | None = None) -> None:  # fmt: skip
    """Answer every request for `path` with this, from now on."""
    server.clear_all_handlers()
    server.expect_request(path).respond_with_data(
        body, status=status, headers=headers or {}, content_type="text/html; charset=utf-8"
    )


def no_robots(url: str) -> None:
    """Record that the site has no robots.txt, so tests see only the page requests."""
    origin = checking.robots.origin_of(url)
    RobotsTxt.objects.update_or_create(
        origin=origin, defaults={"status_code": 404, "body": "", "expires_at": timezone.now() + dt.timedelta(days=1)}
    )


def make_source(server: HTTPServer, path: str = PATH, host: str = "127.0.0.1", **kwargs: object) -> Source:
    outlet = OutletFactory(domain=host, name="The Guardian")
    source = Source.objects.create(url=f"http://{host}:{server.port}{path}", outlet=outlet,
                                   published_at=dt.datetime(2024, 11, 11, 9, tzinfo=dt.UTC), **kwargs)  # fmt: skip
    no_robots(source.url)
    return source


def check(source: Source, **kwargs: object) -> checking.CheckResult:
    options: dict[str, object] = {"slot": timezone.now(), "owner": "test-worker", "final_attempt": True}
    options.update(kwargs)
    return checking.run_check(source.pk, **options)  # type: ignore[arg-type]


def publish_citing(quote: Quote, editor, reviewer) -> Dispute:  # type: ignore[no-untyped-def]
    """Publish a dispute whose claim appearance is this quote (its source must have a snapshot)."""
    dispute = DisputeFactory(created_by=editor, last_edited_by=editor)
    DisputeLinkFactory(dispute=dispute, statement=StatementFactory(quote=quote), role=DisputeLink.Role.APPEARANCE)
    add_link(dispute, DisputeLink.Role.REBUTTAL)
    dispute.submit(by=editor)
    dispute.publish(by=reviewer)
    return dispute


def flags(dispute: Dispute) -> list[Event]:
    return list(Event.objects.filter(dispute=dispute, kind="flagged"))


# --- versions, tiers and quotes --------------------------------------------------------------------


@pytest.mark.django_db
def test_first_check_keeps_a_copy_and_gives_an_imported_quote_its_context(site: HTTPServer) -> None:
    serve(site, page("v1"), headers={"ETag": '"v1"'})
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=QUOTE)

    result = check(source)

    source.refresh_from_db()
    quote.refresh_from_db()
    snapshot = source.current_snapshot
    assert result.state == "checked" and result.snapshot_changed
    assert (result.fetch.outcome, result.fetch.tier, result.fetch.status_code) == ("changed", "first", 200)
    assert result.fetch.raw_sha256 == snapshot.raw_sha256
    assert source.liveness == Source.Liveness.ALIVE and source.etag == '"v1"'
    assert QUOTE in snapshot.main_text and snapshot.extractor.startswith("trafilatura@")
    assert quote.status == Quote.Status.PRESENT
    assert quote.exact == QUOTE
    assert quote.prefix and quote.suffix and quote.snapshot == snapshot
    assert snapshot.main_text[quote.start : quote.end] == QUOTE
    assert quote.last_check.fetch == result.fetch
    assert source.next_check_at > timezone.now() + dt.timedelta(minutes=20)  # a young article: ~30 min


@pytest.mark.django_db
def test_the_editors_capture_is_never_overwritten(site: HTTPServer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    check(source)
    text = Source.objects.get(pk=source.pk).current_snapshot.main_text
    start = text.index(QUOTE)
    selector = quotes.build_selector(text, start, start + len(QUOTE))
    quote = Quote.objects.create(source=source, exact=QUOTE, prefix=selector.prefix, suffix=selector.suffix,
                                 start=start, end=start + len(QUOTE))  # fmt: skip
    captured = (quote.exact, quote.prefix, quote.suffix, quote.start, quote.end, quote.snapshot_id)

    serve(site, page("v2-copyedit"))
    check(source)
    serve(site, page("v3-quote-removed"))
    check(source)

    quote.refresh_from_db()
    assert (quote.exact, quote.prefix, quote.suffix, quote.start, quote.end, quote.snapshot_id) == captured
    assert quote.status == Quote.Status.GONE


@pytest.mark.django_db
def test_copy_edit_is_quiet_and_a_removal_flags_once_after_a_second_fetch(site: HTTPServer, editor, reviewer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=QUOTE)
    check(source)
    dispute = publish_citing(quote, editor, reviewer)

    serve(site, page("v2-copyedit"))
    v2 = check(source)
    assert v2.fetch.tier == Fetch.Tier.CHANGED
    assert Quote.objects.get(pk=quote.pk).status == Quote.Status.PRESENT
    assert Source.objects.get(pk=source.pk).pending_change == {}

    serve(site, page("v3-quote-removed"))
    suspected = check(source)
    source.refresh_from_db()
    assert suspected.fetch.tier == Fetch.Tier.CHANGED
    assert source.pending_change == {"quotes": {str(quote.pk): "gone"}}
    assert timezone.now() + dt.timedelta(minutes=9) < source.next_check_at < timezone.now() + dt.timedelta(minutes=16)
    assert flags(dispute) == []

    confirmed = check(source)
    assert confirmed.fetch.tier == Fetch.Tier.SAME_RAW
    dispute.refresh_from_db()
    assert dispute.needs_recheck
    assert dispute.recheck_reason == (
        f"The Guardian article (11 Nov 2024) no longer carries the quoted passage “{quote.excerpt()}”."
    )
    check(source)
    check(source)
    assert len(flags(dispute)) == 1
    assert Event.objects.filter(source=source, kind="quotes_changed").count() == 1
    assert Snapshot.objects.filter(source=source).count() == 3
    assert Quote.objects.get(pk=quote.pk).flagged_status == Quote.Status.GONE


@pytest.mark.django_db
def test_unchanged_bytes_and_not_modified_answers_keep_the_copy(site: HTTPServer) -> None:
    body = page("v1")

    def conditional(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(body, headers={"ETag": '"v1"'}, content_type="text/html")

    site.expect_request(PATH).respond_with_handler(conditional)
    source = make_source(site)
    first = check(source)
    again = check(source)
    assert (again.fetch.outcome, again.fetch.tier, again.fetch.status_code) == ("not_modified", "not_modified", 304)
    assert again.fetch.snapshot == first.fetch.snapshot
    assert site.log[-1][0].headers.get("If-None-Match") == '"v1"'

    # At least weekly the GET is unconditional, because validators lie; the bytes are the same.
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=True):
        weekly = check(source)
    assert "If-None-Match" not in site.log[-1][0].headers
    assert (weekly.fetch.outcome, weekly.fetch.tier) == ("unchanged", "same_raw")
    assert Snapshot.objects.filter(source=source).count() == 1


@pytest.mark.django_db
def test_markup_noise_and_cosmetic_edits_are_recorded_and_never_flagged(site: HTTPServer, editor, reviewer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=QUOTE)
    check(source)
    dispute = publish_citing(quote, editor, reviewer)

    serve(site, page("v1-markup-noise"))
    noise = check(source)
    serve(site, page("v1-cosmetic"))
    cosmetic = check(source)
    check(source)

    assert (noise.fetch.outcome, noise.fetch.tier) == ("unchanged", "markup_noise")
    assert noise.fetch.snapshot == Snapshot.objects.get(source=source, raw_sha256=noise.fetch.snapshot.raw_sha256)
    assert cosmetic.fetch.tier == "cosmetic"
    assert Snapshot.objects.filter(source=source).count() == 2  # the cosmetic version is kept, the noise is not
    source.refresh_from_db()
    assert source.last_changed_at is None and source.pending_change == {}
    assert flags(dispute) == []


@pytest.mark.django_db
def test_a_page_flipping_between_two_versions_is_not_a_change(site: HTTPServer, editor, reviewer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=QUOTE)
    check(source)
    dispute = publish_citing(quote, editor, reviewer)

    tiers = []
    for version in ["v3-quote-removed", "v1", "v3-quote-removed", "v1", "v3-quote-removed", "v1"]:
        serve(site, page(version))
        tiers.append(check(source).fetch.tier)

    assert tiers == ["changed", "flip_flop", "flip_flop", "flip_flop", "flip_flop", "flip_flop"]
    assert Snapshot.objects.filter(source=source).count() == 2
    assert flags(dispute) == []
    assert Quote.objects.get(pk=quote.pk).status == Quote.Status.PRESENT


@pytest.mark.django_db
def test_a_correction_notice_is_recorded(site: HTTPServer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    check(source)
    serve(site, page("v2-correction"))
    result = check(source)
    assert result.fetch.tier == "changed"
    (notice,) = result.fetch.snapshot.correction_notices
    assert notice.startswith("This article was amended on 12 November 2024")


@pytest.mark.django_db
def test_a_javascript_shell_leaves_quotes_not_checked_never_gone(site: HTTPServer, editor, reviewer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=QUOTE)
    check(source)
    dispute = publish_citing(quote, editor, reviewer)

    serve(site, html("spa-js-shell"))
    first, second = check(source), check(source)

    for result in (first, second):
        assert (result.fetch.tier, result.fetch.error_class) == ("needs_render", "needs_render")
        assert [c.status for c in result.quote_checks] == [Quote.Status.NOT_CHECKED]
    quote.refresh_from_db()
    source.refresh_from_db()
    assert quote.status == Quote.Status.PRESENT
    assert source.liveness == Source.Liveness.ALIVE and source.pending_change == {}
    assert Snapshot.objects.filter(source=source).count() == 1
    assert flags(dispute) == []


# --- a quote captured between checks -------------------------------------------------------------


@pytest.mark.django_db
def test_a_quote_added_between_checks_is_located_in_our_copy_once_and_kept_by_a_check_of_the_same_text(
    site: HTTPServer,
) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    first = check(source)
    quote = Quote.objects.create(source=source, exact=QUOTE)  # imported: its exact words only

    located = checking.locate_in_current_snapshot(quote)

    assert located is not None and located.fetch == first.fetch
    quote.refresh_from_db()
    snapshot = Source.objects.get(pk=source.pk).current_snapshot
    assert (quote.status, quote.last_check, quote.snapshot) == (Quote.Status.PRESENT, located, snapshot)
    assert snapshot.main_text[quote.start : quote.end] == QUOTE and quote.prefix and quote.suffix
    assert checking.locate_in_current_snapshot(quote) is None  # located already: nothing more to record
    check(source)  # the same bytes again: the status stands, the quote is not searched for again
    quote.refresh_from_db()
    assert (quote.status, quote.last_check) == (Quote.Status.PRESENT, located)
    assert QuoteCheck.objects.filter(quote=quote).count() == 1


@pytest.mark.django_db
def test_locating_a_quote_whose_source_has_no_copy_leaves_it_not_checked() -> None:
    quote = Quote.objects.create(source=SourceFactory(), exact=QUOTE)

    assert checking.locate_in_current_snapshot(quote) is None

    quote.refresh_from_db()
    assert (quote.status, quote.last_check) == (Quote.Status.NOT_CHECKED, None)
    assert not QuoteCheck.objects.exists()


@pytest.mark.django_db
def test_a_copy_held_without_a_fetch_gives_the_status_alone() -> None:
    snapshot = SnapshotFactory(main_text=f"The ministry said on Monday: {QUOTE} It gave no details.")
    Source.objects.filter(pk=snapshot.source_id).update(current_snapshot=snapshot)
    quote = Quote.objects.create(source=snapshot.source, exact=QUOTE)

    assert checking.locate_in_current_snapshot(quote) is None

    quote.refresh_from_db()
    assert (quote.status, quote.last_check) == (Quote.Status.PRESENT, None)
    assert not QuoteCheck.objects.exists()


# --- liveness --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_redirect_to_the_front_page_is_a_soft_404_flagged_after_confirmation(
    site: HTTPServer, editor, reviewer
) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=QUOTE)
    check(source)
    dispute = publish_citing(quote, editor, reviewer)

    site.clear_all_handlers()
    site.expect_request(PATH).respond_with_data("", status=301, headers={"Location": "/"})
    site.expect_request("/").respond_with_data(html("kyivindependent-kremlin-denies-call"), content_type="text/html")
    check(source)
    assert Source.objects.get(pk=source.pk).liveness == Source.Liveness.SOFT_404
    assert flags(dispute) == []
    check(source)

    dispute.refresh_from_db()
    assert dispute.needs_recheck
    assert "now leads to a “not found” page or the site's front page" in dispute.recheck_reason
    assert Quote.objects.get(pk=quote.pk).status == Quote.Status.PRESENT  # the front page is not the article
    assert Event.objects.filter(source=source, kind="source_changed").count() == 1


@pytest.mark.django_db
def test_a_not_found_page_served_with_200_is_a_soft_404(site: HTTPServer) -> None:
    serve(site, html("guardian-not-found"))
    source = make_source(site)
    result = check(source)
    assert result.fetch.verdict == Source.Liveness.SOFT_404
    assert Snapshot.objects.filter(source=source).count() == 0


@pytest.mark.django_db
def test_an_article_that_moved_is_followed_and_its_quotes_located(site: HTTPServer, editor, reviewer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=QUOTE)
    check(source)
    dispute = publish_citing(quote, editor, reviewer)

    site.clear_all_handlers()
    site.expect_request(PATH).respond_with_data("", status=301, headers={"Location": "/world/2024/nov/11/renamed"})
    site.expect_request("/world/2024/nov/11/renamed").respond_with_data(page("v1"), content_type="text/html")
    check(source)
    check(source)

    source.refresh_from_db()
    assert source.liveness == Source.Liveness.MOVED
    assert source.final_url.endswith("/world/2024/nov/11/renamed")
    assert Quote.objects.get(pk=quote.pk).status == Quote.Status.PRESENT
    dispute.refresh_from_db()
    assert dispute.needs_recheck and "has moved to" in dispute.recheck_reason


@pytest.mark.django_db
def test_dead_takes_three_signals_over_48_hours_and_an_alive_answer_resets(site: HTTPServer, editor, reviewer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=QUOTE)
    check(source)
    dispute = publish_citing(quote, editor, reviewer)
    start = timezone.now()

    def at(hours: float) -> checking.CheckResult:
        with time_machine.travel(start + dt.timedelta(hours=hours), tick=False):
            return check(source, slot=timezone.now())

    serve(site, b"gone", status=404)
    for hours in (1, 5, 10):
        at(hours)
    source.refresh_from_db()
    assert (source.liveness, source.dead_signals) == (Source.Liveness.UNREACHABLE, 3)
    assert "404 Not Found" in source.liveness_detail

    serve(site, page("v1"))
    at(20)
    source.refresh_from_db()
    assert (source.liveness, source.dead_signals) == (Source.Liveness.ALIVE, 0)

    serve(site, b"gone", status=404)
    for hours in (21, 45, 68):
        at(hours)
    assert Source.objects.get(pk=source.pk).liveness == Source.Liveness.UNREACHABLE  # 47 h: not yet
    at(70)
    source.refresh_from_db()
    assert source.liveness == Source.Liveness.DEAD
    assert flags(dispute) == []  # dead, but a second fetch must agree first
    at(70.25)
    dispute.refresh_from_db()
    assert dispute.needs_recheck and "is gone" in dispute.recheck_reason
    at(90)
    assert len(flags(dispute)) == 1
    assert Quote.objects.get(pk=quote.pk).status == Quote.Status.PRESENT  # a 404 says nothing of the text


@pytest.mark.django_db
def test_rate_limits_are_honoured_and_neither_advance_nor_reset(site: HTTPServer) -> None:
    serve(site, b"gone", status=404)
    source = make_source(site)
    check(source)
    serve(site, b"slow down", status=429, headers={"Retry-After": "3600"})
    before = timezone.now()
    result = check(source)
    source.refresh_from_db()
    assert result.fetch.verdict == Source.Liveness.RATE_LIMITED
    assert (source.liveness, source.dead_signals) == (Source.Liveness.RATE_LIMITED, 1)
    assert before + dt.timedelta(minutes=59) < source.next_check_at < before + dt.timedelta(minutes=61)


@pytest.mark.django_db
def test_network_failures_are_recorded_with_the_honest_reason(site: HTTPServer) -> None:
    source = Source.objects.create(url="http://127.0.0.1:9/closed-port")  # nothing listens on port 9
    no_robots(source.url)
    result = check(source)
    source.refresh_from_db()
    assert (result.fetch.outcome, result.fetch.error_class) == ("error", "connect")
    assert source.liveness == Source.Liveness.UNREACHABLE and source.dead_signals == 1
    assert source.liveness_detail.startswith(result.fetch.error_message)
    assert source.next_check_at > timezone.now() + dt.timedelta(minutes=20)  # backed off


@pytest.mark.django_db
def test_robots_txt_is_honoured_for_scheduled_checks_only(site: HTTPServer) -> None:
    serve(site, page("v1"))
    site.expect_request("/robots.txt").respond_with_data(
        "User-agent: CounterclaimBot\nDisallow: /us-news/\n", content_type="text/plain"
    )
    source = make_source(site)
    RobotsTxt.objects.all().delete()

    scheduled = check(source)
    assert scheduled.fetch.verdict == Source.Liveness.ROBOTS_DISALLOWED
    assert [entry[0].path for entry in site.log] == ["/robots.txt"]
    check(source)  # the rules are kept for a day
    assert len(site.log) == 1

    manual = check(source, scheduled=False)
    assert manual.fetch.status_code == 200 and manual.fetch.manual
    assert Source.objects.get(pk=source.pk).liveness == Source.Liveness.ALIVE


# --- idempotency, lease, retries (reference §A.6) --------------------------------------------------


@pytest.mark.django_db
def test_a_redelivered_check_writes_nothing_twice(site: HTTPServer, editor, reviewer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=QUOTE)
    check(source)
    publish_citing(quote, editor, reviewer)
    serve(site, page("v3-quote-removed"))
    slot = timezone.now()
    first, again = check(source, slot=slot), check(source, slot=slot)
    assert (first.state, again.state) == ("checked", "duplicate")
    assert Fetch.objects.filter(source=source, slot=slot).count() == 1
    assert QuoteCheck.objects.filter(fetch=first.fetch).count() == 1

    slot = timezone.now()
    confirming, again = check(source, slot=slot), check(source, slot=slot)
    assert (confirming.state, again.state) == ("checked", "duplicate")
    assert Event.objects.filter(source=source).count() == 1
    assert Event.objects.filter(kind="flagged").count() == 1
    assert Source.objects.get(pk=source.pk).lease_until is None


@pytest.mark.django_db
def test_a_message_older_than_the_last_recorded_check_does_nothing(site: HTTPServer) -> None:
    """A killed worker's message comes back after the visibility timeout, when its slot was re-queued and done."""
    serve(site, page("v1"))
    source = make_source(site)
    orphaned_slot = timezone.now() - dt.timedelta(hours=1)
    requeued_slot = orphaned_slot + dt.timedelta(seconds=300)  # the dispatcher's next turn, a lease later
    assert check(source, slot=requeued_slot).state == "checked"
    requests = len(site.log)

    late = check(source, slot=orphaned_slot)

    assert late.state == "duplicate"
    assert len(site.log) == requests  # not fetched again
    assert Fetch.objects.filter(source=source).count() == 1
    assert Source.objects.get(pk=source.pk).lease_until is None
    assert check(source, slot=timezone.now()).state == "checked"  # a later slot is checked as usual


@pytest.mark.django_db
def test_a_leased_source_is_left_alone_until_its_lease_expires(site: HTTPServer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    Source.objects.filter(pk=source.pk).update(lease_until=timezone.now() + dt.timedelta(minutes=5), lease_owner="w1")
    assert check(source).state == "leased"
    assert site.log == []

    Source.objects.filter(pk=source.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert check(source).state == "checked"
    source.refresh_from_db()
    assert (source.lease_until, source.lease_owner, source.attempts) == (None, "", 0)


@pytest.mark.django_db
def test_a_poison_source_is_given_up_without_fetching(site: HTTPServer, settings) -> None:  # type: ignore[no-untyped-def]
    serve(site, page("v1"))
    source = make_source(site)
    Source.objects.filter(pk=source.pk).update(attempts=settings.CHECK_MAX_ATTEMPTS)
    result = check(source)
    assert (result.fetch.outcome, result.fetch.error_class) == ("error", "gave_up")
    assert site.log == []
    source.refresh_from_db()
    assert source.attempts == 0 and source.failures == 1


@pytest.mark.django_db
def test_a_server_error_is_retried_before_it_is_recorded(site: HTTPServer) -> None:
    serve(site, b"oops", status=503)
    source = make_source(site)
    slot = timezone.now()
    with pytest.raises(checking.TransientFailure) as failure:
        check(source, slot=slot, final_attempt=False, retry_countdown=42)
    assert failure.value.countdown == 42
    source.refresh_from_db()
    assert not Fetch.objects.filter(source=source).exists()
    assert (source.lease_until, source.attempts) == (None, 0)
    assert source.next_check_at > timezone.now() + dt.timedelta(seconds=42)  # the dispatcher waits for the retry

    result = check(source, slot=slot, final_attempt=True)
    assert result.fetch.status_code == 503 and result.fetch.verdict == Source.Liveness.UNREACHABLE


@pytest.mark.django_db
def test_a_missing_page_is_not_retried(site: HTTPServer) -> None:
    serve(site, b"gone", status=404)
    source = make_source(site)
    result = check(source, final_attempt=False)
    assert result.fetch.status_code == 404


# --- queries ---------------------------------------------------------------------------------------


def _queries_for_a_check(server: HTTPServer, citing: int, editor, reviewer, assert_max) -> list[int]:  # type: ignore[no-untyped-def]
    """Count the queries of a copy-edit check and of a check that suspects the quotes are gone."""
    serve(server, page("v1"))
    source = make_source(server)
    quotes_ = [Quote.objects.create(source=source, exact=QUOTE) for _ in range(citing)]
    check(source)
    for quote in quotes_:
        publish_citing(quote, editor, reviewer)
    counts = []
    for version in ["v2-copyedit", "v3-quote-removed"]:
        serve(server, page(version))
        with assert_max(MAX_QUERIES_PER_CHECK) as captured:
            check(source)
        counts.append(len(captured))
    assert Source.objects.get(pk=source.pk).pending_change["quotes"]
    # The second fetch agrees: this check flags every citing dispute, still in bounded queries.
    with assert_max(MAX_QUERIES_PER_FLAGGING_CHECK) as captured:
        check(source)
    counts.append(len(captured))
    assert (
        Dispute.objects.filter(needs_recheck=True, links__statement__quote__source=source).distinct().count() == citing
    )
    return counts


MAX_QUERIES_PER_CHECK = 14  # 12 statements + BEGIN and COMMIT of the record
MAX_QUERIES_PER_FLAGGING_CHECK = 24


@pytest.mark.django_db
def test_a_check_costs_the_same_queries_for_1_or_20_citing_quotes(
    site: HTTPServer, editor, reviewer, django_assert_max_num_queries
) -> None:
    one = _queries_for_a_check(site, 1, editor, reviewer, django_assert_max_num_queries)
    Source.objects.filter(url__contains=PATH).update(url="http://127.0.0.1:1/old")  # free the address
    twenty = _queries_for_a_check(site, 20, editor, reviewer, django_assert_max_num_queries)
    assert one == twenty


# --- the dispatcher and "check now" ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_dispatcher_queues_each_due_source_once_even_when_run_twice_at_once(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DISPATCH_BATCH_SIZE = 7
    settings.FETCH_MIN_GAP_SECONDS = 0  # no per-site limit: all 30 are on one site
    now = timezone.now()
    due = [Source.objects.create(url=f"https://news.example/{n}", next_check_at=now - dt.timedelta(minutes=1))
           for n in range(30)]  # fmt: skip
    Source.objects.create(url="https://news.example/later", next_check_at=now + dt.timedelta(hours=1))
    Source.objects.create(url="https://news.example/leased", next_check_at=now - dt.timedelta(minutes=1),
                          lease_until=now + dt.timedelta(minutes=1))  # fmt: skip
    queued: list[tuple[int, str]] = []
    lock = threading.Lock()

    def enqueue(pk: int, slot: str, countdown: float) -> None:
        with lock:
            queued.append((pk, slot))

    def dispatcher() -> None:
        try:
            checking.dispatch_due(enqueue)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(pk for pk, _ in queued) == sorted(source.pk for source in due)
    assert all(Source.objects.get(pk=pk).next_check_at > now for pk, _ in queued)
    assert Heartbeat.last("dispatcher") is not None


@pytest.mark.django_db
def test_the_dispatcher_queues_no_more_of_one_site_than_its_gap_lets_through(settings) -> None:  # type: ignore[no-untyped-def]
    """500 due pages on one site must not bounce off its politeness gap in the queue: the rest wait, due."""
    settings.FETCH_MIN_GAP_SECONDS, settings.DISPATCH_EVERY_SECONDS, settings.DISPATCH_BATCH_SIZE = 5, 60, 7
    now = timezone.now()
    busy = [Source.objects.create(url=f"https://www.busy.example/{n}", next_check_at=now - dt.timedelta(minutes=30 - n))
            for n in range(30)]  # fmt: skip
    other = [Source.objects.create(url=f"https://quiet.example/{n}", next_check_at=now - dt.timedelta(minutes=1))
             for n in range(3)]  # fmt: skip
    queued: list[int] = []
    countdowns: dict[int, float] = {}

    def enqueue(pk: int, slot: str, countdown: float) -> None:
        queued.append(pk)
        countdowns[pk] = countdown

    assert checking.dispatch_due(enqueue, now=now) == 12 + 3
    assert queued[:12] == [source.pk for source in busy[:12]]  # the longest overdue first
    assert set(queued[12:]) == {source.pk for source in other}
    # Spaced by the gap, so that each arrives when its site is free: 0, 5 … 55 s, and 0, 5, 10 s.
    assert [countdowns[source.pk] for source in busy[:12]] == [5.0 * n for n in range(12)]
    assert sorted(countdowns[source.pk] for source in other) == [0.0, 5.0, 10.0]
    # Not queued again while the last of them waits out its countdown: a lease after that.
    held = Source.objects.get(pk=busy[11].pk).next_check_at
    assert held == now + dt.timedelta(seconds=settings.CHECK_LEASE_SECONDS + 55)
    waiting = Source.objects.filter(pk__in=[source.pk for source in busy[13:]])
    assert all(source.next_check_at < now for source in waiting)  # still due, untouched

    queued.clear()
    checking.dispatch_due(lambda pk, slot, countdown: queued.append(pk), now=now + dt.timedelta(minutes=1))
    assert queued == [source.pk for source in busy[12:24]]

    settings.DISPATCH_PER_SITE = 2
    queued.clear()
    checking.dispatch_due(lambda pk, slot, countdown: queued.append(pk), now=now + dt.timedelta(minutes=2))
    assert queued == [source.pk for source in busy[24:26]]


@pytest.mark.django_db
def test_a_site_with_a_huge_backlog_does_not_keep_the_others_waiting(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Its share taken, the site is left out of the run's later batches, which reach the other sites."""
    settings.DISPATCH_PER_SITE, settings.DISPATCH_BATCH_SIZE = 2, 5
    monkeypatch.setattr(checking, "MAX_DISPATCH_BATCHES", 3)  # reads 15 rows at most: fewer than the backlog
    now = timezone.now()
    busy_outlet = Outlet.objects.create(domain="busy.example", name="Busy")
    quiet_outlet = Outlet.objects.create(domain="quiet.example", name="Quiet")
    busy = [Source.objects.create(url=f"https://busy.example/{n}", outlet=busy_outlet,
                                  next_check_at=now - dt.timedelta(hours=2, minutes=-n)) for n in range(20)]  # fmt: skip
    quiet = [Source.objects.create(url=f"https://quiet.example/{n}", outlet=quiet_outlet,
                                   next_check_at=now - dt.timedelta(minutes=1)) for n in range(2)]  # fmt: skip
    queued: list[int] = []

    assert checking.dispatch_due(lambda pk, slot, countdown: queued.append(pk), now=now) == 4
    assert queued == [busy[0].pk, busy[1].pk, quiet[0].pk, quiet[1].pk]


@pytest.mark.django_db
def test_new_sources_are_spread_over_the_first_interval() -> None:
    sources = [Source.objects.create(url=f"https://news.example/{n}") for n in range(300)]
    queued: list[int] = []
    checking.dispatch_due(lambda pk, slot, countdown: queued.append(pk))
    times = sorted(Source.objects.filter(pk__in=[s.pk for s in sources]).values_list("next_check_at", flat=True))
    assert 1 <= len(queued) < 10
    assert times[-1] - times[0] > dt.timedelta(minutes=25)


@pytest.mark.django_db
def test_check_now_queues_a_manual_check_on_commit(django_capture_on_commit_callbacks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    source = Source.objects.create(url="https://news.example/a", next_check_at=timezone.now() + dt.timedelta(days=3))
    sent: list[tuple] = []
    monkeypatch.setattr(tasks.check_source, "apply_async", lambda args, kwargs, **options: sent.append((args, kwargs)))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.queue_check_now(source.pk)
        assert sent == []
    assert len(callbacks) == 1
    source.refresh_from_db()
    assert source.next_check_at <= timezone.now()
    ((args, kwargs),) = sent
    assert args == (source.pk,) and kwargs["manual"] is True
    assert dt.datetime.fromisoformat(kwargs["slot"]) == source.next_check_at


def test_a_per_site_share_spaced_beyond_the_visibility_timeout_is_refused(settings) -> None:  # type: ignore[no-untyped-def]
    from articles.checks import check_dispatch_countdowns

    settings.REDIS_URL, settings.FETCH_MIN_GAP_SECONDS = "redis://127.0.0.1:6379/0", 5
    settings.DISPATCH_PER_SITE = 0
    assert check_dispatch_countdowns(None) == []  # 12 a minute, the last 55 s later
    settings.DISPATCH_PER_SITE = 1000  # the last one 5,000 s later
    assert [error.id for error in check_dispatch_countdowns(None)] == ["articles.E003"]


# --- issue 13: the page's language chooses the substance rules ------------------------------------

GERMAN_PAGE = """<!doctype html><html lang="{lang}"><head><title>Kreml dementiert Telefonat</title></head><body>
<article><h1>Kreml dementiert Telefonat zwischen Putin und Trump</h1>
<p>Der Kreml hat am Montag einen Bericht der Washington Post über ein Telefonat zwischen Wladimir Putin
und Donald Trump zurückgewiesen. Das sei reine Erfindung, sagte Kremlsprecher Dmitri Peskow vor Journalisten.</p>
<p>Nach Angaben der Zeitung soll Trump dem russischen Präsidenten geraten haben, den Krieg in der Ukraine
nicht weiter zu eskalieren. Das ukrainische Außenministerium erklärte, {claim}</p>
<p>Die Regierung in Kiew habe von dem Gespräch vorab nichts gewusst und es deshalb weder billigen noch
ablehnen können, sagte ein Sprecher des Ministeriums der Nachrichtenagentur Reuters am Montag in Kiew.</p>
<p>Trump hatte im Wahlkampf mehrfach angekündigt, den Krieg innerhalb von 24 Stunden zu beenden, ohne zu
erklären, wie das gelingen solle. Die Ukraine warnt seit Monaten vor einem Abkommen auf ihre Kosten.</p>
</article></body></html>"""
CLAIM = "die ukrainische Seite sei über das Telefonat informiert worden."
NOT_CLAIM = "die ukrainische Seite sei über das Telefonat nicht informiert worden."


@pytest.mark.django_db
@pytest.mark.parametrize("declared", ["de", "en"])  # a CMS template declaring the wrong language
def test_a_german_negation_inserted_into_a_quote_flags_the_dispute_as_a_change_of_substance(
    site: HTTPServer, editor, reviewer, declared: str
) -> None:
    serve(site, GERMAN_PAGE.format(lang=declared, claim=CLAIM))
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=CLAIM)
    check(source)
    dispute = publish_citing(quote, editor, reviewer)
    assert Source.objects.get(pk=source.pk).current_snapshot.language == "de"

    serve(site, GERMAN_PAGE.format(lang=declared, claim=NOT_CLAIM))
    check(source)
    check(source)

    quote.refresh_from_db()
    dispute.refresh_from_db()
    assert quote.status == Quote.Status.EDITED_SUBSTANTIVE
    assert quote.last_check.changed_tokens == [["", "nicht"]]
    assert dispute.needs_recheck
    assert "has changed the substance of the quoted passage" in dispute.recheck_reason
    assert dispute.recheck_reason.endswith(": “nicht” was added.")


@pytest.mark.django_db
def test_a_deleted_paragraph_is_gone_and_the_note_of_a_rewrite_is_recorded(site: HTTPServer) -> None:
    serve(site, GERMAN_PAGE.format(lang="de", claim=CLAIM))
    source = make_source(site)
    sentence = "Die Regierung in Kiew habe von dem Gespräch vorab nichts gewusst"
    rewritten = Quote.objects.create(source=source, exact=sentence)
    removed = Quote.objects.create(
        source=source, exact="Die Ukraine warnt seit Monaten vor einem Abkommen auf ihre Kosten."
    )
    check(source)

    edited = (
        GERMAN_PAGE.format(lang="de", claim=CLAIM)
        .replace(sentence, "Das Ministerium wollte sich zu Einzelheiten der Berichte bislang nicht weiter äußern")
        .replace(" Die Ukraine warnt seit Monaten vor einem Abkommen auf ihre Kosten.", "")
    )
    serve(site, edited)
    check(source)

    rewritten.refresh_from_db()
    removed.refresh_from_db()
    assert removed.status == Quote.Status.GONE
    assert rewritten.status == Quote.Status.UNCERTAIN
    assert rewritten.last_check.note == quotes.REWRITTEN_NOTE
    assert rewritten.last_check.matched_text == ""
