"""Choosing two versions of a source from the query string, and their word diff with quotes marked."""

import datetime as dt

import pytest

from articles.comparing import compare
from articles.models import Snapshot, Source
from articles.tests.factories import SnapshotFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshots() -> list[Snapshot]:
    """Three versions of one source, newest first, as the pages list them."""
    source: Source = SourceFactory()
    start = dt.datetime(2024, 11, 10, tzinfo=dt.UTC)
    for n, text in enumerate(["It was said on Monday.", "It was said on Tuesday.", "It was said on Wednesday."]):
        SnapshotFactory(source=source, main_text=text, captured_at=start + dt.timedelta(days=n))
    return list(source.snapshots.only("pk", "source_id", "captured_at").order_by("-captured_at"))


def test_the_last_change_is_compared_by_default(snapshots: list[Snapshot], django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(1):
        comparison = compare(snapshots, None, None, ["said on"])

    assert comparison is not None
    assert (comparison.old, comparison.new) == (snapshots[1], snapshots[0])
    assert [(p.op, p.text, p.quoted) for p in comparison.pieces] == [
        ("equal", "It was ", False),
        ("equal", "said on", True),
        ("equal", " ", False),
        ("delete", "Tuesday", False),
        ("insert", "Wednesday", False),
        ("equal", ".", False),
    ]
    assert not comparison.identical


def test_any_two_can_be_chosen_and_a_missing_side_keeps_its_default(snapshots: list[Snapshot]) -> None:
    oldest, newest = snapshots[2], snapshots[0]

    chosen = compare(snapshots, str(newest.pk), str(oldest.pk), [])
    only_from = compare(snapshots, oldest.pk, "", [])
    same = compare(snapshots, oldest.pk, oldest.pk, [])

    assert chosen and (chosen.old, chosen.new) == (newest, oldest)
    assert only_from and (only_from.old, only_from.new) == (oldest, newest)
    assert same and same.identical


@pytest.mark.parametrize(("old", "new"), [("junk", None), ("999999", None), (None, "-1")])
def test_anything_else_gives_the_default_pair(snapshots: list[Snapshot], old: str | None, new: str | None) -> None:
    comparison = compare(snapshots, old, new, [])

    assert comparison and (comparison.old, comparison.new) == (snapshots[1], snapshots[0])


def test_one_version_has_nothing_to_compare(snapshots: list[Snapshot]) -> None:
    assert compare(snapshots[:1], None, None, []) is None
