"""A source's state in words, from rows already loaded: no test here may touch the database."""

import dataclasses
import datetime as dt

import pytest

from articles.models import Fetch, Quote, Snapshot, Source
from disputes.source_states import SourceState, describe, describe_fetch, status_words

CAPTURED = dt.datetime(2024, 11, 11, 9, 0, tzinfo=dt.UTC)
EDITED = dt.datetime(2024, 11, 12, 23, 30, tzinfo=dt.UTC)  # already the 12th in London
GONE = dt.datetime(2024, 11, 20, 8, 0, tzinfo=dt.UTC)
CHECKED = dt.datetime(2024, 11, 22, 8, 0, tzinfo=dt.UTC)


def source(liveness: str, *, copy: bool = True, **fields: object) -> Source:
    """An unsaved source with its current snapshot attached, as a page loads it with select_related."""
    fields.setdefault("last_checked_at", CHECKED)
    built = Source(pk=7, url="https://example.org/a", liveness=liveness, **fields)
    if copy:
        built.current_snapshot = Snapshot(pk=3, captured_at=CAPTURED)
    return built


def quote(status: str) -> Quote:
    return Quote(pk=5, status=status)


@pytest.mark.parametrize(
    ("row", "cited", "expected"),
    [
        (source("unknown", copy=False), None, SourceState("Not checked yet", "neutral")),
        (source("alive"), None, SourceState("Online, unchanged since 11 Nov 2024", "ok")),
        (source("alive"), quote("present"), SourceState("Online, unchanged since 11 Nov 2024", "ok")),
        (source("alive", copy=False), None, SourceState("Online, checked 22 Nov 2024", "ok")),
        (
            source("alive"),
            quote("gone"),
            SourceState("Online, unchanged since 11 Nov 2024; we cannot find the quoted words in it", "warn"),
        ),
        (
            source("alive", last_changed_at=EDITED),
            None,
            SourceState("Edited 12 Nov 2024", "warn", "/sources/7/#changes", "see what changed"),
        ),
        (
            source("alive", last_changed_at=EDITED),
            quote("present_normalised"),
            SourceState(
                "Edited 12 Nov 2024; the quoted words are unchanged but for punctuation or spacing",
                "ok",
                "/sources/7/#changes",
                "see what changed",
            ),
        ),
        (
            source("alive", last_changed_at=EDITED),
            quote("edited"),
            SourceState(
                "Edited 12 Nov 2024; the quoted words were reworded", "warn", "/sources/7/#changes", "see what changed"
            ),
        ),
        (
            source("alive", last_changed_at=EDITED),
            quote("gone"),
            SourceState(
                "Edited 12 Nov 2024; the quoted passage was removed", "bad", "/sources/7/#changes", "see what changed"
            ),
        ),
        (
            source("dead", first_dead_signal_at=GONE),
            quote("gone_with_page"),
            SourceState("Gone since 20 Nov 2024", "bad", "/sources/7/#text", "our copy of 11 Nov 2024"),
        ),
        (source("dead", copy=False, first_dead_signal_at=GONE), None, SourceState("Gone since 20 Nov 2024", "bad")),
        (
            source("soft_404"),
            None,
            SourceState(
                "Gone since 22 Nov 2024 (the address now shows a “not found” page)",
                "bad",
                "/sources/7/#text",
                "our copy of 11 Nov 2024",
            ),
        ),
        (
            source("moved"),
            None,
            SourceState("Moved to another address, seen 22 Nov 2024", "warn", "/sources/7/", "see where"),
        ),
        (
            source("unreachable"),
            None,
            SourceState(
                "Unreachable at our last check, 22 Nov 2024", "warn", "/sources/7/#text", "our copy of 11 Nov 2024"
            ),
        ),
        (
            source("access_restricted", copy=False),
            None,
            SourceState("Behind a login or paywall at our last check, 22 Nov 2024", "warn"),
        ),
        (
            source("robots_disallowed"),
            None,
            SourceState(
                "Not re-checked: the site asks robots to stay away",
                "warn",
                "/sources/7/#text",
                "our copy of 11 Nov 2024",
            ),
        ),
    ],
)
def test_describe_says_how_a_source_stands(row: Source, cited: Quote | None, expected: SourceState) -> None:
    assert describe(row, cited) == dataclasses.replace(expected, checked_on=dt.date(2024, 11, 22))


def test_the_day_of_the_last_check_is_the_newsrooms() -> None:
    late = source("alive", last_checked_at=dt.datetime(2024, 7, 1, 23, 30, tzinfo=dt.UTC))  # 00:30 in London

    assert describe(late).checked_on == dt.date(2024, 7, 2)
    assert describe(source("unknown", last_checked_at=None)).checked_on is None


def test_every_liveness_is_described_in_words() -> None:
    for liveness in Source.Liveness.values:
        state = describe(source(liveness))
        assert state.text and state.tone in {"ok", "warn", "bad", "neutral"}, liveness


def test_a_state_is_a_frozen_value_that_can_be_hashed() -> None:
    state = describe(source("dead", first_dead_signal_at=GONE))

    assert hash(state) == hash(describe(source("dead", first_dead_signal_at=GONE)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.text = "Online"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"verdict": "alive", "outcome": "changed", "tier": "first"}, "Online: our first copy"),
        ({"verdict": "alive", "outcome": "changed", "tier": "changed"}, "Online: the text changed"),
        ({"verdict": "alive", "outcome": "not_modified", "tier": "not_modified"}, "Online, text unchanged"),
        ({"verdict": "alive", "outcome": "unchanged", "tier": "cosmetic"}, "Online, text unchanged"),
        ({"verdict": "dead", "outcome": "error"}, "Not found"),
        ({"verdict": "unreachable", "outcome": "error"}, "Could not be reached"),
        ({"verdict": "robots_disallowed", "outcome": "error"}, "Not checked: the site asks robots to stay away"),
        ({"verdict": "", "outcome": "error"}, "Could not be checked"),
    ],
)
def test_describe_fetch_says_what_a_check_found(fields: dict, expected: str) -> None:
    assert describe_fetch(Fetch(**fields)) == expected


def test_status_words_name_http_answers() -> None:
    assert status_words(404) == "404 Not Found"
    assert status_words(304) == "304 Not Modified"
    assert status_words(599) == "599"
    assert status_words(None) == "No answer"
