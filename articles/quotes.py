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

import codecs
import difflib
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate, pairwise
from typing import Any

import edlib
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from articles import languages

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
# Issue 13: a candidate must still have half the quote's content words (not function words) to be
# reported as the quote edited; a paragraph deleted must not be "replaced" by its neighbour.
CONTENT_OVERLAP_FLOOR = 0.5
IN_PLACE_SIDE_SIMILARITY = 0.6  # Each captured side at least this alike: the candidate stands in the quote's place.
MIN_LOOKALIKE_LENGTH = 20  # A candidate this long that stood elsewhere before is another passage.
REWRITTEN_NOTE = "Most of the quoted words are no longer there: the passage in their place was rewritten."
SAME_PAGE_SHARE = 0.5  # Half the previous text in paragraphs unchanged: the page is still the article.
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
# Dropped by the loose fold: stress marks in Cyrillic text ("сто́ит"), which NFKC keeps.
_STRESS_MARKS = frozenset("\u0300\u0301")
# Folded by the loose fold: Russian writes "ё" or "е" for the same letter.
_LOOSE_LETTERS = {"ё": "е"}
# NFKC would turn an acute accent typed as an apostrophe ("Trump´s") into a space and a combining mark.
_BEFORE_NFKC = str.maketrans({"´": "'"})
# Kept by the loose fold although they are punctuation: "5%" and "5", "-5" and "5" are different claims.
_KEPT_PUNCTUATION = frozenset("%‰‱")
_DASH_BEFORE_DIGIT = re.compile(r"[-‐‑‒–—―−](?=\d)")
_SPACE_RUN = re.compile(" {2,}")
_SPACE_RUN_SPLIT = re.compile("( {2,})")
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
    note: str = ""  # why the status is what it is, where the words alone would not say


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


def locate(
    selector: Selector,
    main_text: str,
    full_text: str = "",
    *,
    previous_text: str | None = None,
    language: str = "",
) -> Location:
    """Find the selector's passage in a new version of the text and say what became of it.

    ``main_text`` and ``full_text`` are the new snapshot's texts; ``previous_text`` (the main text
    the quote was last found in) tells a removed quote from a page that changed wholesale;
    ``language`` (ISO 639-1, the snapshot's) chooses the substance rules (``articles.languages``).
    Offsets in the result are into ``main_text``, or into ``full_text`` when ``searched_in == "full"``.
    """
    quote = _Quote.from_selector(selector)
    main_text, full_text = main_text or "", full_text or ""
    if not quote.strict or not (main_text.strip() or full_text.strip()):
        return _nothing(NOT_CHECKED, "")
    rules = languages.rules_for_text(language, selector.exact)
    main = _Searcher(quote, main_text, hint=selector.start, searched_in="main", previous=previous_text, rules=rules)
    rest = _Searcher(
        quote, _outside(main_text, full_text), hint=None, searched_in="full", rules=rules, previous=previous_text
    )
    has_rest = bool(full_text.strip()) and full_text != main_text
    found = main.search() if main_text.strip() else None
    if found is not None:
        if found.status in _APPROXIMATE and has_rest:
            # The extractor drops headings and passages: the words verbatim elsewhere on the page
            # beat a guess at a changed version of them in the main text.
            verbatim = rest.search(verbatim_only=True)
            if verbatim is not None:
                return verbatim
        return found
    searched_in = "main"
    if has_rest:
        searched_in = "full"
        found = rest.search()
        if found is not None:
            return found
    if not main_text.strip():
        # An empty main text is an extraction failure, never evidence that the quote was removed.
        return _nothing(NOT_CHECKED, "")
    if _page_still_reads_alike(quote, main_text, previous_text):
        return _nothing(GONE, searched_in)
    return _nothing(GONE_WITH_PAGE, searched_in)


_APPROXIMATE = frozenset({EDITED, EDITED_SUBSTANTIVE, UNCERTAIN})


@lru_cache(maxsize=4)
def _outside(main_text: str, full_text: str) -> str:
    """Return the full text with the main text blanked out where it stands in it (offsets kept)."""
    inside = full_text.find(main_text) if main_text.strip() else -1
    if inside < 0:
        return full_text
    return full_text[:inside] + " " * len(main_text) + full_text[inside + len(main_text) :]


# --- The substantive-change detector --------------------------------------------------------------
#
# The words that make a change one of substance (negations, denials, numbers, dates, hedges) are
# data, per language: ``articles.languages`` (issue 13). Names are capitalised words that do not
# open a sentence, except in German, which capitalises every noun: there a name is a capitalised
# word the article also writes next to another capitalised word mid-sentence ("Dmitri Peskow").

_TOKEN = re.compile(r"(?:(?<!\w)[-−])?[$€£¥₴₽]?\d+(?:[.,:/]\d+)*(?:%|\w*)|\w+(?:['ʼ’`]\w+)*|[%$€£¥₴₽]")
_NUMERIC = re.compile(r"[-−]?\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class _Word:
    text: str
    opens_sentence: bool  # capitalised for grammar's sake, so no sign of a name
    key: str = ""
    name: bool | None = None  # decided by the text it stands in; None: by its shape alone

    @classmethod
    def of(cls, text: str, opens_sentence: bool) -> _Word:
        return cls(text, opens_sentence, languages.word_key(text))


_Change = tuple[list[_Word], list[_Word]]
# What ends a sentence before a word: ". ", '." ', a paragraph break, with any opening quotation mark.
_SENTENCE_BREAK = re.compile(r"(?:[.!?][\"'”’»)]*\s+|\n)[\"'“‘«„(]*$")
_SENTENCE_START = re.compile(r"(?:[.!?][\"'”’»)]*\s+|\n)[\"'“‘«„(]*")


def substantive_change(changes: Iterable[tuple[str, str]], language: str = "") -> str:
    """Name the first kind of substantive change among (old words, new words) pairs, or return "".

    The kinds are "negation", "denial", "date", "number", "hedge" and "name", judged by the rules
    of ``language`` (an ISO 639-1 code) and English, or of every supported language when it is
    not given. A swap between hedges of the same strength ("probably" ↔ "likely", "may" ↔
    "might", "will" ↔ "would") is a copy-edit, not a change of substance: DESIGN §5.8 lists hedge
    words as substantive, but the seed story shows outlets making exactly this swap while reporting
    the same claim (STORY.md), and both outcomes flag the dispute anyway; only the priority
    differs. A name is a capitalised word that does not open a sentence, nor a common word such as
    "The" (``locate`` also takes a word opening a sentence for a name when the article capitalises
    it mid-sentence elsewhere).
    """
    pairs = list(changes)
    rules = languages.rules_for_text(language, " ".join(f"{a} {b}" for a, b in pairs))
    # The words are given without their sentence: a capital is taken at its word (", Peskov").
    return _kind_of_change(((_words_in(old, " "), _words_in(new, " ")) for old, new in pairs), rules)


def _kind_of_change(changes: Iterable[_Change], rules: languages.Rules) -> str:
    for old, new in changes:
        old, new = _what_changed(old, new)
        # An elided article or preposition is glued to its word: "nell'Ottobre", "l'accordo".
        keys = [part for w in [*old, *new] for part in _elided(w.key)]
        if any(rules.is_negation(k) for k in keys) or rules.negated_by_affix(
            [w.key for w in old], [w.key for w in new]
        ):
            return "negation"
        if any(rules.is_denial(k) for k in keys):
            return "denial"
        if any(rules.is_date(part, w.text.rsplit("'", 1)[-1]) for w in [*old, *new] for part in _elided(w.key)):
            return "date"
        if _number_changed(old, new, rules):
            return "number"
        if _hedge_changed([w.key for w in old], [w.key for w in new], rules):
            return "hedge"
        if any(_is_name(w, rules) for w in [*old, *new]):
            return "name"
    return ""


def _only_critical(change: _Change, rules: languages.Rules) -> bool:
    """Tell whether every changed word of a chunk is, on its own, a negation, denial, date, number, hedge or name."""
    old, new = _what_changed(*change)
    if rules.negated_by_affix([w.key for w in old], [w.key for w in new]):
        return True  # "exact" → "inexact": a negation made by an affix
    return all(_kind_of_change([([w], [])], rules) for w in [*old, *new])


def _elided(key: str) -> list[str]:
    """Return a word key and, after an apostrophe, the word an elision is glued to ("nell'ottobre" → "ottobre")."""
    if "'" not in key:
        return [key]
    last = key.rsplit("'", 1)[1]
    return [key, last] if len(last) >= 3 else [key]


def _what_changed(old: list[_Word], new: list[_Word]) -> _Change:
    """Drop the words a replaced chunk has on both sides: only the others changed ("A said" → "said A")."""
    both = Counter(w.key for w in old) & Counter(w.key for w in new)
    if not both:
        return old, new
    kept = []
    for side in (old, new):
        left, out = Counter(both), []
        for w in side:
            if left[w.key] > 0:
                left[w.key] -= 1
            else:
                out.append(w)
        kept.append(out)
    return kept[0], kept[1]


def _number_changed(old: list[_Word], new: list[_Word], rules: languages.Rules) -> bool:
    numbers = [w for w in [*old, *new] if rules.is_number(w.key)]
    if not numbers:
        return False
    # "10 000" → "10000" or "1,000" → "1000": one number regrouped in the page's own convention.
    if old and new and all(_NUMERIC.fullmatch(w.text) for w in [*old, *new]):
        return not rules.same_number(" ".join(w.text for w in old), " ".join(w.text for w in new))
    return True


def _hedge_changed(old_words: Sequence[str], new_words: Sequence[str], rules: languages.Rules) -> bool:
    old_hedges, new_hedges = rules.hedges_in(old_words), rules.hedges_in(new_words)
    for hedge in list(old_hedges):
        partner = next((h for h in new_hedges if rules.same_strength(hedge, h)), None)
        if partner is not None:
            old_hedges.remove(hedge)
            new_hedges.remove(partner)
    return bool(old_hedges or new_hedges)


def _is_name(word: _Word, rules: languages.Rules) -> bool:
    if word.name is not None:
        return word.name
    text = word.text
    if not text[:1].isupper() or word.opens_sentence or text == "I" or rules.capitalises_nouns:
        return False
    return not _common(word.key, rules)


def _common(key: str, rules: languages.Rules) -> bool:
    # Stop lists hold some proper names ("україни"); only short words are taken as common on their word.
    return key in rules.not_names or (key in rules.function_words and len(key) <= 5)


def _capitalised_mid_sentence(word: str, text: str) -> bool:
    for match in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", text):
        at = match.start()
        if at > 0 and not _SENTENCE_BREAK.search(text[max(0, at - 8) : at]):
            return True
    return False


def _words_in(text: str, before: str | None = None) -> list[_Word]:
    """Split a passage into words, noting which open a sentence.

    ``before`` is the text preceding the passage; None or "" at the start means nothing precedes
    it, so its first word opens a sentence (a quote captured from the top of a text, or a list of
    changed words given without context, opens with a word capitalised for grammar's sake).
    """
    return list(_words_cached(text, before or ""))


@lru_cache(maxsize=512)
def _words_cached(text: str, before: str) -> tuple[_Word, ...]:
    # Where a sentence starts: one pass over the text, not a look-back at every word.
    starts = {m.end() for m in _SENTENCE_START.finditer(text)}
    words = []
    for match in _TOKEN.finditer(text):
        at = match.start()
        if at == 0 and not before:
            opens = True
        elif at < 8:
            opens = _SENTENCE_BREAK.search(before[-8:] + text[:at]) is not None
        else:
            opens = at in starts
        words.append(_Word.of(match.group(), opens))
    return tuple(words)


def _changes(old: str, new: str, *, old_before: str = "", new_before: str = "") -> list[_Change]:
    """Return the words that differ between two passages, ignoring case, stress marks and punctuation."""
    old_words, new_words = _words_in(old, old_before), _words_in(new, new_before)
    matcher = difflib.SequenceMatcher(None, [w.key for w in old_words], [w.key for w in new_words], autojunk=False)
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
    """Fold a text for matching: strict (as normalise does) or loose (no case, no punctuation).

    The last few page-sized texts are kept folded: a check locates every quote of a source in the
    same snapshot, and one search folds the same text several times.
    """
    if len(text) < 2048:
        return _fold_uncached(text, loose=loose)
    return _fold_cached(text, loose)


@lru_cache(maxsize=16)
def _fold_cached(text: str, loose: bool) -> _Folded:
    return _fold_uncached(text, loose=loose)


def _fold_uncached(text: str, *, loose: bool) -> _Folded:
    if not _NEEDS_SLOW_FOLD[loose].search(text) and unicodedata.is_normalized("NFKC", text):
        # Every change is one character for one character (case folding too: "ß" stays one
        # letter, see _casefold_char), so offsets carry over until spaces collapse. Extracted
        # texts are NFKC already: this is the path a page takes, German and Cyrillic alike. Each
        # replacement is one precompiled character class run over the text in C (str.translate
        # with a dict, or a set of a Cyrillic text's characters, costs ten times as much).
        if not loose:
            for pattern, replacement in _STRICT_REPLACEMENTS:
                if pattern.search(text):
                    text = pattern.sub(replacement, text)
            return _collapse(text)
        lowered = _casefold_in_place(text)
        if lowered is not None:
            if "ё" in lowered:
                lowered = lowered.replace("ё", "е")
            translated = _loose_space().sub(" ", lowered)
            return _collapse(_keep_numeric_signs(text, translated))
    return _fold_slowly(text, loose)


def _casefold_in_place(text: str) -> str | None:
    """Case-fold a text character for character ("ß" kept as one letter), or None if that cannot be done."""
    folded = text.casefold()
    if len(folded) == len(text):
        return folded
    parts = text.replace("ẞ", "ß").split("ß")
    folded_parts = [part.casefold() for part in parts]
    if any(len(a) != len(b) for a, b in zip(parts, folded_parts, strict=True)):
        return None
    return "ß".join(folded_parts)


@lru_cache(maxsize=4096)
def _casefold_char(c: str) -> str:
    """Case-fold one character to one character: "ẞ" and "ß" fold alike, but not into "ss"."""
    folded = c.casefold()
    if len(folded) == 1:
        return folded
    lowered = c.lower()
    return lowered if len(lowered) == 1 else c


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
    if c in _INVISIBLE or (loose and c in _STRESS_MARKS):
        return ""
    if loose and c in _LOOSE_LETTERS:
        return _LOOSE_LETTERS[c]
    if c.isspace():
        return " "
    if c in _QUOTE_MARKS:
        return " " if loose else _QUOTE_MARKS[c]
    if c in _DASHES:
        return " " if loose else "-"
    if loose and c not in _KEPT_PUNCTUATION and unicodedata.category(c).startswith("P"):
        return " "
    return c


def _character_class_of(predicate: Callable[[str], bool]) -> str:
    """Return a regular-expression class of the Basic Multilingual Plane characters that satisfy ``predicate``."""
    members = [chr(i) for i in range(0x10000) if not 0xD800 <= i <= 0xDFFF and predicate(chr(i))]
    return "[" + "".join(re.escape(c) for c in members) + "]"


# What the fast path of _fold_uncached replaces, the same as _fold_char does character by character.
_STRICT_REPLACEMENTS = [
    (re.compile("[" + "".join(re.escape(c) for c, m in _QUOTE_MARKS.items() if m == "'") + "]"), "'"),
    (re.compile("[" + "".join(re.escape(c) for c, m in _QUOTE_MARKS.items() if m == '"') + "]"), '"'),
    (re.compile("[" + "".join(re.escape(c) for c in sorted(_DASHES)) + "]"), "-"),
    (re.compile(r"[^\S ]"), " "),
]


@cache
def _loose_space() -> re.Pattern[str]:
    """Return the class of characters the loose fold turns into a space (built on first use: ~50 ms)."""
    return re.compile(
        _character_class_of(
            lambda c: (
                c not in _INVISIBLE
                and c not in _STRESS_MARKS
                and c not in _LOOSE_LETTERS
                and _fold_char(c, True) == " "
                and c != " "
            )
        )
    )


_NEEDS_SLOW_FOLD = {
    False: re.compile("[" + "".join(sorted(_INVISIBLE)) + "]"),
    True: re.compile("[" + "".join(sorted(_INVISIBLE | _STRESS_MARKS)) + "]"),
}


def _collapse(text: str) -> _Folded:
    start = len(text) - len(text.lstrip(" ")) if text.startswith(" ") else 0
    stop = len(text.rstrip(" ")) if text.endswith(" ") else len(text)
    if start >= stop:
        return _Folded("", [0], [0], 0)
    if "  " not in text:
        return _Folded(text[start:stop], [0], [start], stop)
    # Words and runs of spaces alternate: word, run, word, … The folded text joins the words with
    # one space; segment k starts at the k-th word, in the folded text and in the original. All of
    # it in C (split, map, accumulate): a page folded loosely has a run at every comma.
    parts = _SPACE_RUN_SPLIT.split(text[start:stop])
    words = parts[0::2]
    seg_o = list(accumulate(map(len, parts), initial=start))[0::2]
    seg_f = list(accumulate(map((1).__add__, map(len, words[:-1])), initial=0))
    return _Folded(" ".join(words), seg_f, seg_o, stop)


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
            piece = "".join(_casefold_char(ch) for ch in piece)
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
    prefix_strict: str  # the captured context folded strictly, for verbatim look-ups
    suffix_strict: str
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
            prefix_strict=_fold(selector.prefix, loose=False).text,
            suffix_strict=_fold(selector.suffix, loose=False).text,
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
        self,
        quote: _Quote,
        text: str,
        *,
        hint: int | None,
        searched_in: str,
        rules: languages.Rules,
        previous: str | None = None,
        window: bool = False,
    ) -> None:
        self.quote = quote
        self.window = window  # a stretch of a text, searched whole
        self.rules = rules
        self._name_pairs: frozenset[str] | None = None
        self._content: Counter[str] | None = None
        self._share: float | None = None
        self._changes: dict[tuple[int, int], list[_Change]] = {}
        self._regions: list[tuple[int, int]] | None = None
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

    def search(self, *, verbatim_only: bool = False) -> Location | None:
        """Run the exact, normalised and approximate passes; None if nothing is there."""
        quote = self.quote
        strict = _fold(self.text, loose=False)
        hits = [
            self.candidate(strict.source_start(f), strict.source_stop(f + len(quote.strict)), 1.0)
            for f in _find_all(quote.strict, strict.text, near=self.hint)
        ]
        status = PRESENT
        # The normalised pass needs every word of the quote in a row: below the floor of
        # co-occurring content words it cannot succeed, and a removed quote costs no loose fold.
        # (Checking for a verbatim copy elsewhere, every word must be there.)
        if not hits and quote.loose and self.word_share() >= (1.0 if verbatim_only else CONTENT_OVERLAP_FLOOR):
            hits = []
            for at, part in self.parts():
                loose = part.loose
                near = None if self.hint is None else self.hint - at
                hits += [
                    self.candidate(at + loose.source_start(f), at + loose.source_stop(f + len(quote.loose)), 1.0)
                    for f in _find_all(quote.loose, loose.text, near=near)
                ]
            status = PRESENT_NORMALISED
        if hits:
            hits.sort(key=lambda c: c.score, reverse=True)
            best = hits[0]
            if best.context is not None and best.context < POOR_CONTEXT and not verbatim_only:
                # The words are here, but among other words than the captured ones. If the captured
                # place still exists with a corrected name or number in it, this hit is another
                # mention of the old words (hypothesis/h#2798): report the place, not the lookalike.
                # Anything short of such a correction leaves the verbatim hit standing: a sentence
                # inserted before a quote weakens its context, not its words.
                replaced = [
                    c
                    for c in self.anchored_candidates()
                    if (c.context or 0) >= best.context + PICK_CONTEXT_LEAD
                    and not any(c.overlaps(h) for h in hits)
                    and self.corrected(c)
                ]
                if replaced:
                    return _replaced_in_place(self, replaced[0], hits)
            return _present(self, hits, status)
        if verbatim_only:
            return None
        candidates = [
            c
            for c in self.fuzzy_candidates()
            if (self.overlap(c) >= CONTENT_OVERLAP_FLOOR or self.rewritten(c))
            and not self.stood_before(c)
            and (self.searched_in == "main" or _placed(c))
        ]
        if not candidates:
            return None
        return _judge(self, candidates)

    def word_share(self) -> float:
        """Return the largest share of the quote's content words found together anywhere in the text.

        "Together" is within a window half again the quote's length. No candidate below the
        overlap floor is ever reported (except a rewrite at the quote's own place, found from its
        context), so where no window reaches the floor the costly passes need not run: that is
        what makes a "gone" verdict cheap. The words are looked for with str.find in the case-folded
        text (C speed); a text with stress marks or invisible characters is not judged (1.0).
        """
        if self._share is not None:
            return self._share
        keys = sorted(self.content_words())
        low = None if _NEEDS_SLOW_FOLD[True].search(self.text) else _casefold_in_place(self.text)
        if not keys or low is None or ("ß" in low and any("ss" in k for k in keys)):
            self._share = 1.0  # not judged: every stretch is searched
            return self._share
        if "ё" in low:
            low = low.replace("ё", "е")
        hits: list[tuple[int, int, str]] = []
        # Word keys drop grave and acute accents ("réforme" → "reforme"); the text keeps them, so
        # each word is also looked for as the quote writes it, case-folded.
        written: dict[str, set[str]] = {}
        for word in _words_in(self.quote.exact):
            if word.key in self.content_words():
                written.setdefault(word.key, set()).add(
                    _casefold_in_place(unicodedata.normalize("NFKC", word.text)) or word.key
                )
        for key in keys:
            # Word keys fold "ß" to "ss"; the text keeps it as one letter, offsets one for one.
            for spelling in {key, key.replace("ss", "ß"), *(w.replace("ё", "е") for w in written.get(key, ()))}:
                at, found = low.find(spelling), 0
                while at != -1 and found < _MAX_SCANNED:
                    end = at + len(spelling)
                    if (at == 0 or not low[at - 1].isalnum()) and (end == len(low) or not low[end].isalnum()):
                        hits.append((at, end, key))
                        found += 1
                    at = low.find(spelling, at + 1)
        hits.sort()
        width = int(1.5 * len(self.quote.exact)) + 40
        enough = CONTENT_OVERLAP_FLOOR * len(keys)
        best, inside, first = 0, Counter[str](), 0
        regions: list[tuple[int, int]] = []
        for at, end, key in hits:
            inside[key] += 1
            while hits[first][0] < at - width:
                gone = hits[first][2]
                inside[gone] -= 1
                if not inside[gone]:
                    del inside[gone]
                first += 1
            best = max(best, len(inside))
            if len(inside) >= enough:
                regions.append((hits[first][0], end, len(inside)))
        self._share = best / len(keys)
        # The few stretches richest in the quote's words (nearest its old place among equals): a
        # candidate is looked for in as many as there are candidates kept.
        merged = _whole_words(
            _merged([(a, b) for a, b, _ in regions], pad=2 * len(self.quote.exact), limit=len(self.text)), self.text
        )
        richness = [0] * len(merged)
        i = 0
        for a, _end, n in sorted(regions):  # both sorted: one pass
            while i < len(merged) - 1 and a >= merged[i][1]:
                i += 1
            richness[i] = max(richness[i], n)
        ranked = sorted(
            zip(merged, richness, strict=True),
            key=lambda item: (-item[1], abs(item[0][0] - (self.hint or 0))),
        )
        self._regions = sorted(span for span, _ in ranked[:_MAX_CANDIDATES])
        return self._share

    def parts(self) -> list[tuple[int, _Searcher]]:
        """Return the stretches of the text where the quote's words stand together, each as a searcher of its own.

        Each comes with its offset in the text. Folding and encoding a page-sized text costs more
        than searching it; the stretches are a few times the quote's length. A text not judged by
        word_share (or a stretch itself) is one part: itself.
        """
        self.word_share()
        if self.window or self._regions is None:
            return [(0, self)]
        return [
            (
                a,
                _Searcher(
                    self.quote, self.text[a:b], hint=None, searched_in=self.searched_in, rules=self.rules, window=True
                ),
            )
            for a, b in self._regions
        ]

    def content_words(self) -> Counter[str]:
        if self._content is None:
            self._content = _content_words(self.quote.exact, self.rules)
        return self._content

    def overlap(self, candidate: _Candidate) -> float:
        """Return the share of the quote's content words that the candidate still has (multiset)."""
        mine = self.content_words()
        if not mine:
            return 1.0
        theirs = _content_words(self.text[candidate.start : candidate.end], self.rules)
        return sum((mine & theirs).values()) / sum(mine.values())

    def in_place(self, candidate: _Candidate) -> bool:
        """Tell whether both captured sides stand around the candidate as captured: the quote's own place."""
        if candidate.p is None or candidate.s is None:
            return False
        return (
            min(candidate.p, candidate.s) >= IN_PLACE_SIDE_SIMILARITY
            and (candidate.context or 0) >= ANCHORED_CONTEXT_SIMILARITY
        )

    def stood_before(self, candidate: _Candidate) -> bool:
        """Tell whether the candidate's words stood, word for word, elsewhere in the previous text.

        Such a passage was there beside the quote all along (a lookalike sentence, a repeated
        slot): it is not what became of the quote. Short spans are left alone, as common phrases.
        """
        if not self.previous:
            return False
        words = _fold(self.text[candidate.start : candidate.end], loose=False).text
        if len(words) < MIN_LOOKALIKE_LENGTH:
            return False
        before = _fold(self.previous, loose=False).text.count(words)
        return before > self.quote.strict.count(words)

    def rewritten(self, candidate: _Candidate) -> bool:
        """Tell whether a candidate below the overlap floor is the quote's place holding other words.

        It must stand where the quote stood (both captured sides around it) and be at least half
        the quote's length: a word or two left between the sides (an "ADVERTISEMENT" slot) is what
        remains where a passage was deleted, and the quote is gone.
        """
        if self.searched_in == "full" or not self.in_place(candidate):
            # Outside the main text the captured context says nothing of the place: the rest of
            # the page is laid out otherwise (menus, captions), so only the words can vouch.
            return False
        return 2 * len(_words_in(self.text[candidate.start : candidate.end])) >= len(_words_in(self.quote.exact))

    def corrected(self, candidate: _Candidate) -> bool:
        """Tell whether every word that differs between the quote and the candidate is a critical one.

        That is a correction ("Dmitry Peskov" → "Yuri Ushakov", "12" → "21"): a chunk of ordinary
        words replaced along with a name is a rewrite, whatever names it holds.
        """
        changes = self.changes(candidate)
        return bool(changes) and all(_only_critical(change, self.rules) for change in changes)

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

    def best_start(self, a: int, b: int) -> int:
        """Return the word start in an alignment's first words that fits the quote best.

        edlib gives one start per end, and of equal cost it may take a neighbouring word in
        ("проти неї, і домовленостей…" for "і жодних домовленостей…"): among the word starts
        near it, the one with the fewest edits wins; of those, one that opens with the quote's
        first word, then the span nearest the quote's length.
        """
        folded, quote = self.loose.text, self.quote.loose
        first = quote.split(" ", 1)[0] + " "
        reach = min(b, a + len(quote) // 2)
        starts = {a} | {i + 1 for i in range(max(0, a - 1), reach) if folded[i] == " "}
        return min(
            (s for s in starts if s < b),
            key=lambda s: (
                Levenshtein.distance(quote, folded[s:b]),
                not folded.startswith(first, s),
                abs(b - s - len(quote)),
                s,
            ),
            default=a,
        )

    def encoded(self) -> tuple[dict[str, str], bytes]:
        """Return the loose text as bytes for edlib, in an alphabet drawn from the quote and context.

        edlib compares at most 256 distinct symbols per call; a Cyrillic page with Latin names,
        digits and punctuation can have more. Characters that appear in neither quote nor context
        cannot match anyway, so they all become byte 0.
        """
        if self._encoded is None:
            ranked, code = _alphabet(self.quote.loose + self.quote.prefix + self.quote.suffix)
            self._encoded = (
                code,
                _encode(self.loose.text, code) if len(ranked) > 254 else _encode_page(self.loose.text, ranked),
            )
        return self._encoded

    def fuzzy_candidates(self) -> list[_Candidate]:
        """Find the best few approximate matches and what stands between the captured context."""
        if not self.quote.loose:
            return []
        max_errors = min(MAX_ERRORS, len(self.quote.loose) // 2)
        found: list[_Candidate] = []
        if self.word_share() >= CONTENT_OVERLAP_FLOOR:
            # Only where enough of the quote's words stand together can a candidate pass the floor.
            for at, part in self.parts():
                code, target = part.encoded()
                query = _encode(self.quote.loose, code)
                for a, b in _approximate_spans(query, target, max_errors, _MAX_CANDIDATES):
                    candidate = part.loose_candidate(part.best_start(a, b), b)
                    if candidate is not None and part is not self:
                        candidate = self.candidate(candidate.start + at, candidate.end + at, candidate.q)
                    if candidate is not None and self.worth_showing(candidate):
                        found.append(candidate)
        if self.searched_in == "main" and not any(self.in_place(c) for c in found) and not self.context_closed_up():
            # (A candidate found already between both sides of the context is that place.)
            # Outside the main text the captured context says nothing of the place (_Searcher.rewritten).
            found += self.anchored_candidates()
        kept: list[_Candidate] = []
        for candidate in sorted(found, key=lambda c: c.score, reverse=True):
            if not any(candidate.overlaps(other) for other in kept):
                kept.append(candidate)
        return kept

    def changes(self, candidate: _Candidate) -> list[_Change]:
        """Return the words in which a candidate differs from the captured quote (worked out once per span)."""
        span = (candidate.start, candidate.end)
        if span not in self._changes:
            self._changes[span] = self._changes_of(candidate)
        return self._changes[span]

    def _changes_of(self, candidate: _Candidate) -> list[_Change]:
        changes = _changes(
            self.quote.exact,
            self.text[candidate.start : candidate.end],
            old_before=self.quote.prefix_as_captured,
            new_before=self.text[max(0, candidate.start - 8) : candidate.start],
        )
        return [(self.with_names_known(old), self.with_names_known(new)) for old, new in changes]

    def name_pairs(self) -> frozenset[str]:
        """Return the words this text (and the quote) write beside another capitalised word mid-sentence.

        For German, which capitalises every noun: "Sprecher Dmitri Peskow" makes "Dmitri" and
        "Peskow" names, whereas a noun stands after a lowercase article or adjective.
        """
        if self._name_pairs is None:
            found: set[str] = set()
            for text in (self.quote.exact, self.text):
                words = _words_in(text)
                for a, b in pairwise(words):
                    if a.text[:1].isupper() and b.text[:1].isupper() and not b.opens_sentence:
                        if not a.opens_sentence:
                            found.add(a.key)
                        found.add(b.key)
            self._name_pairs = frozenset(found)
        return self._name_pairs

    def with_names_known(self, words: list[_Word]) -> list[_Word]:
        """Take a word that opens a sentence for a name when the article capitalises it elsewhere too.

        "Peskov said…" becoming "Ushakov said…" is a corrected name although both open a sentence:
        the article also writes "spokesman Dmitry Peskov", whereas it never writes "Subsequently"
        capitalised mid-sentence.
        """
        rules = self.rules
        judged = []
        for w in words:
            if not w.text[:1].isupper() or w.text == "I" or _common(w.key, rules):
                name = False
            elif rules.capitalises_nouns:
                name = w.key in self.name_pairs()
            elif w.opens_sentence:
                name = _capitalised_mid_sentence(w.text, self.text)
            else:
                name = True
            judged.append(_Word(w.text, w.opens_sentence, w.key, name))
        return judged

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

    def near_sides(self) -> list[str]:
        """Return the context's words next to the quote, strict-folded: the last three before, the first three after."""
        prefix, suffix = self.quote.prefix_strict, self.quote.suffix_strict
        return [side for side in (" ".join(prefix.split()[-3:]), " ".join(suffix.split()[:3])) if len(side) >= 8]

    def context_windows(self) -> list[tuple[int, int]] | None:
        """Return the stretches (original offsets) around verbatim words of the context, or None for the whole text.

        A page-sized text is searched between its context only where the words next to the quote
        stand verbatim on one side at least (context_closed_up); a short text is searched whole.
        """
        reach = 2 * (2 * len(self.quote.loose) + 40 + 2 * max(len(self.quote.prefix), len(self.quote.suffix)))
        if len(self.text) <= 4 * reach:
            return None
        strict = _fold(self.text, loose=False)
        spans = []
        for side in self.near_sides():
            for f in _find_all(side, strict.text, near=self.hint)[: _MAX_CANDIDATES * 4]:
                o = strict.source_start(f)
                spans.append((o, o + len(side)))
        return _merged(spans, pad=reach, limit=len(self.text))

    def context_closed_up(self) -> bool:
        """Tell whether no place between the captured context can be left: the context is gone, or closed up.

        The search between prefix and suffix (anchored_candidates) needs one side found nearly as
        captured; in practice a rewrite at the quote's place leaves the words next to it on at
        least one side as they were. So when neither the prefix's last words nor the suffix's
        first words stand verbatim in the text, or prefix and suffix now stand side by side,
        there is no such place, and the costly search is skipped.
        """
        prefix, suffix = self.quote.prefix_strict, self.quote.suffix_strict
        if len(prefix) < 8 or len(suffix) < 8:
            return False
        text = _fold(self.text, loose=False).text
        if f"{prefix} {suffix}" in text or f"{prefix}{suffix}" in text:
            return True
        return not any(side in text for side in self.near_sides())

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
        windows = self.context_windows() if not self.window else None
        if windows is not None:
            # Search only around where the words next to the quote still stand, each stretch as a
            # text of its own, and score what is found there against the whole text.
            found = []
            for wa, wb in windows:
                part = _Searcher(
                    self.quote, self.text[wa:wb], hint=None, searched_in=self.searched_in, rules=self.rules, window=True
                )
                found += [self.candidate(c.start + wa, c.end + wa, c.q) for c in part.anchored_candidates()]
            return [c for c in found if (c.context or 0) >= ANCHORED_CONTEXT_SIMILARITY]
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
    before = searcher.previous_paragraph() if searcher.searched_in == "main" else None
    if before is not None:
        return not _same_paragraph(searcher.quote, before, _paragraph(searcher.text, hit.start, hit.end))
    if searcher.hint is None:
        return hit.context is not None and hit.context < POOR_CONTEXT
    return False


def _paragraph(text: str, start: int, end: int) -> str:
    stop = text.find("\n", end)
    return text[text.rfind("\n", 0, start) + 1 : len(text) if stop == -1 else stop]


def _same_paragraph(quote: _Quote, before: str, after: str) -> bool:
    """Tell whether two paragraphs holding the quote are one paragraph, perhaps copy-edited or grown.

    A paragraph with a sentence added (or taken out) is the same paragraph: the words the shorter
    one had besides the quote mostly stand in the longer one too.
    """
    rest_before = _fold(_without(quote, before), loose=True).text
    rest_after = _fold(_without(quote, after), loose=True).text
    words_before, words_after = rest_before.split(), rest_after.split()
    if len(words_before) < 3:
        return True  # The quote was the whole paragraph: whatever joined it, it is where it was.
    if fuzz.ratio(rest_before, rest_after) >= 100 * SAME_PARAGRAPH_SIMILARITY:
        return True
    shorter, longer = sorted((Counter(words_before), Counter(words_after)), key=lambda c: sum(c.values()))
    return (
        sum((shorter & longer).values()) >= SAME_PARAGRAPH_SIMILARITY * sum(shorter.values())
        and sum(shorter.values()) >= 3
    )


def _replaced_in_place(searcher: _Searcher, replaced: _Candidate, hits: list[_Candidate]) -> Location:
    # Only a correction gets here (``_Searcher.corrected``): every changed word is a critical one.
    return _found(EDITED_SUBSTANTIVE, searcher, replaced, hits[0], searcher.changes(replaced), [replaced, *hits])


def _judge(searcher: _Searcher, candidates: list[_Candidate]) -> Location:
    """Classify the best approximate candidate: changed in substance, reworded, or uncertain."""
    best = candidates[0]
    runner_up = candidates[1] if len(candidates) > 1 else None
    changes = searcher.changes(best)
    # A quote typed in by hand has no context to vouch for the place: the words must.
    placed = _placed(best)
    clear = runner_up is None or best.score - runner_up.score >= EDITED_MARGIN
    if searcher.overlap(best) < CONTENT_OVERLAP_FLOOR:
        # Most of the quote's words are not there: what stands in its place is not the quote edited.
        # Only a correction at its own place (a short quote whose name or figure was put right) is
        # shown as the new wording; otherwise an editor is told the place was rewritten, and not
        # shown other words as what the quote "now reads".
        if clear and searcher.corrected(best):
            return _found(EDITED_SUBSTANTIVE, searcher, best, runner_up, changes, candidates)
        return _found(UNCERTAIN, searcher, best, runner_up, changes, candidates, note=REWRITTEN_NOTE)
    if placed and clear and _changed_in_substance(changes, best, searcher.rules):
        status = EDITED_SUBSTANTIVE
    elif placed and clear and best.q >= EDITED_QUOTE_SIMILARITY:
        status = EDITED
    else:
        status = UNCERTAIN
    return _found(status, searcher, best, runner_up, changes, candidates)


def _placed(candidate: _Candidate) -> bool:
    """Tell whether a candidate stands among the captured context (or, with none captured, is close in words).

    Outside the main text an unplaced lookalike is another mention (a teaser, a related link),
    never the quote: there the candidate must be placed to be reported at all.
    """
    if candidate.context is not None:
        return candidate.context >= EDITED_CONTEXT_SIMILARITY
    return candidate.q >= EDITED_QUOTE_SIMILARITY


def _changed_in_substance(changes: list[_Change], candidate: _Candidate, rules: languages.Rules) -> bool:
    """Tell whether a located passage differs from the capture by a substantive change."""
    if candidate.q >= REWRITE_QUOTE_SIMILARITY:
        return bool(_kind_of_change(changes, rules))
    # Beyond the edit budget (found only between its context) the passage is a correction only if
    # every difference is a critical token, as when a name is put right; otherwise it was rewritten
    # and whether it still says the same is for an editor to judge.
    return all(_kind_of_change([change], rules) for change in changes)


def _found(
    status: str,
    searcher: _Searcher,
    best: _Candidate,
    runner_up: _Candidate | None,
    changes: list[_Change],
    candidates: Sequence[_Candidate],
    *,
    note: str = "",
) -> Location:
    # A place whose words mostly differ from the quote is pointed at, never quoted as its new wording.
    rewritten = note == REWRITTEN_NOTE
    return Location(
        status=status,
        start=best.start,
        end=best.end,
        matched_text="" if rewritten else searcher.text[best.start : best.end],
        score=round(best.score, 4),
        runner_up_score=None if runner_up is None else round(runner_up.score, 4),
        changed_tokens=[] if rewritten else _shown(changes),
        searched_in=searcher.searched_in,
        candidates=[(c.start, c.end, round(c.score, 4)) for c in candidates[: _MAX_CANDIDATES + 1]],
        note=note,
    )


def _nothing(status: str, searched_in: str) -> Location:
    return Location(status, None, None, "", None, None, [], searched_in, [])


def _whole_words(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Widen spans to whole words (a quote is never cut mid-word at a stretch's edge), merging overlaps."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        a = max(text.rfind(" ", 0, a), text.rfind("\n", 0, a)) + 1
        stops = [i for i in (text.find(" ", b), text.find("\n", b)) if i != -1]
        b = min(stops) if stops else len(text)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _merged(spans: list[tuple[int, int]], *, pad: int, limit: int) -> list[tuple[int, int]]:
    """Return spans widened by ``pad`` each side, within 0..limit, overlapping ones merged."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        a, b = max(0, a - pad), min(limit, b + pad)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


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


@lru_cache(maxsize=64)
def _alphabet(chars: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """Return the characters of quote and context, commonest first, and their edlib codes.

    Codes 1..254 go to the commonest characters; the rarest share 255 (a rare, harmless
    over-match, corrected when q is measured on the real characters).
    """
    ranked = tuple(c for c, _ in Counter(chars).most_common())
    return ranked, {c: chr(i + 1) for i, c in enumerate(ranked[:254])} | dict.fromkeys(ranked[254:], chr(255))


def _encode_page(text: str, alphabet: tuple[str, ...]) -> bytes:
    """Encode a page-sized text as _encode does for an alphabet of at most 254 characters, in C.

    Every other character becomes byte 0 in one regular-expression pass, then the charmap codec
    maps the rest (str.translate with a dict costs ~100 ns a character on a Cyrillic page).
    """
    others, charmap = _charmap(alphabet)
    return codecs.charmap_encode(others.sub("\x00", text), "strict", charmap)[0]


@lru_cache(maxsize=64)
def _charmap(alphabet: tuple[str, ...]) -> tuple[re.Pattern[str], Any]:
    table = "\x00" + "".join(alphabet) + _UNUSED_CODES[: 255 - len(alphabet)]
    return _character_class(frozenset(alphabet), negated=True), codecs.charmap_build(table)


_UNUSED_CODES = "".join(chr(0xE000 + i) for i in range(255))  # private-use characters fill the table


@lru_cache(maxsize=64)
def _character_class(chars: frozenset[str], *, negated: bool = False) -> re.Pattern[str]:
    return re.compile("[" + ("^" if negated else "") + "".join(re.escape(c) for c in sorted(chars)) + "]")


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
        for a, b in _distinct(found, len(query)):
            spans.append((a, b))
            masked[a:b] = bytes(b - a)
            if len(spans) == limit:
                break
    return spans


def _distinct(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Return one span per group of overlapping alignments, the leftmost (linear: a running group end).

    edlib lists every start and end at the best distance; overlapping ones are one match.
    ``_Searcher.best_start`` then picks the start that fits the quote best.
    """
    out: list[tuple[int, int]] = []
    group_end = -1
    for a, b in sorted(spans):
        if a < group_end:
            group_end = max(group_end, b)
            continue
        out.append((a, b))
        group_end = b
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


def _page_still_reads_alike(quote: _Quote, main_text: str, previous_text: str | None) -> bool:
    """Tell whether the page is still the article the quote was in (so the quote was removed).

    Both texts are normalised snapshots of one site, so their words compare as written: no fold.
    """
    if previous_text and previous_text.strip():
        # Most of the previous text's paragraphs still there word for word: it is the same page.
        after = set(main_text.split("\n"))
        kept = sum(len(p) for p in previous_text.split("\n") if p in after)
        if kept >= SAME_PAGE_SHARE * len(previous_text):
            return True
        # The previous text without the quote: its shingles less those wholly inside the quote
        # (the page's shingles are kept for the next quote of the same check).
        before = _text_shingles(previous_text) - _shingles(quote.exact.split())
        after = _text_shingles(main_text)
        if not before or not after:
            return False
        return 2 * len(before & after) / (len(before) + len(after)) >= GONE_SIMILARITY
    # No earlier text: does the page still use the words of the quote and its surroundings?
    own = {w for w in f"{quote.prefix} {quote.loose} {quote.suffix}".split() if len(w) >= 4}
    if not own or previous_text:  # an earlier text of only spaces says nothing either way
        return False
    return len(own & set(_fold(main_text, loose=True).text.split())) / len(own) >= GONE_SIMILARITY


def _without(quote: _Quote, text: str) -> str:
    strict = _fold(text, loose=False)
    f = strict.text.find(quote.strict)
    if f == -1:
        return text
    return text[: strict.source_start(f)] + " " + text[strict.source_stop(f + len(quote.strict)) :]


@lru_cache(maxsize=8)
def _text_shingles(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(_shingles(text.split()))


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    if len(words) < 3:
        return {tuple(words)} if words else set()
    return set(zip(words, words[1:], words[2:], strict=False))


def _content_words(text: str, rules: languages.Rules) -> Counter[str]:
    """Return a passage's content words (no function words) by key, with their counts."""
    return Counter(_content_cached(text, rules))


@lru_cache(maxsize=256)
def _content_cached(text: str, rules: languages.Rules) -> Counter[str]:
    keys = [w.key for w in _words_in(text)]
    content = [k for k in keys if not (k in rules.function_words and not rules.is_number(k))]
    return Counter(content or keys)


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c in "'ʼ-"


def _first_space(text: str) -> int | None:
    match = re.search(r"\s+", text)
    return match.end() if match else None


def _last_space(text: str) -> int | None:
    index = max(text.rfind(" "), text.rfind("\n"))
    return index if index >= 0 else None
