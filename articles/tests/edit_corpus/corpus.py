"""The multilingual edit corpus (issue 13): real pages, generated edits, what the locator says of each.

Pages are real captured HTML in each supported language (``pages/<lang>/*.html.gz``, provenance in
``pages/README.md``). Each is extracted as the pipeline extracts it (timed: the locator's budget is
a fraction of that), a few sentences of its main text are quoted as the desk quotes them
(``build_selector``), and each quote is edited the ways newsrooms edit:

=====================  ======================================================  ====================
kind                   edit                                                    expected
=====================  ======================================================  ====================
unchanged              nothing                                                 present
negation_in            the language's negation inserted mid-quote              edited_substantive
negation_out           a negation word of the quote taken out                  edited_substantive
number                 a digit of the quote changed (or a figure inserted)     edited_substantive
date                   a month named in the quote changed (or a day inserted)  edited_substantive
hedge                  a hedge ("wahrscheinlich", "ймовірно") inserted          edited_substantive
denial                 a denial verb ("bestritt", "заперечив") inserted         edited_substantive
punctuation            a comma added or removed, quotes or dashes retyped       present* or edited
sentence_before        a sentence inserted just before the quote               present or moved
paragraph_before       a paragraph inserted before the quote's paragraph       present or moved
sentence_after         a sentence added at the end of the quote's paragraph    present (not moved)
paragraph_delete       the quote's paragraph deleted                           gone
boilerplate            "read also" lines and chrome added around the article   present
=====================  ======================================================  ====================

(*present, present_normalised). The edit words are this file's own, typed from ordinary usage,
not taken from ``articles/language_rules``: the corpus tests the rules, it does not restate them.
The run is deterministic (a seed per page). ``run()`` returns one ``Outcome`` per case;
``bench/edit_corpus.py`` prints them as a confusion matrix per language, and
``articles/tests/test_edit_corpus.py`` holds them to the issue's targets.
"""

from __future__ import annotations

import gzip
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from articles import extract, languages, quotes

PAGES_DIR = Path(__file__).parent / "pages"
LANGUAGES = ("en", "uk", "ru", "de", "fr", "es", "pl", "pt", "it")
QUOTES_PER_PAGE = 3

SUBSTANTIVE = frozenset({quotes.EDITED_SUBSTANTIVE})
KINDS: dict[str, frozenset[str]] = {
    "unchanged": frozenset({quotes.PRESENT}),
    "negation_in": SUBSTANTIVE,
    "negation_out": SUBSTANTIVE,
    "number": SUBSTANTIVE,
    "date": SUBSTANTIVE,
    "hedge": SUBSTANTIVE,
    "denial": SUBSTANTIVE,
    "punctuation": frozenset({quotes.PRESENT, quotes.PRESENT_NORMALISED, quotes.EDITED}),
    "sentence_before": frozenset({quotes.PRESENT, quotes.PRESENT_MOVED}),
    "paragraph_before": frozenset({quotes.PRESENT, quotes.PRESENT_MOVED}),
    "sentence_after": frozenset({quotes.PRESENT}),
    "paragraph_delete": frozenset({quotes.GONE}),
    "boilerplate": frozenset({quotes.PRESENT}),
}


# The targets, per language: (what, edit kinds, least share of cases with the right status).
TARGETS = [
    (
        "substantive edits reported substantive",
        ("negation_in", "negation_out", "number", "date", "hedge", "denial"),
        0.99,
    ),
    ("punctuation-only edits present or minor", ("punctuation",), 0.99),
    ("sentence/paragraph inserted before: present or moved", ("sentence_before", "paragraph_before"), 1.0),
    ("paragraph deleted: gone", ("paragraph_delete",), 0.97),
    ("unchanged quotes present", ("unchanged",), 1.0),
    ("boilerplate churn: present", ("boilerplate",), 1.0),
    ("sentence added after: present, not moved", ("sentence_after",), 0.95),
]


@dataclass(frozen=True)
class Words:
    """The edit words of one language (ordinary usage, independent of the rule files)."""

    negation: tuple[str, str]  # inserted before and after a word: ("ne", "pas"), ("nicht", "")
    negations: tuple[str, ...]  # negation words a quote may hold, to take out
    hedge: str
    denial: str
    read_also: str


WORDS = {
    "en": Words(("not", ""), ("not", "never", "no"), "probably", "denied", "Read more:"),
    "de": Words(
        ("nicht", ""), ("nicht", "kein", "keine", "keinen", "nie"), "wahrscheinlich", "bestritt", "Lesen Sie auch:"
    ),
    "fr": Words(("ne", "pas"), ("pas", "jamais", "aucun", "aucune"), "probablement", "démenti", "Lire aussi :"),
    "es": Words(("no", ""), ("no", "nunca", "ningún", "ninguna"), "probablemente", "negó", "Lea también:"),
    "it": Words(("non", ""), ("non", "mai", "nessun", "nessuna"), "probabilmente", "smentito", "Leggi anche:"),
    "pt": Words(("não", ""), ("não", "nunca", "nenhum", "nenhuma"), "provavelmente", "negou", "Leia também:"),
    "pl": Words(("nie", ""), ("nie", "nigdy", "żaden", "żadnych"), "prawdopodobnie", "zaprzeczył", "Czytaj także:"),
    "uk": Words(("не", ""), ("не", "ні", "ніколи", "жодних"), "ймовірно", "заперечив", "Читайте також:"),
    "ru": Words(("не", ""), ("не", "нет", "никогда", "никаких"), "вероятно", "опроверг", "Читайте также:"),
}
CHROME = (
    "Cookie settings",
    "Newsletter",
    "© 2026",
    "Share on Facebook",
    "Share on X",
)


@dataclass(frozen=True)
class Page:
    language: str
    name: str
    main: str
    full: str
    extraction_seconds: float
    detected_language: str


@dataclass(frozen=True)
class Case:
    language: str
    page: str
    kind: str
    selector: quotes.Selector
    main: str
    full: str
    previous: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    location: quotes.Location
    seconds: float
    extraction_seconds: float

    @property
    def right(self) -> bool:
        return self.location.status in KINDS[self.case.kind]

    @property
    def re_anchored_elsewhere(self) -> bool:
        """A deleted passage reported as changed into other words: what readers must never be told."""
        return self.case.kind == "paragraph_delete" and self.location.status in (
            quotes.EDITED,
            quotes.EDITED_SUBSTANTIVE,
        )


def page_files(language: str) -> list[Path]:
    return sorted((PAGES_DIR / language).glob("*.html.gz"))


@cache
def load_page(path: Path, timed: bool = True) -> Page:
    """Extract a page as the pipeline does; timed, the median of three extractions (the first warms caches)."""
    html = gzip.decompress(path.read_bytes())
    timings = []
    for _ in range(3 if timed else 1):
        started = time.perf_counter()
        extracted = extract.extract(html, f"https://example.test/{path.stem}")
        timings.append(time.perf_counter() - started)
    seconds = sorted(timings)[len(timings) // 2]
    return Page(path.parent.name, path.name, extracted.main_text, extracted.full_text, seconds, extracted.language)


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'»”]?\s+(?=[\"'«„“(]?[^\W\d_])")
_WORD = re.compile(r"\w+", re.UNICODE)


def _sentences(paragraph: str) -> list[tuple[int, int]]:
    """Return the (start, end) of each sentence of a paragraph."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(paragraph):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(paragraph)))
    return [(a, b) for a, b in spans if paragraph[a:b].strip()]


@dataclass(frozen=True)
class _Quote:
    start: int  # in the main text
    end: int
    paragraph: tuple[int, int]

    def text(self, main: str) -> str:
        return main[self.start : self.end]


def _quotable(main: str) -> list[_Quote]:
    """Return the sentences an editor might quote: real prose, found once in the page."""
    found, offset = [], 0
    for paragraph in main.split("\n"):
        p_start, p_end = offset, offset + len(paragraph)
        offset = p_end + 1
        if len(paragraph) < 80 or len(_WORD.findall(paragraph)) < 12:
            continue
        for a, b in _sentences(paragraph):
            sentence = paragraph[a:b].strip()
            words = _WORD.findall(sentence)
            if not 50 <= len(sentence) <= 300 or len(words) < 8:
                continue
            if sum(c.isalpha() for c in sentence) < 0.6 * len(sentence) or "|" in sentence:
                continue  # a table row or a line of code, not a passage anyone quotes
            start = p_start + paragraph.index(sentence, a)
            if main.count(sentence) != 1:
                continue
            found.append(_Quote(start, start + len(sentence), (p_start, p_end)))
    return found


def cases(page: Page) -> Iterator[Case]:
    """Generate every edit case of one page."""
    rng = random.Random(f"{page.language}/{page.name}")
    # A sentence the page carries twice (a pull quote, a teaser) cannot be edited in one place
    # only without the other copy answering for it: quote what the page says once, however folded.
    main_loose, full_loose = quotes._fold(page.main, loose=True).text, quotes._fold(page.full, loose=True).text
    quotable = [
        q
        for q in _quotable(page.main)
        if main_loose.count(loose := quotes._fold(q.text(page.main), loose=True).text) == 1
        and full_loose.count(loose) == 1
    ]
    if not quotable:
        return
    picked = rng.sample(quotable, min(QUOTES_PER_PAGE, len(quotable)))
    words = WORDS[page.language]
    others = [q.text(page.main) for q in quotable if q not in picked]
    filler = others[0] if others else "This sentence was added later by the editors."
    for quote in picked:
        for kind in ("unchanged", "negation_in", "hedge", "denial", "punctuation", "sentence_before",
                     "paragraph_before", "sentence_after", "paragraph_delete", "boilerplate"):  # fmt: skip
            edited = _edit(kind, page, quote, words, filler, rng)
            if edited is not None:
                yield _case(page, kind, quote, *edited)
    # Kinds that need a quote holding something: a negation, a figure, a month.
    for kind, wanted in (
        ("negation_out", lambda s: any(w.casefold() in words.negations for w in _WORD.findall(s))),
        ("number", lambda s: any(c.isdigit() for c in s)),
        ("date", lambda s: bool(_month_in(s, page.language))),
    ):
        holding = [q for q in quotable if wanted(q.text(page.main))]
        for quote in rng.sample(holding, min(QUOTES_PER_PAGE, len(holding))) or picked[:1]:
            edited = _edit(kind, page, quote, words, filler, rng)
            if edited is not None:
                yield _case(page, kind, quote, *edited)


def _case(page: Page, kind: str, quote: _Quote, main: str, full: str) -> Case:
    selector = quotes.build_selector(page.main, quote.start, quote.end)
    return Case(page.language, page.name, kind, selector, main, full, page.main)


def _edit(
    kind: str, page: Page, quote: _Quote, words: Words, filler: str, rng: random.Random
) -> tuple[str, str] | None:
    """Return the page's main and full texts after one edit, or None where it does not apply."""
    main, full = page.main, page.full
    text = quote.text(main)
    p_start, p_end = quote.paragraph
    paragraph = main[p_start:p_end]
    if kind == "unchanged":
        return main, full
    if kind == "paragraph_delete":
        return _replace_paragraph(page, paragraph, None, old=text)
    if kind == "paragraph_before":
        return _replace_paragraph(page, paragraph, f"{filler}\n{paragraph}")
    if kind == "sentence_before":
        at = quote.start - p_start
        new_paragraph = paragraph[:at] + filler + " " + paragraph[at:]
        return _replace_paragraph(page, paragraph, new_paragraph)
    if kind == "sentence_after":
        return _replace_paragraph(page, paragraph, paragraph + " " + filler)
    if kind == "boilerplate":
        main_new = f"{main}\n{words.read_also} {filler}"
        full_new = "\n".join([*CHROME[:3], full, f"{words.read_also} {filler}", *CHROME[3:]])
        return main_new, full_new
    new_text = _edited_quote(kind, text, page.language, words, rng)
    if new_text is None or new_text == text:
        return None
    new_paragraph = paragraph.replace(text, new_text, 1)
    return _replace_paragraph(page, paragraph, new_paragraph, old=text, new=new_text)


def _replace_paragraph(
    page: Page, paragraph: str, replacement: str | None, *, old: str = "", new: str = ""
) -> tuple[str, str]:
    """Apply a paragraph's edit to the main text and, as the same edit of the page, to the full text."""
    lines = page.main.split("\n")
    index = lines.index(paragraph)
    main = "\n".join(lines[:index] + ([] if replacement is None else [replacement]) + lines[index + 1 :])
    full = page.full
    if paragraph in full:
        full = full.replace(paragraph, replacement if replacement is not None else "", 1)
    elif old and old in full and replacement is not None:
        full = full.replace(old, new, 1)
    else:
        # The full text lays the passage out otherwise ("- " before a list item, other breaks):
        # find the quote there as the locator folds text, and edit that span.
        quote = old or next((s for s in (page.main[a:b] for a, b in _sentences(paragraph)) if s.strip()), paragraph)
        span = _loose_span(full, quote)
        if span is not None:
            a, b = span
            if replacement is None:
                line_start, line_end = full.rfind("\n", 0, a) + 1, full.find("\n", b)
                full = full[:line_start] + full[len(full) if line_end == -1 else line_end + 1 :]
            elif old:
                full = full[:a] + new + full[b:]
    return main, full


def _loose_span(text: str, passage: str) -> tuple[int, int] | None:
    folded, needle = quotes._fold(text, loose=True), quotes._fold(passage, loose=True).text
    at = folded.text.find(needle) if needle else -1
    if at < 0:
        return None
    return folded.source_start(at), folded.source_stop(at + len(needle))


def _edited_quote(kind: str, text: str, language: str, words: Words, rng: random.Random) -> str | None:
    tokens = text.split(" ")
    middle = max(1, min(len(tokens) - 1, len(tokens) // 2 + rng.randint(-2, 2)))
    if kind == "negation_in":
        before, after = words.negation
        inserted = [before, tokens[middle]] + ([after] if after else [])
        return " ".join(tokens[:middle] + inserted + tokens[middle + 1 :])
    if kind == "hedge":
        return " ".join([*tokens[:middle], words.hedge, *tokens[middle:]])
    if kind == "denial":
        return " ".join([*tokens[:middle], words.denial, *tokens[middle:]])
    if kind == "negation_out":
        for i, token in enumerate(tokens):
            if _WORD.sub("", token) == token.replace(_bare(token), "") and _bare(token).casefold() in words.negations:
                return " ".join(tokens[:i] + tokens[i + 1 :])
        return None
    if kind == "number":
        for i, c in enumerate(text):
            if c.isdigit():
                return text[:i] + str((int(c) + 1) % 10 if c != "0" or i + 1 == len(text) else 7) + text[i + 1 :]
        return " ".join([*tokens[:middle], "12", *tokens[middle:]])
    if kind == "date":
        month = _month_in(text, language)
        if month:
            months = _months(language)
            replacement = months[(months.index(month.casefold()) + 5) % 12]
            at = re.search(re.escape(month), text).start()
            if month[:1].isupper():
                replacement = replacement[:1].upper() + replacement[1:]
            return text[:at] + replacement + text[at + len(month) :]
        return " ".join([*tokens[:middle], _weekday(language), *tokens[middle:]])
    if kind == "punctuation":
        return _punctuation_edit(text, rng)
    raise ValueError(kind)


def _bare(token: str) -> str:
    match = _WORD.search(token)
    return match.group() if match else ""


def _punctuation_edit(text: str, rng: random.Random) -> str:
    """Retouch punctuation only: drop or add a comma (never between digits), retype quotes or dashes."""
    commas = [m.start() for m in re.finditer(r"(?<!\d),(?!\d)", text)]
    options = []
    if commas:
        at = rng.choice(commas)
        options.append(text[:at] + text[at + 1 :])
    spaces = [m.start() for m in re.finditer(r"(?<=[^\W\d_]) (?=[^\W\d_])", text)]
    if spaces:
        at = rng.choice(spaces[1:-1] or spaces)
        options.append(text[:at] + "," + text[at:])
    if '"' in text:
        options.append(text.replace('"', "«", 1).replace('"', "»", 1))
    if " - " in text:
        options.append(text.replace(" - ", " – ", 1))
    if text.endswith("."):
        options.append(text[:-1] + "!")
    return rng.choice(options) if options else text[:-1] if text[-1:] in ".!?" else text + "."


@cache
def _months(language: str) -> list[str]:
    from babel import Locale

    names = Locale.parse(language).months["format"]["wide"]
    return [names[i].casefold() for i in range(1, 13)]


def _month_in(text: str, language: str) -> str:
    for month in _months(language):
        match = re.search(rf"(?<!\w){re.escape(month)}(?!\w)", text, re.IGNORECASE)
        if match:
            return match.group()
    return ""


def _weekday(language: str) -> str:
    from babel import Locale

    return Locale.parse(language).days["format"]["wide"][2]  # Wednesday


def pages(codes: tuple[str, ...] = LANGUAGES, *, timed: bool = True) -> list[Page]:
    return [load_page(path, timed) for language in codes for path in page_files(language)]


def run(codes: tuple[str, ...] = LANGUAGES, *, timed: bool = True) -> list[Outcome]:
    """Locate every case's quote in its edited page, timing each search (against careful extraction timings if ``timed``)."""
    outcomes = []
    for page in pages(codes, timed=timed):
        for case in cases(page):
            # The rules are loaded once per worker process, not per quote: not part of the time.
            languages.rules_for_text(page.detected_language, case.selector.exact)
            timings = []
            for _ in range(3 if timed else 1):  # the median of three, each from cold caches
                _cold()
                started = time.perf_counter()
                location = quotes.locate(
                    case.selector, case.main, case.full, previous_text=case.previous, language=page.detected_language
                )
                timings.append(time.perf_counter() - started)
            seconds = sorted(timings)[len(timings) // 2]
            outcomes.append(Outcome(case, location, seconds, page.extraction_seconds))
    return outcomes


def _cold() -> None:
    """Forget what the locator keeps between quotes of one check (folds, shingles, word lists).

    In the pipeline every quote of a source is located in the same texts, and the second quote
    finds them folded; each case here is a text of its own, timed as if it were the first.
    """
    for cached in (quotes._fold_cached, quotes._outside, quotes._text_shingles, quotes._words_cached,
                   quotes._content_cached):  # fmt: skip
        cached.cache_clear()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
