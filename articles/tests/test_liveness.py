"""Per-fetch verdicts and the dead-link state machine (DESIGN §5.5)."""

import datetime as dt

import pytest

from articles import liveness
from articles.liveness import DeadLinkState, Verdict, advance, classify_error, classify_response

URL = "https://news.example/2024/11/11/story"
NOW = dt.datetime(2024, 11, 11, 12, 0, tzinfo=dt.UTC)


def verdict(status: int, *, final: str = URL, headers: dict[str, str] | None = None, body: bytes = b"<p>Text</p>",
            not_found: bool = False) -> Verdict:  # fmt: skip
    return classify_response(
        requested_url=URL, final_url=final, status=status, headers=headers or {}, body=body,
        not_found_page=not_found, now=NOW,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "kwargs", "expected", "signal"),
    [
        (200, {}, liveness.ALIVE, liveness.RESETS),
        (304, {}, liveness.ALIVE, liveness.RESETS),
        (200, {"final": "https://www.news.example/2024/11/11/story/"}, liveness.ALIVE, liveness.RESETS),
        (200, {"final": "https://news.example/2024/11/12/story-renamed"}, liveness.MOVED, liveness.RESETS),
        (200, {"final": "https://news.example/"}, liveness.SOFT_404, liveness.NEUTRAL),
        (200, {"final": "https://news.example/errors/404.html"}, liveness.SOFT_404, liveness.NEUTRAL),
        (200, {"not_found": True}, liveness.SOFT_404, liveness.NEUTRAL),
        (404, {}, liveness.DEAD, liveness.STRONG),
        (410, {}, liveness.DEAD, liveness.STRONG),
        (500, {}, liveness.UNREACHABLE, liveness.WEAK),
        (502, {}, liveness.UNREACHABLE, liveness.WEAK),
        (401, {}, liveness.ACCESS_RESTRICTED, liveness.NEUTRAL),
        (402, {}, liveness.ACCESS_RESTRICTED, liveness.NEUTRAL),
        (403, {}, liveness.ACCESS_RESTRICTED, liveness.NEUTRAL),
        (403, {"headers": {"cf-mitigated": "challenge", "server": "cloudflare"}}, liveness.BLOCKED, liveness.NEUTRAL),
        (503, {"headers": {"server": "cloudflare"}, "body": b"<title>Just a moment...</title>"}, liveness.BLOCKED,
         liveness.NEUTRAL),
        (200, {"body": b'<div class="g-recaptcha"></div>'}, liveness.BLOCKED, liveness.NEUTRAL),
        (429, {}, liveness.RATE_LIMITED, liveness.NEUTRAL),
        (503, {"headers": {"retry-after": "120"}}, liveness.RATE_LIMITED, liveness.NEUTRAL),
        (400, {}, liveness.UNREACHABLE, liveness.NEUTRAL),
    ],
)  # fmt: skip
def test_every_answer_has_a_verdict(status: int, kwargs: dict, expected: str, signal: str) -> None:
    result = verdict(status, **kwargs)
    assert (result.liveness, result.signal) == (expected, signal)
    assert result.detail


def test_rate_limits_carry_the_wait_in_seconds_or_as_a_date() -> None:
    assert verdict(429, headers={"retry-after": "90"}).retry_after == 90
    later = "Mon, 11 Nov 2024 12:05:00 GMT"
    assert verdict(503, headers={"retry-after": later}).retry_after == 300


@pytest.mark.parametrize(
    ("error_class", "expected", "signal"),
    [
        ("tls", liveness.TLS_ERROR, liveness.NEUTRAL),
        ("dns", liveness.UNREACHABLE, liveness.WEAK),
        ("connect", liveness.UNREACHABLE, liveness.WEAK),
        ("timeout", liveness.UNREACHABLE, liveness.WEAK),
        ("too_many_redirects", liveness.UNREACHABLE, liveness.WEAK),
        ("forbidden_address", liveness.UNREACHABLE, liveness.NEUTRAL),
        ("content_type", liveness.UNREACHABLE, liveness.NEUTRAL),
    ],
)
def test_network_failures_say_why(error_class: str, expected: str, signal: str) -> None:
    result = classify_error(error_class, "The name news.example does not resolve.")
    assert (result.liveness, result.signal) == (expected, signal)
    assert result.detail == "The name news.example does not resolve."


def run(*events: tuple[float, Verdict]) -> DeadLinkState:
    state = DeadLinkState(liveness.ALIVE)
    for hours, result in events:
        state = advance(state, result, NOW + dt.timedelta(hours=hours))
    return state


def test_three_not_founds_within_ten_hours_are_not_dead_yet() -> None:
    state = run((0, verdict(404)), (5, verdict(404)), (10, verdict(404)))
    assert state.liveness == liveness.UNREACHABLE
    assert state.dead_signals == 3
    assert "404" in state.detail and "48 hours" in state.detail


def test_three_signals_spanning_two_days_are_dead() -> None:
    state = run((0, verdict(404)), (24, verdict(500)), (48, verdict(410)))
    assert state.liveness == liveness.DEAD
    assert state.first_dead_signal_at == NOW


def test_weak_signals_count_and_say_so() -> None:
    state = run((0, verdict(502)), (24, verdict(502)), (48, classify_error("dns", "")))
    assert state.liveness == liveness.DEAD
    assert "weak signal" in state.detail


def test_an_alive_answer_resets_the_count() -> None:
    state = run((0, verdict(404)), (24, verdict(200)), (30, verdict(404)), (48, verdict(404)))
    assert state.liveness == liveness.UNREACHABLE
    assert state.dead_signals == 2


@pytest.mark.parametrize("neutral", [verdict(403), verdict(429), classify_error("tls", "")])
def test_blocked_restricted_and_rate_limited_neither_advance_nor_reset(neutral: Verdict) -> None:
    state = run((0, verdict(404)), (24, verdict(404)), (30, neutral))
    assert state.dead_signals == 2
    assert state.liveness == neutral.liveness
    state = advance(state, verdict(404), NOW + dt.timedelta(hours=49))
    assert state.liveness == liveness.DEAD
