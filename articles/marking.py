"""Mark cited passages in a text or a word diff, for the desk's source page. Pure functions.

Templates escape every piece; nothing here produces HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    """A run of text: `op` is equal, insert or delete (equal for plain text); `quoted` marks a cited passage."""

    text: str
    op: str = "equal"
    quoted: bool = False


def find_spans(text: str, passages: Iterable[str]) -> list[tuple[int, int]]:
    """Return the non-overlapping (start, end) spans where any of the passages occurs in the text."""
    spans: list[tuple[int, int]] = []
    for passage in {p for p in passages if p and p.strip()}:
        start = text.find(passage)
        while start != -1:
            spans.append((start, start + len(passage)))
            start = text.find(passage, start + len(passage))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _split(text: str, offset: int, spans: Sequence[tuple[int, int]], op: str) -> list[Piece]:
    """Cut `text` (which starts at `offset` in its document) at the span edges, marking the inside."""
    pieces: list[Piece] = []
    position = 0
    for start, end in spans:
        start, end = max(start - offset, 0), min(end - offset, len(text))
        if end <= position or start >= len(text):
            continue
        if start > position:
            pieces.append(Piece(text[position:start], op))
        pieces.append(Piece(text[max(start, position) : end], op, quoted=True))
        position = end
    if position < len(text):
        pieces.append(Piece(text[position:], op))
    return pieces


def mark_text(text: str, passages: Iterable[str]) -> list[Piece]:
    """Split a text into pieces, marking where the cited passages stand."""
    return _split(text, 0, find_spans(text, passages), "equal")


def mark_diff(chunks: Iterable[tuple[str, str]], old: str, new: str, passages: Iterable[str]) -> list[Piece]:
    """Mark cited passages in a word diff given as (op, text) chunks of `old` → `new`.

    Deleted text is measured against the old version, inserted text against the new one, and
    unchanged text against both, so a passage is marked wherever it stood in either version.
    """
    passages = list(passages)
    old_spans, new_spans = find_spans(old, passages), find_spans(new, passages)
    pieces: list[Piece] = []
    old_at = new_at = 0
    for op, text in chunks:
        if op == "delete":
            pieces += _split(text, old_at, old_spans, op)
            old_at += len(text)
        elif op == "insert":
            pieces += _split(text, new_at, new_spans, op)
            new_at += len(text)
        else:
            pieces += _split(text, new_at, new_spans, op)
            old_at += len(text)
            new_at += len(text)
    return pieces


ELLIPSIS = " … "


def trim_unchanged(pieces: list[Piece], keep: int = 160) -> list[Piece]:
    """Shorten long unchanged, unquoted runs of a diff to `keep` characters of context each side."""
    trimmed: list[Piece] = []
    last = len(pieces) - 1
    for index, piece in enumerate(pieces):
        if piece.op != "equal" or piece.quoted or len(piece.text) <= 2 * keep + len(ELLIPSIS):
            trimmed.append(piece)
            continue
        head = "" if index == 0 else piece.text[:keep]
        tail = "" if index == last else piece.text[-keep:]
        # The first run needs no head and the last no tail: there is nothing before or after them.
        marker = ELLIPSIS.lstrip() if not head else ELLIPSIS.rstrip() if not tail else ELLIPSIS
        trimmed.append(Piece(head + marker + tail))
    return trimmed
