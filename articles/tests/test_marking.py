from articles.marking import Piece, find_spans, mark_diff, mark_text, trim_unchanged


def test_find_spans_merges_overlaps_and_finds_repeats() -> None:
    assert find_spans("abc abc", ["abc"]) == [(0, 3), (4, 7)]
    assert find_spans("abcdef", ["abcd", "cdef"]) == [(0, 6)]
    assert find_spans("abc", ["", "  "]) == []


def test_mark_text_marks_the_quote() -> None:
    assert mark_text("He said: no call took place. Then left.", ["no call took place."]) == [
        Piece("He said: "),
        Piece("no call took place.", quoted=True),
        Piece(" Then left."),
    ]


def test_mark_diff_measures_deletions_against_the_old_text() -> None:
    old, new = "They were informed early.", "They were told early."
    chunks = [("equal", "They were "), ("delete", "informed"), ("insert", "told"), ("equal", " early.")]
    pieces = mark_diff(chunks, old, new, [old, new])
    assert [(p.op, p.text, p.quoted) for p in pieces] == [
        ("equal", "They were ", True),
        ("delete", "informed", True),
        ("insert", "told", True),
        ("equal", " early.", True),
    ]
    assert "".join(p.text for p in pieces if p.op != "insert") == old


def test_long_unchanged_runs_are_trimmed_to_their_context() -> None:
    long = "x" * 1000
    pieces = [
        Piece(long),
        Piece("old", "delete"),
        Piece("new", "insert"),
        Piece(long),
        Piece("y", "delete"),
        Piece(long),
    ]
    trimmed = trim_unchanged(pieces, keep=10)
    assert trimmed[0].text == "… " + "x" * 10
    assert trimmed[3].text == "x" * 10 + " … " + "x" * 10
    assert trimmed[5].text == "x" * 10 + " …"
    assert trim_unchanged([Piece(long, quoted=True)], keep=10)[0].text == long  # quotes are never cut
    # The spaces at the edges of a run are text, not padding: keep them.
    spaced = trim_unchanged([Piece("a", "delete"), Piece(" " + long + " "), Piece("b", "insert")], keep=10)
    assert spaced[1].text.startswith(" x") and spaced[1].text.endswith("x ")
