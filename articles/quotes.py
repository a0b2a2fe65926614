"""Locate a captured quote in a new version of its article, tolerant of copy-edits (DESIGN §5.8).

A quote is stored as a W3C selector: the passage (``exact``), about 32 characters either side of it
(``prefix``/``suffix``) and its offsets in the text it was captured from (``start``/``end``).
``locate`` answers one question about a newly fetched text: is the passage still there as captured,
moved, retouched by a copy editor, changed in substance, or gone? The passes, cheapest first:

1. **Exact**: the quote, folded the way ``articles.extract.normalise`` folds text (NFKC, typographic
   quotes and dashes to ASCII, no invisible characters, one space for any run of whitespace), is
   searched verbatim. One hit is ``present``, or ``present_moved`` when it stands more than 20 % of
   the text away from its old offset or in another paragraph than last time. Several hits are told
   apart by their context; if it cannot pick one, ``ambiguous`` (start/end then point at the hit
   nearest the old offset, and ``candidates`` lists them all). A hit among other words while the
   captured prefix and suffix still frame something else is another mention of the same words:
   the passage at the captured place is reported (hypothesis/h#2798, a corrected name).
2. **Normalised**: the same on a looser fold that also ignores case and punctuation (but keeps
   "%" and a minus sign before a number) gives ``present_normalised``.
3. **Approximate**: an infix alignment (edlib, Myers' bit-vector algorithm) finds the best few
   spans within ``min(256, len(quote) // 2)`` edits, as the Hypothesis client does, and we also take
   what now stands between the captured prefix and suffix. Each candidate gets Hypothesis' score
   ``(50q + 20p + 20s + 2pos) / 92``, where a side the selector lacks counts 1.0 (as there, so an
   exact match scores 1.0) but vouches for nothing in the tests below. Unlike Hypothesis we keep a
   quality bar and a margin, because a dispute tracker must never re-anchor a corrected quote onto
   a lookalike without saying so (hypothesis/client#7571). With the best candidate's context at
   least 0.6 similar (or, with no context captured, ``q >= 0.75``) and a lead of 0.05 over the
   runner-up: a changed number, date, negation, name or hedge word gives ``edited_substantive``;
   otherwise ``q >= 0.75`` gives ``edited``. Anything weaker is ``uncertain``, with the candidates.
4. **Fallbacks**: with nothing in the main text, the rest of the full visible text (captions,
   boxouts) is searched the same way. With nothing there either, the quote is ``gone`` when the
   page still reads like the article (3-word shingles of the previous text, without the quote,
   at least 0.3 alike; without a previous text, 30 % of the words of quote and context still
   used), or ``gone_with_page`` when the page changed wholesale (the pipeline checks liveness).

The module is pure (no Django, no I/O); statuses are the values of ``Quote.Status``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, pairwise

import edlib
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

# The values of articles.models.Quote.Status (this module may not import Django).
NOT_CHECKED = "not_checked"
PRESENT = "present"
PRESENT_MOVED = "present_moved"
PRESENT_NORMALISED = "present_normalised"
AMBIGUOUS = "ambiguous"
EDITED = "edited"
EDITED_SUBSTANTIVE = "edited_substantive"
UNCERTAIN = "uncertain"
GONE = "gone"
GONE_WITH_PAGE = "gone_with_page"

CONTEXT_LENGTH = 32  # Hypothesis' contextLen; the W3C model leaves the length to the client.

# Weights of Hypothesis' match-quote score: quote, prefix, suffix, position.
_Q_WEIGHT, _P_WEIGHT, _S_WEIGHT, _POS_WEIGHT = 50, 20, 20, 2
_WEIGHTS = _Q_WEIGHT + _P_WEIGHT + _S_WEIGHT + _POS_WEIGHT

MAX_ERRORS = 256  # Hypothesis' cap on the edit budget; the budget is otherwise half the quote.
MOVED_FRACTION = 0.2  # An exact hit this far (share of the text) from its old offset has moved.
POOR_CONTEXT = 0.5  # Context below this around an exact hit: the passage now sits among other words.
CONFIRMING_CONTEXT = 0.8  # Context this close confirms a verbatim hit without looking further.
PICK_CONTEXT_LEAD = 0.1  # Among identical hits, context must lead by this much to pick one.
EDITED_QUOTE_SIMILARITY = 0.75  # §8.4: a rewording this close to the capture is the same passage.
EDITED_CONTEXT_SIMILARITY = 0.6  # §8.4: and the words around it must still be mostly the captured ones.
REWRITE_QUOTE_SIMILARITY = 0.5  # Below this a passage found between its context was rewritten.
EDITED_MARGIN = 0.05  # §8.4: and it must beat the runner-up clearly, or it could be the lookalike.
ANCHORED_CONTEXT_SIMILARITY = 0.75  # Prefix and suffix found (≤ 25 % errors) around a replaced passage.
NOISE_CONTEXT_SIMILARITY = 0.4  # A weak match (q < 0.75) counts only among this much captured context.
SAME_PARAGRAPH_SIMILARITY = 0.5  # Paragraphs this alike (without the quote) are one paragraph, edited.
GONE_SIMILARITY = 0.3  # §8.4: below this the page changed wholesale; from it up, the quote was removed.
_MAX_HITS = 50  # A quote found more often is a phrase, not a passage: the 50 nearest its old place do.
_MAX_SCANNED = 10_000
_MAX_CANDIDATES = 4

# Folding: the character mappings of articles.extract.normalise, done here with a map back to the
# caller's offsets (normalise returns a new string and cannot say where its characters came from),
# so that quote and texts compare alike whoever normalised them.
_QUOTE_MARKS = {
    **dict.fromkeys("‘’‚‛′‹›ʼ", "'"),  # ʼ (U+02BC) is the Ukrainian apostrophe
    **dict.fromkeys("“”„‟″«»", '"'),
}
_DASHES = frozenset("‐‑‒–—―−⁃")
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff")
# NFKC would turn an acute accent typed as an apostrophe ("Trump´s") into a space and a combining mark.
_BEFORE_NFKC = str.maketrans({"´": "'"})
# Kept by the loose fold although they are punctuation: "5%" and "5", "-5" and "5" are different claims.
_KEPT_PUNCTUATION = frozenset("%‰‱")
_DASH_BEFORE_DIGIT = re.compile(r"[-‐‑‒–—―−](?=\d)")
_SPACE_RUN = re.compile(" {2,}")
_PUNCTUATION_AT_EDGES = "\"'([{<)]}>.,;:!?-"


@dataclass(frozen=True)
class Selector:
    """A W3C TextQuoteSelector plus TextPositionSelector into the captured text."""

    exact: str
    prefix: str = ""
    suffix: str = ""
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Location:
    """Where (and whether) a quote stands in a text, and how sure we are."""

    status: str
    start: int | None
    end: int | None
    matched_text: str
    score: float | None
    runner_up_score: float | None
    changed_tokens: list[tuple[str, str]]
    searched_in: str
    candidates: list[tuple[int, int, float]]


def build_selector(text: str, start: int, end: int, context: int = CONTEXT_LENGTH) -> Selector:
    """Describe text[start:end] by its words, its surroundings and its offsets.

    Prefix and suffix are up to ``context`` characters; a word cut by that limit is dropped unless
    it is the only word there, so the context reads as words (and searches as words) later.
    """
    if not 0 <= start < end <= len(text):
        raise ValueError(f"Selection {start}:{end} is not a span of a text of {len(text)} characters.")
    prefix_start = max(0, start - context)
    prefix = text[prefix_start:start]
    if prefix_start > 0 and _is_word_char(text[prefix_start - 1]) and _is_word_char(prefix[0]):
        cut = _first_space(prefix)
        if cut is not None and prefix[cut:].strip():
            prefix = prefix[cut:]
    suffix_end = min(len(text), end + context)
    suffix = text[end:suffix_end]
    if suffix_end < len(text) and _is_word_char(text[suffix_end]) and _is_word_char(suffix[-1]):
        cut = _last_space(suffix)
        if cut is not None and suffix[: cut + 1].strip():
            suffix = suffix[: cut + 1]
    return Selector(exact=text[start:end], prefix=prefix, suffix=suffix, start=start, end=end)


def locate(selector: Selector, main_text: str, full_text: str = "", *, previous_text: str | None = None) -> Location:
    """Find the selector's passage in a new version of the text and say what became of it.

    ``main_text`` and ``full_text`` are the new snapshot's texts; ``previous_text`` (the main text
    the quote was last found in) tells a removed quote from a page that changed wholesale. Offsets
    in the result are into ``main_text``, or into ``full_text`` when ``searched_in == "full"``.
    """
    quote = _Quote.from_selector(selector)
    main_text, full_text = main_text or "", full_text or ""
    if not quote.strict or not (main_text.strip() or full_text.strip()):
        return _nothing(NOT_CHECKED, "")
    main = _Searcher(quote, main_text, hint=selector.start, searched_in="main", previous=previous_text)
    if main_text.strip():
        found = main.search()
        if found is not None:
            return found
    searched_in = "main"
    if full_text.strip() and full_text != main_text:
        searched_in = "full"
        inside = full_text.find(main_text) if main_text.strip() else -1
        if inside >= 0:
            # The main text was searched already: blank it out (offsets stay) and search the rest.
            end = inside + len(main_text)
            full_text = full_text[:inside] + " " * len(main_text) + full_text[end:]
        # Offsets into the full text are not comparable to the captured ones: no position hint.
        found = _Searcher(quote, full_text, hint=None, searched_in="full").search()
        if found is not None:
            return found
    if not main_text.strip():
        # An empty main text is an extraction failure, never evidence that the quote was removed.
        return _nothing(NOT_CHECKED, "")
    if _page_still_reads_alike(quote, main.loose, previous_text):
        return _nothing(GONE, searched_in)
    return _nothing(GONE_WITH_PAGE, searched_in)


# --- The substantive-change detector --------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NEGATIONS = _words(
    """not no never none nobody nothing nowhere neither nor without cannot deny denies denied denying
    denial false untrue true confirm confirms confirmed refute refutes refuted
    не ні ніколи немає нема неправда нет никогда ни"""
)
_NEGATION_STEMS = ("запереч", "спросту", "жодн", "хибн", "неправдив", "опроверг")
_NUMBER_WORDS = _words(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
    hundreds thousand thousands million millions billion billions trillion trillions tens dozen dozens
    half quarter twice double triple first second third fourth fifth tenth percent cent bn m
    dollar dollars euro euros pound pounds hryvnia hryvnias rouble roubles ruble rubles yuan"""
)
_NUMBER_STEMS = ("тисяч", "мільйон", "мільярд", "млн", "млрд", "відсот", "десят", "сотн", "тысяч", "миллион")
_MONTHS = _words(
    """january february march april june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    січень січня лютий лютого березень березня квітень квітня травень травня червень червня липень
    липня серпень серпня вересень вересня жовтень жовтня листопад листопада грудень грудня
    января февраля марта апреля мая июня июля августа сентября октября ноября декабря"""
)
_DAYS = _words(
    """monday tuesday wednesday thursday friday saturday sunday yesterday today tomorrow tonight weekend
    понеділок понеділка вівторок вівторка середа середу середи четвер четверга пʼятниця п'ятниця
    п'ятниці п'ятницю субота суботу суботи неділя неділю неділі вчора сьогодні завтра
    понедельник вторник среда четверг пятница суббота воскресенье вчера сегодня"""
)
# Hedges that may replace one another without changing how sure the sentence is: "Trump probably
# does not want" and "Trump likely does not want" (the seed story's copy-edit) make the same claim.
# Any other change of a hedge (added, dropped, or "could" becoming "will") changes the certainty.
_HEDGE_CLASSES: tuple[frozenset[str], ...] = (
    _words("likely probably presumably ймовірно імовірно напевно мабуть вероятно"),
    _words("may might could possibly perhaps maybe можливо возможно"),
    _words("can could"),
    _words("will would shall"),
    _words("appears appear appeared seems seem seemed"),
    _words("reportedly allegedly alleged purportedly supposedly нібито начебто якобы") | {"said to"},
)
_HEDGES = frozenset().union(*_HEDGE_CLASSES) | _words(
    """should must unlikely possible probable apparently claimed claims expected believed suspected
    potentially"""
)
# Capitalised because they open a sentence, not because they name someone.
_COMMON_CAPITALISED = _words(
    """the a an this that these those it its he she they we i you his her their our my your in on at
    by for of to from with as but and or so if when while after before during since there here what
    which who whom how why where also then however meanwhile according mr mrs ms dr"""
)
_TOKEN = re.compile(r"(?:(?<!\w)[-−])?[$€£¥₴₽]?\d+(?:[.,:/]\d+)*(?:%|\w*)|\w+(?:['ʼ]\w+)*|[%$€£¥₴₽]")


@dataclass(frozen=True)
class _Word:
    text: str
    opens_sentence: bool  # capitalised for grammar's sake, so no sign of a name


_Change = tuple[list[_Word], list[_Word]]
# What ends a sentence before a word: ". ", '." ', a paragraph break, with any opening quotation mark.
_SENTENCE_BREAK = re.compile(r"(?:[.!?][\"'”’»)]*\s+|\n)[\"'“‘«(]*$")


def substantive_change(changes: Iterable[tuple[str, str]]) -> str:
    """Name the first kind of substantive change among (old words, new words) pairs, or return "".

    The kinds are "negation", "date", "number", "hedge" and "name". A swap between hedges of the
    same strength ("probably" ↔ "likely", "may" ↔ "might", "will" ↔ "would") is a copy-edit, not a
    change of substance: DESIGN §5.8 lists hedge words as substantive, but the seed story shows
    outlets making exactly this swap while reporting the same claim (STORY.md), and both outcomes
    flag the dispute anyway; only the priority differs. A name is a capitalised word that does not
    open a sentence, nor a common word such as "The" (``locate`` also takes a word opening a
    sentence for a name when the article capitalises it mid-sentence elsewhere).
    """
    return _kind_of_change((_words_in(old), _words_in(new)) for old, new in changes)


def _kind_of_change(changes: Iterable[_Change]) -> str:
    for old, new in changes:
        old_words, new_words = [w.text for w in old], [w.text for w in new]
        words = old_words + new_words
        if any(_is_negation(w) for w in words):
            return "negation"
        if any(_is_date(w) for w in words):
            return "date"
        if any(_is_number(w) for w in words):
            return "number"
        if _hedge_changed(old_words, new_words):
            return "hedge"
        if any(_is_name(w) for w in [*old, *new]):
            return "name"
    return ""


def _is_negation(word: str) -> bool:
    folded = word.casefold()
    return folded in _NEGATIONS or folded.endswith("n't") or folded.startswith(_NEGATION_STEMS)


def _is_date(word: str) -> bool:
    folded = word.casefold()
    if folded in _MONTHS or folded in _DAYS or word == "May":
        return True
    return len(word) == 4 and word.isdigit() and word[:2] in ("19", "20")


def _is_number(word: str) -> bool:
    folded = word.casefold()
    return (
        any(c.isdigit() or c in "%$€£¥₴₽" for c in word) or folded in _NUMBER_WORDS or folded.startswith(_NUMBER_STEMS)
    )


def _hedge_changed(old_words: Sequence[str], new_words: Sequence[str]) -> bool:
    old_hedges, new_hedges = _hedges_in(old_words), _hedges_in(new_words)
    for hedge in list(old_hedges):
        partner = next((h for h in new_hedges if _same_strength(hedge, h)), None)
        if partner is not None:
            old_hedges.remove(hedge)
            new_hedges.remove(partner)
    return bool(old_hedges or new_hedges)


def _hedges_in(words: Sequence[str]) -> list[str]:
    folded = [w.casefold() for w in words]
    hedges = [w for w in folded if w in _HEDGES]
    # "X is said to have…" attributes a claim to unnamed others, like "reportedly".
    hedges += ["said to" for pair in pairwise(folded) if pair == ("said", "to")]
    return hedges


def _same_strength(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in _HEDGE_CLASSES)


def _is_name(word: _Word) -> bool:
    text = word.text
    return text[:1].isupper() and not word.opens_sentence and text.casefold() not in _COMMON_CAPITALISED and text != "I"


def _capitalised_mid_sentence(word: str, text: str) -> bool:
    for match in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", text):
        at = match.start()
        if at > 0 and not _SENTENCE_BREAK.search(text[max(0, at - 8) : at]):
            return True
    return False


def _words_in(text: str, before: str = "") -> list[_Word]:
    """Split a passage into words, noting which open a sentence (``before`` is the text preceding it)."""
    words = []
    for match in _TOKEN.finditer(text):
        at = match.start()
        lead = text[at - 8 : at] if at >= 8 else before[-8:] + text[:at]
        words.append(_Word(match.group(), _SENTENCE_BREAK.search(lead) is not None))
    return words


def _changes(old: str, new: str, *, old_before: str = "", new_before: str = "") -> list[_Change]:
    """Return the words that differ between two passages, ignoring case and punctuation."""
    old_words, new_words = _words_in(old, old_before), _words_in(new, new_before)
    matcher = difflib.SequenceMatcher(
        None, [w.text.casefold() for w in old_words], [w.text.casefold() for w in new_words], autojunk=False
    )
    return [(old_words[i1:i2], new_words[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]


def _shown(changes: list[_Change]) -> list[tuple[str, str]]:
    return [(" ".join(w.text for w in old), " ".join(w.text for w in new)) for old, new in changes]


# --- Folding text for matching, with a way back to the original offsets ------------------------------


@dataclass(frozen=True)
class _Folded:
    """A matching form of a text and the map from its offsets back to the text's own.

    The map is piecewise linear: segment i starts at folded offset ``seg_f[i]``, which comes from
    original offset ``seg_o[i]``, and advances one for one until the next segment. Collapsed
    whitespace and dropped characters start a new segment, so a 1 MB text needs one segment per
    collapsed run rather than one entry per character.
    """

    text: str
    seg_f: list[int]
    seg_o: list[int]
    source_end: int

    def source_start(self, f: int) -> int:
        """Return the original offset of folded offset ``f``."""
        if f >= len(self.text):
            return self.source_end
        i = bisect_right(self.seg_f, f) - 1
        return self.seg_o[i] + (f - self.seg_f[i])

    def source_stop(self, f_end: int) -> int:
        """Return the original offset just past the folded span that ends before ``f_end``."""
        # The original start of the next folded character: it covers combining marks and
        # characters the fold dropped, and leaves out the punctuation the loose fold turned to space.
        return self.source_start(f_end)


def _fold(text: str, *, loose: bool) -> _Folded:
    """Fold a text for matching: strict (as normalise does) or loose (no case, no punctuation)."""
    folded = text.casefold() if loose else text
    chars = set(folded)
    if len(folded) == len(text) and chars.isdisjoint(_INVISIBLE) and unicodedata.is_normalized("NFKC", text):
        # Every change is one character for one character: translate in C, then collapse.
        table = {ord(c): m for c in chars if (m := _fold_char(c, loose)) != c}
        translated = folded.translate(table)
        if loose:
            translated = _keep_numeric_signs(folded, translated)
        return _collapse(translated)
    return _fold_slowly(text, loose)


def _keep_numeric_signs(before: str, after: str) -> str:
    """Put back the minus signs the loose fold turned into spaces ("-5%" is not "5%")."""
    parts, done = [], 0
    for at in _numeric_signs(before):
        parts += [after[done:at], "-"]
        done = at + 1
    return "".join([*parts, after[done:]]) if parts else after


def _numeric_signs(text: str) -> list[int]:
    # A dash before a digit and after no word character; the look-behind is done here because a
    # pattern that starts with one is tried at every offset of a long text.
    return [
        m.start()
        for m in _DASH_BEFORE_DIGIT.finditer(text)
        if m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_")
    ]


@lru_cache(maxsize=4096)
def _fold_char(c: str, loose: bool) -> str:
    if c in _INVISIBLE:
        return ""
    if c.isspace():
        return " "
    if c in _QUOTE_MARKS:
        return " " if loose else _QUOTE_MARKS[c]
    if c in _DASHES:
        return " " if loose else "-"
    if loose and c not in _KEPT_PUNCTUATION and unicodedata.category(c).startswith("P"):
        return " "
    return c


def _collapse(text: str) -> _Folded:
    start = len(text) - len(text.lstrip(" ")) if text.startswith(" ") else 0
    stop = len(text.rstrip(" ")) if text.endswith(" ") else len(text)
    if start >= stop:
        return _Folded("", [0], [0], 0)
    if "  " not in text:
        return _Folded(text[start:stop], [0], [start], stop)
    runs = [m.span() for m in _SPACE_RUN.finditer(text, start, stop)]
    # After a run ending at original offset b, the folded offset is b less what was dropped so far.
    dropped = accumulate(b - a - 1 for a, b in runs)
    seg_f = [0, *(b - start - gone for (_, b), gone in zip(runs, dropped, strict=True))]
    seg_o = [start, *(b for _, b in runs)]
    return _Folded(_SPACE_RUN.sub(" ", text[start:stop]), seg_f, seg_o, stop)


def _fold_slowly(text: str, loose: bool) -> _Folded:
    """Fold character cluster by cluster: for texts that NFKC, case folding or invisibles change."""
    out: list[str] = []
    seg_f: list[int] = []
    seg_o: list[int] = []
    pending_space: int | None = None
    source_end = 0

    def emit(ch: str, origin: int) -> None:
        f = len(out)
        if not seg_f or seg_o[-1] + (f - seg_f[-1]) != origin:
            seg_f.append(f)
            seg_o.append(origin)
        out.append(ch)

    signs = set(_numeric_signs(text)) if loose else set()
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        piece = unicodedata.normalize("NFKC", text[i:j].translate(_BEFORE_NFKC))
        if loose:
            piece = piece.casefold()
        for ch in piece:
            mapped = "-" if i in signs else _fold_char(ch, loose)
            if not mapped:
                continue
            if mapped == " ":
                if out and pending_space is None:
                    pending_space = i
                continue
            if pending_space is not None:
                emit(" ", pending_space)
                pending_space = None
            emit(mapped, i)
            source_end = j
        i = j
    if not out:
        return _Folded("", [0], [0], 0)
    return _Folded("".join(out), seg_f, seg_o, source_end)


# --- Searching ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Quote:
    """The selector in the forms the search needs, folded once."""

    exact: str
    strict: str
    loose: str
    prefix: str  # loose
    suffix: str  # loose
    prefix_as_captured: str
    # Whether the editor's selection began/ended at a word boundary: only then may a fuzzy match be
    # widened to whole words.
    whole_words_left: bool
    whole_words_right: bool
    lead: str  # punctuation the selection starts with, such as an opening quotation mark
    trail: str

    @classmethod
    def from_selector(cls, selector: Selector) -> _Quote:
        strict = _fold(selector.exact, loose=False).text
        return cls(
            exact=selector.exact,
            strict=strict,
            loose=_fold(selector.exact, loose=True).text,
            prefix=_fold(selector.prefix, loose=True).text,
            suffix=_fold(selector.suffix, loose=True).text,
            prefix_as_captured=selector.prefix,
            whole_words_left=not (selector.prefix[-1:].isalnum() and selector.exact[:1].isalnum()),
            whole_words_right=not (selector.suffix[:1].isalnum() and selector.exact[-1:].isalnum()),
            lead=strict[: len(strict) - len(strict.lstrip(_PUNCTUATION_AT_EDGES))],
            trail=strict[len(strict.rstrip(_PUNCTUATION_AT_EDGES)) :],
        )


@dataclass(frozen=True)
class _Candidate:
    """A span of the searched text that may be the quote, with the evidence for it."""

    start: int
    end: int
    q: float
    p: float | None  # None: the selector has no prefix to compare
    s: float | None
    pos: float | None  # None: no position to compare

    @property
    def context(self) -> float | None:
        """Return the mean similarity of the captured sides, or None if none was captured."""
        sides = [x for x in (self.p, self.s) if x is not None]
        return sum(sides) / len(sides) if sides else None

    @property
    def score(self) -> float:
        """Return Hypothesis' combined score; missing evidence counts as agreeing, as there."""
        p, s, pos = (1.0 if x is None else x for x in (self.p, self.s, self.pos))
        return (_Q_WEIGHT * self.q + _P_WEIGHT * p + _S_WEIGHT * s + _POS_WEIGHT * pos) / _WEIGHTS

    def overlaps(self, other: _Candidate) -> bool:
        """Tell whether two candidates cover mostly the same words."""
        shared = min(self.end, other.end) - max(self.start, other.start)
        return shared > 0.5 * min(self.end - self.start, other.end - other.start)


class _Searcher:
    """One text being searched for one quote; folds lazily, since most quotes are found verbatim."""

    def __init__(
        self, quote: _Quote, text: str, *, hint: int | None, searched_in: str, previous: str | None = None
    ) -> None:
        self.quote = quote
        self.text = text
        self.hint = hint
        self.searched_in = searched_in
        self.previous = previous
        self._loose: _Folded | None = None
        self._encoded: tuple[dict[str, str], bytes] | None = None

    @property
    def loose(self) -> _Folded:
        if self._loose is None:
            self._loose = _fold(self.text, loose=True)
        return self._loose

    def search(self) -> Location | None:
        """Run the exact, normalised and approximate passes; None if nothing is there."""
        quote = self.quote
        strict = _fold(self.text, loose=False)
        hits = [
            self.candidate(strict.source_start(f), strict.source_stop(f + len(quote.strict)), 1.0)
            for f in _find_all(quote.strict, strict.text, near=self.hint)
        ]
        status = PRESENT
        if not hits and quote.loose:
            loose = self.loose
            hits = [
                self.candidate(loose.source_start(f), loose.source_stop(f + len(quote.loose)), 1.0)
                for f in _find_all(quote.loose, loose.text, near=self.hint)
            ]
            status = PRESENT_NORMALISED
        if hits:
            hits.sort(key=lambda c: c.score, reverse=True)
            best = hits[0]
            if best.context is not None and best.context < CONFIRMING_CONTEXT:
                # The words are here, but not quite among the captured ones. If the captured place
                # still exists with other words in it, the passage there was changed and this hit is
                # another mention (hypothesis/h#2798): report the place, never the lookalike.
                replaced = [
                    c
                    for c in self.anchored_candidates()
                    if (c.context or 0) >= best.context + PICK_CONTEXT_LEAD and not any(c.overlaps(h) for h in hits)
                ]
                if replaced:
                    return _replaced_in_place(self, replaced[0], hits)
            return _present(self, hits, status)
        candidates = self.fuzzy_candidates()
        if not candidates:
            return None
        return _judge(self, candidates)

    def candidate(self, start: int, end: int, q: float) -> _Candidate:
        """Score the span text[start:end] (original offsets) against the selector."""
        pos = None
        if self.hint is not None:
            pos = max(0.0, 1.0 - abs(start - self.hint) / len(self.text))
        return _Candidate(
            start=start,
            end=end,
            q=q,
            p=_side_similarity(self.quote.prefix, self.text, start, before=True),
            s=_side_similarity(self.quote.suffix, self.text, end, before=False),
            pos=pos,
        )

    def loose_candidate(self, a: int, b: int) -> _Candidate | None:
        """Score a span of the loose fold, widened to whole words where the selection was."""
        folded = self.loose.text
        if self.quote.whole_words_left and 0 < a < len(folded) and folded[a - 1] != " " and folded[a] != " ":
            a = folded.rfind(" ", 0, a) + 1
        if self.quote.whole_words_right and 0 < b < len(folded) and folded[b - 1] != " " and folded[b] != " ":
            space = folded.find(" ", b)
            b = len(folded) if space == -1 else space
        while a < b and folded[a] == " ":
            a += 1
        while b > a and folded[b - 1] == " ":
            b -= 1
        if a >= b:
            return None
        q = max(0.0, 1.0 - Levenshtein.distance(self.quote.loose, folded[a:b]) / len(self.quote.loose))
        start, end = self.loose.source_start(a), self.loose.source_stop(b)
        # The loose fold has no punctuation; take back the quotation marks the selection had.
        for mark in reversed(self.quote.lead):
            if start == 0 or _fold_char(self.text[start - 1], False) != mark:
                break
            start -= 1
        for mark in self.quote.trail:
            if end == len(self.text) or _fold_char(self.text[end], False) != mark:
                break
            end += 1
        return self.candidate(start, end, q)

    def encoded(self) -> tuple[dict[str, str], bytes]:
        """Return the loose text as bytes for edlib, in an alphabet drawn from the quote and context.

        edlib compares at most 256 distinct symbols per call; a Cyrillic page with Latin names,
        digits and punctuation can have more. Characters that appear in neither quote nor context
        cannot match anyway, so they all become byte 0.
        """
        if self._encoded is None:
            counts = Counter(self.quote.loose + self.quote.prefix + self.quote.suffix)
            ranked = [c for c, _ in counts.most_common()]
            # Codes 1..254 for the commonest characters; the rarest share 255 (a rare, harmless
            # over-match, corrected when q is measured on the real characters).
            code = {c: chr(i + 1) for i, c in enumerate(ranked[:254])} | dict.fromkeys(ranked[254:], chr(255))
            self._encoded = code, _encode(self.loose.text, code)
        return self._encoded

    def fuzzy_candidates(self) -> list[_Candidate]:
        """Find the best few approximate matches and what stands between the captured context."""
        if not self.quote.loose:
            return []
        code, target = self.encoded()
        query = _encode(self.quote.loose, code)
        max_errors = min(MAX_ERRORS, len(self.quote.loose) // 2)
        found: list[_Candidate] = []
        for a, b in _approximate_spans(query, target, max_errors, _MAX_CANDIDATES):
            candidate = self.loose_candidate(a, b)
            if candidate is not None and self.worth_showing(candidate):
                found.append(candidate)
        found += self.anchored_candidates()
        kept: list[_Candidate] = []
        for candidate in sorted(found, key=lambda c: c.score, reverse=True):
            if not any(candidate.overlaps(other) for other in kept):
                kept.append(candidate)
        return kept

    def changes(self, candidate: _Candidate) -> list[_Change]:
        """Return the words in which a candidate differs from the captured quote."""
        changes = _changes(
            self.quote.exact,
            self.text[candidate.start : candidate.end],
            old_before=self.quote.prefix_as_captured,
            new_before=self.text[max(0, candidate.start - 8) : candidate.start],
        )
        return [(self.with_names_known(old), self.with_names_known(new)) for old, new in changes]

    def with_names_known(self, words: list[_Word]) -> list[_Word]:
        """Take a word that opens a sentence for a name when the article capitalises it elsewhere too.

        "Peskov said…" becoming "Ushakov said…" is a corrected name although both open a sentence:
        the article also writes "spokesman Dmitry Peskov", whereas it never writes "Subsequently"
        capitalised mid-sentence.
        """
        return [
            _Word(w.text, opens_sentence=False)
            if w.opens_sentence and w.text[:1].isupper() and _capitalised_mid_sentence(w.text, self.text)
            else w
            for w in words
        ]

    def worth_showing(self, candidate: _Candidate) -> bool:
        """Tell a weak approximate match worth an editor's look from a chance likeness."""
        words = _fold(self.text[candidate.start : candidate.end], loose=True).text
        if words in self.quote.prefix or words in self.quote.suffix:
            # The captured context itself, standing where the quote was removed from.
            return False
        # Within half the quote's length in edits, ordinary prose matches a short quote somewhere
        # by chance (q ≈ 0.5–0.7). Below the "edited" bar a match counts only among some of the
        # captured context.
        if candidate.q >= EDITED_QUOTE_SIMILARITY:
            return True
        return candidate.context is not None and candidate.context >= NOISE_CONTEXT_SIMILARITY

    def previous_paragraph(self) -> str | None:
        """Return the paragraph the quote stood in in the previous text, if that is known."""
        if not self.previous:
            return None
        strict = _fold(self.previous, loose=False)
        found = _find_all(self.quote.strict, strict.text, near=self.hint)
        if not found:
            return None
        f = min(found, key=lambda f: abs(f - (self.hint or 0)))
        return _paragraph(self.previous, strict.source_start(f), strict.source_stop(f + len(self.quote.strict)))

    def anchored_candidates(self) -> list[_Candidate]:
        """Return what now stands between the captured prefix and suffix.

        One side must be found nearly as captured (≤ 25 % errors); the other is then looked for
        nearby with a looser budget, since a correction often touches a word of the context too.
        This catches a passage rewritten beyond the edit budget (a short quote whose name was
        corrected: "Dmitry Peskov" → "Yuri Ushakov") at the place it was captured, so that it is
        reported there rather than re-anchored to another mention of the old words.
        """
        prefix, suffix = self.quote.prefix, self.quote.suffix
        if len(prefix) < 8 or len(suffix) < 8:
            return []
        code, target = self.encoded()
        prefix_b, suffix_b = _encode(prefix, code), _encode(suffix, code)
        gap = 2 * len(self.quote.loose) + 40
        spans = set()
        for end in _group_edges(_locations(prefix_b, target, len(prefix) // 4), last=True)[:_MAX_CANDIDATES]:
            window = target[end : end + gap + 2 * len(suffix)]
            found = _locations(suffix_b, window, len(suffix) // 2)
            if found:
                spans.add((end, end + min(a for a, _ in found)))
        for start in _group_edges(_locations(suffix_b, target, len(suffix) // 4), last=False)[:_MAX_CANDIDATES]:
            window_start = max(0, start - gap - 2 * len(prefix))
            found = _locations(prefix_b, target[window_start:start], len(prefix) // 2)
            if found:
                spans.add((window_start + max(b for _, b in found), start))
        candidates = [self.loose_candidate(a, b) for a, b in sorted(spans) if a < b]
        return [c for c in candidates if c is not None and (c.context or 0) >= ANCHORED_CONTEXT_SIMILARITY]


def _present(searcher: _Searcher, hits: list[_Candidate], status: str) -> Location:
    """Report verbatim hits: one place, a place picked by its context, or several places."""
    best = hits[0]
    runner_up = hits[1] if len(hits) > 1 else None
    if runner_up is not None and not _context_picks(best, runner_up):
        status = AMBIGUOUS
    elif status == PRESENT and _moved(searcher, best):
        status = PRESENT_MOVED
    return _found(status, searcher, best, runner_up, [], hits)


def _context_picks(best: _Candidate, runner_up: _Candidate) -> bool:
    if best.context is None or runner_up.context is None:
        return False
    return best.context >= POOR_CONTEXT and best.context - runner_up.context >= PICK_CONTEXT_LEAD


def _moved(searcher: _Searcher, hit: _Candidate) -> bool:
    """Tell whether a verbatim hit stands in another part of the article than before.

    That is: more than a fifth of the text away from its old offset, or in another paragraph than
    the one it stood in last time (known when the previous text is). With neither offset nor
    previous text, a hit among none of the captured context counts as moved.
    """
    if searcher.hint is not None and abs(hit.start - searcher.hint) > MOVED_FRACTION * len(searcher.text):
        return True
    before = searcher.previous_paragraph()
    if before is not None:
        return not _same_paragraph(searcher.quote, before, _paragraph(searcher.text, hit.start, hit.end))
    if searcher.hint is None:
        return hit.context is not None and hit.context < POOR_CONTEXT
    return False


def _paragraph(text: str, start: int, end: int) -> str:
    stop = text.find("\n", end)
    return text[text.rfind("\n", 0, start) + 1 : len(text) if stop == -1 else stop]


def _same_paragraph(quote: _Quote, before: str, after: str) -> bool:
    """Tell whether two paragraphs holding the quote are one paragraph, perhaps copy-edited."""
    rest_before = _fold(_without(quote, before), loose=True).text
    rest_after = _fold(_without(quote, after), loose=True).text
    if len(rest_before.split()) < 3 and len(rest_after.split()) < 3:
        return True  # The quote is the whole paragraph: nothing else to compare.
    return fuzz.ratio(rest_before, rest_after) >= 100 * SAME_PARAGRAPH_SIMILARITY


def _replaced_in_place(searcher: _Searcher, replaced: _Candidate, hits: list[_Candidate]) -> Location:
    changes = searcher.changes(replaced)
    status = EDITED_SUBSTANTIVE if _changed_in_substance(changes, replaced) else UNCERTAIN
    return _found(status, searcher, replaced, hits[0], changes, [replaced, *hits])


def _judge(searcher: _Searcher, candidates: list[_Candidate]) -> Location:
    """Classify the best approximate candidate: changed in substance, reworded, or uncertain."""
    best = candidates[0]
    runner_up = candidates[1] if len(candidates) > 1 else None
    changes = searcher.changes(best)
    if best.context is not None:
        placed = best.context >= EDITED_CONTEXT_SIMILARITY
    else:
        # A quote typed in by hand has no context to vouch for the place: the words must.
        placed = best.q >= EDITED_QUOTE_SIMILARITY
    clear = runner_up is None or best.score - runner_up.score >= EDITED_MARGIN
    if placed and clear and _changed_in_substance(changes, best):
        status = EDITED_SUBSTANTIVE
    elif placed and clear and best.q >= EDITED_QUOTE_SIMILARITY:
        status = EDITED
    else:
        status = UNCERTAIN
    return _found(status, searcher, best, runner_up, changes, candidates)


def _changed_in_substance(changes: list[_Change], candidate: _Candidate) -> bool:
    """Tell whether a located passage differs from the capture by a substantive change."""
    if candidate.q >= REWRITE_QUOTE_SIMILARITY:
        return bool(_kind_of_change(changes))
    # Beyond the edit budget (found only between its context) the passage is a correction only if
    # every difference is a critical token, as when a name is put right; otherwise it was rewritten
    # and whether it still says the same is for an editor to judge.
    return all(_kind_of_change([change]) for change in changes)


def _found(
    status: str,
    searcher: _Searcher,
    best: _Candidate,
    runner_up: _Candidate | None,
    changes: list[_Change],
    candidates: Sequence[_Candidate],
) -> Location:
    return Location(
        status=status,
        start=best.start,
        end=best.end,
        matched_text=searcher.text[best.start : best.end],
        score=round(best.score, 4),
        runner_up_score=None if runner_up is None else round(runner_up.score, 4),
        changed_tokens=_shown(changes),
        searched_in=searcher.searched_in,
        candidates=[(c.start, c.end, round(c.score, 4)) for c in candidates[: _MAX_CANDIDATES + 1]],
    )


def _nothing(status: str, searched_in: str) -> Location:
    return Location(status, None, None, "", None, None, [], searched_in, [])


def _find_all(needle: str, haystack: str, *, near: int | None) -> list[int]:
    """Return where ``needle`` occurs: everywhere, or at most at the places nearest ``near``."""
    hits: list[int] = []
    if not needle:
        return hits
    i = haystack.find(needle)
    while i != -1 and len(hits) < _MAX_SCANNED:
        hits.append(i)
        i = haystack.find(needle, i + 1)
    if len(hits) > _MAX_HITS:
        # Folded offsets are close to the original ones (the fold mostly drops spaces).
        hits = sorted(sorted(hits, key=lambda h: abs(h - (near or 0)))[:_MAX_HITS])
    return hits


def _encode(text: str, code: dict[str, str]) -> bytes:
    table = {ord(c): code.get(c, "\x00") for c in set(text)}
    return text.translate(table).encode("latin-1")


def _locations(query: bytes, target: bytes, max_errors: int) -> list[tuple[int, int]]:
    """Return edlib's best infix alignments as (start, end) with end exclusive."""
    if not query or not target:
        return []
    result = edlib.align(query, target, mode="HW", task="locations", k=max_errors)
    if result["editDistance"] < 0:
        return []
    return [(a, b + 1) for a, b in result["locations"]]


def _approximate_spans(query: bytes, target: bytes, max_errors: int, limit: int) -> list[tuple[int, int]]:
    """Return up to ``limit`` distinct spans within ``max_errors`` edits, best first.

    edlib reports only the alignments at the best distance, so each round masks what it found
    (byte 0 matches nothing in the query) and searches again for the runner-up.
    """
    masked = bytearray(target)
    spans: list[tuple[int, int]] = []
    while len(spans) < limit:
        found = _locations(query, bytes(masked), max_errors)
        if not found:
            break
        for a, b in _distinct(found):
            spans.append((a, b))
            masked[a:b] = bytes(b - a)
            if len(spans) == limit:
                break
    return spans


def _distinct(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # edlib lists every end position at the best distance; neighbours are the same match.
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a < out[-1][1]:
            continue
        out.append((a, b))
    return out


def _group_edges(spans: list[tuple[int, int]], *, last: bool) -> list[int]:
    """Return one edge per group of overlapping alignments: the latest end or the earliest start."""
    edges: list[int] = []
    group_end = -1
    for a, b in sorted(spans):
        if a < group_end:
            if last:
                edges[-1] = max(edges[-1], b)
            group_end = max(group_end, b)
            continue
        edges.append(b if last else a)
        group_end = b
    return sorted(edges)


def _side_similarity(captured: str, text: str, offset: int, *, before: bool) -> float | None:
    """Compare the captured prefix (or suffix) with the words just before (or after) a span.

    As in Hypothesis, the score is 1 − edits/length of the best alignment of the captured context
    that ends at the span (or starts at it), so a word inserted nearby costs that word, not the
    whole window.
    """
    if not captured:
        return None
    reach = 3 * len(captured) + 16
    width = len(captured) + len(captured) // 2
    if before:
        window = _fold(text[max(0, offset - reach) : offset], loose=True).text[-width:]
        query, target = captured[::-1], window[::-1]
    else:
        window = _fold(text[offset : offset + reach], loose=True).text[:width]
        query, target = captured, window
    if not target:
        return 0.0
    if len(set(query + target)) > 256:
        # Beyond edlib's alphabet (a long CJK context): compare the same number of characters.
        return Levenshtein.normalized_similarity(query, target[: len(query)])
    # "SHW": anchored where the span is, free where the window ends.
    distance = edlib.align(query, target, mode="SHW", task="distance")["editDistance"]
    return max(0.0, 1.0 - distance / len(captured))


# --- Telling "removed" from "the page changed wholesale" ------------------------------------------------


def _page_still_reads_alike(quote: _Quote, main: _Folded, previous_text: str | None) -> bool:
    """Tell whether the page is still the article the quote was in (so the quote was removed)."""
    words = main.text.split()
    if previous_text and previous_text.strip():
        before = _fold(_without(quote, previous_text), loose=True).text.split()
        return _shingle_similarity(before, words) >= GONE_SIMILARITY
    # No earlier text: does the page still use the words of the quote and its surroundings?
    own = {w for w in f"{quote.prefix} {quote.loose} {quote.suffix}".split() if len(w) >= 4}
    if not own:
        return False
    return len(own & set(words)) / len(own) >= GONE_SIMILARITY


def _without(quote: _Quote, text: str) -> str:
    strict = _fold(text, loose=False)
    f = strict.text.find(quote.strict)
    if f == -1:
        return text
    return text[: strict.source_start(f)] + " " + text[strict.source_stop(f + len(quote.strict)) :]


def _shingle_similarity(a: list[str], b: list[str]) -> float:
    """Return the Dice coefficient of two word lists' 3-word shingles (linear time, unlike ratio)."""
    shingles_a, shingles_b = _shingles(a), _shingles(b)
    if not shingles_a or not shingles_b:
        return 0.0
    return 2 * len(shingles_a & shingles_b) / (len(shingles_a) + len(shingles_b))


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    if len(words) < 3:
        return {tuple(words)} if words else set()
    return set(zip(words, words[1:], words[2:], strict=False))


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c in "'ʼ-"


def _first_space(text: str) -> int | None:
    match = re.search(r"\s+", text)
    return match.end() if match else None


def _last_space(text: str) -> int | None:
    index = max(text.rfind(" "), text.rfind("\n"))
    return index if index >= 0 else None
