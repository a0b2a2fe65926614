"""Word-level differences between two snapshot texts, for the "copy-edited" view. Pure functions, no Django imports.

Texts are compared paragraph by paragraph first (lines of the normalised text, nearly all unique, so
cheap to align), then word by word inside the paragraphs that changed. difflib's cost grows with the
number of equal-token pairs it has to consider, and it looks at them again for every sub-range it
aligns, so two guards keep it bounded: a comparison is priced before it runs (MAX_PAIRS caps one
pass), and the clock is read before every pass. A comparison too dear or out of time is shown as a
whole deletion plus insertion: the diff is then coarser, never wrong.
"""

import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import Match, SequenceMatcher

# A token is a word (apostrophes and combining accents inside it), a number such as 1,000 or 3.5bn, or
# one punctuation character, each with the whitespace after it. Gluing the whitespace on keeps the
# token list half as long and keeps " " (the commonest token by far) out of difflib's pair count;
# tokens are compared without it, so "war," and "war " still share the word.
_TOKEN = re.compile(
    r"(?:\d+(?:[.,]\d+)+\w*|[\w\u0300-\u036f]+(?:['’ʼ][\w\u0300-\u036f]+)*|[^\w\s]|^\s+)\s*",
    re.MULTILINE,
)
MAX_PAIRS = 1_000_000  # equal-element pairs one difflib pass may consider: about 0.1 s


class _OutOfTime(Exception):
    pass


class _TimedMatcher(SequenceMatcher[str]):
    """A SequenceMatcher (autojunk off) that stops when its deadline has passed."""

    def __init__(self, old: Sequence[str], new: Sequence[str], deadline: float) -> None:
        self.deadline = deadline
        super().__init__(None, old, new, autojunk=False)

    def find_longest_match(self, alo: int = 0, ahi: int | None = None, blo: int = 0, bhi: int | None = None) -> Match:
        """Find the longest matching block, as difflib does, unless time is up."""
        if time.monotonic() > self.deadline:
            raise _OutOfTime
        return super().find_longest_match(alo, ahi, blo, bhi)


@dataclass(frozen=True)
class Chunk:
    """A run of text that is the same in both versions ("equal"), or only in the old or the new one."""

    op: str  # "equal" | "insert" | "delete"
    text: str


def word_diff(old: str, new: str, *, timeout: float = 2.0) -> list[Chunk]:
    """Return the chunks that turn old into new, adjacent chunks of the same kind merged.

    Joining the equal and delete chunks gives `old` back; joining the equal and insert chunks gives `new`.
    """
    if old == new:
        return [Chunk("equal", old)] if old else []
    deadline = time.monotonic() + timeout
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    try:
        if not _affordable(old_lines, new_lines):
            raise _OutOfTime
        opcodes = _TimedMatcher(old_lines, new_lines, deadline).get_opcodes()
    except _OutOfTime:
        # Paragraphs could not be aligned: one word-level pass over everything, which trims the
        # common beginning and end before giving up on the middle.
        return _merged(_tokens_diff(_tokens(old), _tokens(new), deadline))
    chunks: list[Chunk] = []
    for op, old_start, old_end, new_start, new_end in opcodes:
        old_part, new_part = "".join(old_lines[old_start:old_end]), "".join(new_lines[new_start:new_end])
        if op == "equal":
            chunks.append(Chunk("equal", old_part))
        else:
            chunks += _tokens_diff(_tokens(old_part), _tokens(new_part), deadline)
    return _merged(chunks)


def changed_tokens(old: str, new: str) -> list[tuple[str, str]]:
    """Return each changed run of words as (old words, new words); "" on one side for an insertion or deletion.

    Changes of whitespace alone are left out: they are not changes of wording.
    """
    changes: list[tuple[str, str]] = []
    removed, added = "", ""
    for chunk in word_diff(old, new):
        if chunk.op == "delete":
            removed += chunk.text
        elif chunk.op == "insert":
            added += chunk.text
        else:
            changes.append((removed, added))
            removed, added = "", ""
    changes.append((removed, added))
    return [(before.strip(), after.strip()) for before, after in changes if before.split() != after.split()]


def _tokens(text: str) -> list[str]:
    """Split text into tokens that join back into it: every character belongs to one alternative of _TOKEN."""
    return _TOKEN.findall(text)


def _affordable(old: Sequence[str], new: Sequence[str]) -> bool:
    """Tell whether difflib can align these sequences within MAX_PAIRS equal-element pairs."""
    new_counts = Counter(new)
    return sum(count * new_counts[item] for item, count in Counter(old).items()) <= MAX_PAIRS


def _tokens_diff(old: list[str], new: list[str], deadline: float) -> list[Chunk]:
    """Diff two token lists: common ends first, so one edit in a huge text leaves a small middle to align."""
    shortest = min(len(old), len(new))
    prefix = 0
    while prefix < shortest and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < shortest - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return [
        Chunk("equal", "".join(old[:prefix])),
        *_aligned(old[prefix : len(old) - suffix], new[prefix : len(new) - suffix], deadline),
        Chunk("equal", "".join(old[len(old) - suffix :])),
    ]


def _aligned(old: list[str], new: list[str], deadline: float) -> list[Chunk]:
    """Align tokens by their words, or give the whole as one replacement when that is too dear or too late."""
    whole = _replacement("".join(old), "".join(new))
    old_words, new_words = [token.rstrip() for token in old], [token.rstrip() for token in new]
    if not old or not new or not _affordable(old_words, new_words):
        return whole
    try:
        opcodes = _TimedMatcher(old_words, new_words, deadline).get_opcodes()
    except _OutOfTime:
        return whole
    chunks = []
    for op, old_start, old_end, new_start, new_end in opcodes:
        if op == "equal":
            chunks += _same_words(old[old_start:old_end], new[new_start:new_end])
            continue
        chunks += _replacement("".join(old[old_start:old_end]), "".join(new[new_start:new_end]))
    return chunks


def _replacement(removed: str, added: str) -> list[Chunk]:
    """Return a deletion and an insertion; whitespace that ends both is the same text, so it is shown as such."""
    trailing = removed[len(removed.rstrip()) :]
    if not removed.strip() or not added.strip() or trailing != added[len(added.rstrip()) :]:
        trailing = ""
    end = len(removed) - len(trailing)
    return [
        Chunk("delete", removed[:end]),
        Chunk("insert", added[: len(added) - len(trailing)]),
        Chunk("equal", trailing),
    ]


def _same_words(old: list[str], new: list[str]) -> list[Chunk]:
    """Return tokens with the same words as equal, and any difference in the whitespace after them as a change."""
    chunks = []
    for old_token, new_token in zip(old, new, strict=True):
        if old_token == new_token:
            chunks.append(Chunk("equal", old_token))
        else:
            word = old_token.rstrip()
            chunks += [
                Chunk("equal", word),
                Chunk("delete", old_token[len(word) :]),
                Chunk("insert", new_token[len(word) :]),
            ]
    return chunks


def _merged(chunks: list[Chunk]) -> list[Chunk]:
    """Drop empty chunks, join neighbours of the same kind, and put each deletion before the insertion beside it.

    Swapping a neighbouring insertion and deletion changes neither text, and reads as "this became that".
    """
    merged: list[Chunk] = []
    for chunk in chunks:
        if not chunk.text:
            continue
        if chunk.op == "delete" and merged and merged[-1].op == "insert":
            inserted = merged.pop()
            if merged and merged[-1].op == "delete":
                merged[-1] = Chunk("delete", merged[-1].text + chunk.text)
            else:
                merged.append(chunk)
            merged.append(inserted)
        elif merged and merged[-1].op == chunk.op:
            merged[-1] = Chunk(chunk.op, merged[-1].text + chunk.text)
        else:
            merged.append(chunk)
    return merged
