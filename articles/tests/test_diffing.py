"""Word diffs between snapshot texts: word boundaries, Unicode, merging, and bounded time on big inputs."""

import itertools
import random
import time

import pytest

from articles.diffing import Chunk, changed_tokens, word_diff


def rebuilt(chunks: list[Chunk]) -> tuple[str, str]:
    """Return the old and the new text the chunks describe."""
    old = "".join(chunk.text for chunk in chunks if chunk.op != "insert")
    new = "".join(chunk.text for chunk in chunks if chunk.op != "delete")
    return old, new


def assert_well_formed(chunks: list[Chunk], old: str, new: str) -> None:
    assert rebuilt(chunks) == (old, new)
    assert all(chunk.text and chunk.op in {"equal", "insert", "delete"} for chunk in chunks)
    assert all(a.op != b.op for a, b in itertools.pairwise(chunks)), "neighbours of one kind are merged"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "Trump probably does not want",
            "Trump likely does not want",
            [("equal", "Trump "), ("delete", "probably"), ("insert", "likely"), ("equal", " does not want")],
        ),
        (
            "withdraw all its troops",
            "withdraw all of its troops",
            [("equal", "withdraw all "), ("insert", "of "), ("equal", "its troops")],
        ),
        (
            "that Zelenskyy had put forward",
            "that Zelenskyy has put forward",
            [("equal", "that Zelenskyy "), ("delete", "had"), ("insert", "has"), ("equal", " put forward")],
        ),
        (
            "a vision for winning",
            "a vision for winning.",
            [("equal", "a vision for winning"), ("insert", ".")],
        ),
        ("", "new text", [("insert", "new text")]),
        ("old text", "", [("delete", "old text")]),
    ],
)
def test_word_diff(old: str, new: str, expected: list[tuple[str, str]]) -> None:
    chunks = word_diff(old, new)
    assert [(chunk.op, chunk.text) for chunk in chunks] == expected
    assert_well_formed(chunks, old, new)


def test_identical_texts_are_one_equal_chunk() -> None:
    text = "Ukraine's foreign ministry disputed a claim.\nOn Friday, the Kremlin said"
    assert word_diff(text, text) == [Chunk("equal", text)]
    assert word_diff("", "") == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # Words are whole: "has" is not "had" with one letter changed, and a word never splits.
        ("Zelenskyy had put forward", "Zelenskyy has put forward", [("had", "has")]),
        ("Trump's call", "Trump call", [("Trump's", "Trump")]),  # an apostrophe belongs to its word
        ("tens of billions of dollars", "tens of billions of dollars'", [("", "'")]),
        ("aid of 3.5bn and 1,000 troops", "aid of 3.6bn and 1,200 troops", [("3.5bn", "3.6bn"), ("1,000", "1,200")]),
        ("president-elect", "president elect", [("-", "")]),  # punctuation is its own token
        ("in Europe, the Post reported", "in Europe. The Post reported", [(", the", ". The")]),
        ("On Friday, the Kremlin", "On Friday the Kremlin", [(",", "")]),
        # Unicode: Cyrillic words, both apostrophes, combining accents.
        ("Це чиста вигадка", "Це повна вигадка", [("чиста", "повна")]),
        ("чи з’ясовували в Києві", "чи з'ясовували у Києві", [("з’ясовували в", "з'ясовували у")]),
        ("старий за\u0301мок", "старий замо\u0301к", [("за\u0301мок", "замо\u0301к")]),
        ("«Це неправда»", "«Це правда»", [("неправда", "правда")]),
        # Whitespace alone is not a change of wording.
        ("transfer of power. He will", "transfer of power.\nHe will", []),
        ("a  b", "a b", []),
        # Several changes, in text order.
        ("Trump probably does not want. All its troops", "Trump likely does want. All of its troops",
         [("probably", "likely"), ("not", ""), ("", "of")]),
    ],
)  # fmt: skip
def test_changed_tokens(old: str, new: str, expected: list[tuple[str, str]]) -> None:
    assert changed_tokens(old, new) == expected


def test_whitespace_change_still_shows_in_the_diff() -> None:
    chunks = word_diff("power. He", "power.\nHe")
    assert [(chunk.op, chunk.text) for chunk in chunks] == [
        ("equal", "power."), ("delete", " "), ("insert", "\n"), ("equal", "He")
    ]  # fmt: skip


def test_paragraphs_are_aligned_before_words() -> None:
    old = "First paragraph stays.\nSecond paragraph is removed.\nThird paragraph stays.\n"
    new = "First paragraph stays.\nThird paragraph stays.\nA new fourth paragraph.\n"
    chunks = word_diff(old, new)
    assert_well_formed(chunks, old, new)
    assert changed_tokens(old, new) == [("Second paragraph is removed.", ""), ("", "A new fourth paragraph.")]


def random_text(rng: random.Random, size: int) -> str:
    """Return newsroom-like filler of about `size` characters: paragraphs of 20-120 words, one per line."""
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 9))) for _ in range(3000)
    ] + ["the", "of", "and", "a", "to", "Ukraine", "Kremlin", "said"] * 100
    paragraphs: list[str] = []
    length = 0
    while length < size:
        paragraph = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(20, 120))) + "."
        paragraphs.append(paragraph)
        length += len(paragraph) + 1
    return "\n".join(paragraphs)


def edited(rng: random.Random, text: str, edits: int) -> str:
    lines = text.split("\n")
    for index in rng.sample(range(len(lines)), edits):
        words = lines[index].split(" ")
        words[rng.randrange(len(words))] = "CHANGED"
        lines[index] = " ".join(words)
    return "\n".join(lines)


MEGABYTE = 1_000_000


@pytest.mark.parametrize(
    "shape",
    ["scattered edits", "one long line", "unrelated texts", "repeated lines"],
)
def test_one_megabyte_diff_finishes_within_the_timeout(shape: str) -> None:
    rng = random.Random(7)
    old = random_text(rng, MEGABYTE)
    if shape == "scattered edits":
        new = edited(rng, old, 60)
    elif shape == "one long line":
        old = old.replace("\n", " ")
        new = edited(rng, old + "\n" + old, 2).split("\n")[0]  # same single line, a word or two changed
    elif shape == "unrelated texts":
        new = random_text(rng, MEGABYTE)
    else:  # the worst case for aligning paragraphs: the same line over and over
        old = "Advertisement\n" * (MEGABYTE // 14)
        new = old.replace("Advertisement\n" * 50, "Advertisement\nNew line\n" * 50, 3)
    assert len(old) >= MEGABYTE - 20 and len(new) >= MEGABYTE - 20

    started = time.monotonic()
    chunks = word_diff(old, new, timeout=2.0)
    elapsed = time.monotonic() - started

    assert elapsed < 2.0
    assert_well_formed(chunks, old, new)
    if shape == "scattered edits":
        assert sum(chunk.op == "insert" for chunk in chunks) == 60  # still a fine-grained diff
        assert len(changed_tokens(old, new)) == 60


def test_a_spent_time_budget_gives_a_coarser_diff_never_a_wrong_one() -> None:
    rng = random.Random(3)
    old = random_text(rng, 50_000)
    new = edited(rng, old, 10)
    chunks = word_diff(old, new, timeout=0.0)
    assert_well_formed(chunks, old, new)
    assert [chunk.op for chunk in chunks] == ["equal", "delete", "insert", "equal"]  # only the common ends survive
