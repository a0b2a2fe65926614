"""What counts as a change of substance in each language a source is written in (issue 13).

The quote locator (``articles.quotes``) tells a copy-edit from a change of meaning by the words that
changed: a negation, a denial or confirmation, a number, a date, a hedge, a name. Those words differ
by language, so they are data, gathered here into one ``Rules`` per set of languages:

- **Typed lists** (``language_rules/<code>.toml``): negation words and affixes, denial and
  confirmation verbs, hedges by strength, extra number words and inflected forms, relative days.
  No maintained package lists these; each file names the grammars it follows.
- **CLDR via Babel**: month and weekday names (format and stand-alone, so "січня" and "січень"),
  and the decimal and grouping symbols ("12,2" is twelve point two in German, "1 000" a thousand
  in French).
- **num2words**: cardinal numbers 0–100, hundreds, thousands to trillions, ordinals 1–31.
- **jusText's stop lists** (a dependency of trafilatura): function words, which are never names and
  never count as a passage's content words, and which tell the language of an undeclared page.

A snapshot's language is its page's declared ``lang`` unless its text plainly says otherwise
(``detect``); the rules used for a quote are its page's language, English (quotes in foreign pages
are often English, and numbers and names are shared) and whatever the quote's own script says
(Cyrillic: Ukrainian and Russian). With no language known, every supported language's rules apply:
a reversed meaning missed costs more than a copy-edit flagged.

Words are compared by ``word_key``: NFKC, case folded, stress marks dropped, "ё" as "е", every
apostrophe as "'" (Ukrainian writes ʼ, ' and ’ alike).

Pure module: no Django, no I/O beyond reading its own data files once.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path

RULES_DIR = Path(__file__).parent / "language_rules"
SUPPORTED: tuple[str, ...] = ("en", "uk", "ru", "de", "fr", "es", "pl", "pt", "it")
FALLBACK = "en"
_JUSTEXT_NAMES = {
    "en": "English", "uk": "Ukrainian", "ru": "Russian", "de": "German", "fr": "French",
    "es": "Spanish", "pl": "Polish", "pt": "Portuguese", "it": "Italian",
}  # fmt: skip

_APOSTROPHES = str.maketrans(dict.fromkeys("’‘ʼʹ`´′", "'"))
_STRESS = frozenset("\u0300\u0301")  # combining grave and acute: stress marks in Cyrillic text
_WORD = re.compile(r"\w+(?:'\w+)*")


@lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    """Return the form words are compared in: no case, no stress marks, one apostrophe, ё as е."""
    folded = unicodedata.normalize("NFKC", word.translate(_APOSTROPHES)).casefold()
    if not folded.isascii():
        folded = "".join(c for c in unicodedata.normalize("NFD", folded) if c not in _STRESS)
        folded = unicodedata.normalize("NFC", folded).replace("ё", "е")
    return folded


def _keys(words: Iterable[str]) -> frozenset[str]:
    return frozenset(word_key(w) for w in words)


@dataclass(frozen=True)
class Rules:
    """The substance rules of one or more languages, as sets of word keys."""

    codes: frozenset[str]
    negations: frozenset[str]
    negation_stems: tuple[str, ...]
    negation_prefixes: tuple[str, ...]
    negation_suffixes: tuple[str, ...]
    negation_elisions: tuple[str, ...]  # a negation glued to the next word: French "n'"
    denials: frozenset[str]
    denial_stems: tuple[str, ...]
    hedge_groups: tuple[frozenset[str], ...]
    hedges: frozenset[str]  # every hedge word, grouped or not
    hedge_phrases: frozenset[tuple[str, ...]]
    numbers: frozenset[str]
    number_stems: tuple[str, ...]
    not_numbers: frozenset[str]
    dates: frozenset[str]
    date_stems: tuple[str, ...]
    dates_capitalised: frozenset[str]  # a date only when capitalised: "May" (not "may")
    function_words: frozenset[str]
    not_names: frozenset[str]
    capitalises_nouns: bool  # German: a capitalised word is no sign of a name
    not_from_english: frozenset[str]  # English rule words that are other words here (German "will")
    decimal: str  # of the page's own language, "" when several apply
    group: str

    def is_negation(self, key: str) -> bool:
        return (
            key in self.negations
            or key.endswith(self.negation_suffixes)
            or key.startswith(self.negation_stems)
            or key.startswith(self.negation_elisions)
        )

    def is_denial(self, key: str) -> bool:
        return key in self.denials or key.startswith(self.denial_stems)

    def is_date(self, key: str, word: str = "") -> bool:
        if key in self.dates_capitalised:
            return word[:1].isupper()
        if key in self.dates or key.startswith(self.date_stems):
            return True
        return len(key) == 4 and key.isdigit() and key[:2] in ("19", "20")

    def is_number(self, key: str) -> bool:
        if any(c.isdigit() or c in "%$€£¥₴₽" for c in key):
            return True
        if key in self.not_numbers:
            return False
        return key in self.numbers or key.startswith(self.number_stems)

    def negated_by_affix(self, old: Sequence[str], new: Sequence[str]) -> bool:
        """Tell whether one side has a word that is a word of the other with a negating affix added."""
        for a, b in ((old, new), (new, old)):
            plain = set(a)
            for word in b:
                for prefix in self.negation_prefixes:
                    if word.startswith(prefix) and word[len(prefix) :] in plain and len(word) - len(prefix) >= 3:
                        return True
        return False

    def hedges_in(self, keys: Sequence[str]) -> list[str]:
        found = [k for k in keys if k in self.hedges]
        found += [" ".join(pair) for pair in pairwise(keys) if pair in self.hedge_phrases]
        return found

    def same_strength(self, a: str, b: str) -> bool:
        return a == b or any(a in group and b in group for group in self.hedge_groups)

    def is_function_word(self, key: str) -> bool:
        return key in self.function_words or key in self.not_names

    def same_number(self, old: str, new: str) -> bool:
        """Tell whether two spellings are one number in the page's convention ("10 000" and "10000")."""
        if not self.decimal:
            return old == new
        return _number_value(old, self.decimal, self.group) == _number_value(new, self.decimal, self.group) is not None


def _number_value(text: str, decimal: str, group: str) -> str | None:
    """Return a number written with grouping and a decimal mark as plain digits, or None if malformed."""
    if group.isspace():  # French, Ukrainian, Russian, Polish group by a space of some width
        text, group = re.sub(r"\s", " ", text), " "
    whole, _, fraction = text.partition(decimal)
    if not fraction.isdigit() and fraction:
        return None
    parts = whole.split(group) if group else [whole]
    if not all(p.isdigit() for p in parts) or (
        len(parts) > 1 and (len(parts[0]) > 3 or any(len(p) != 3 for p in parts[1:]))
    ):
        return None
    return "".join(parts) + ("." + fraction if fraction else "")


# --- loading ---------------------------------------------------------------------------------------


@cache
def _typed(code: str) -> dict:
    with (RULES_DIR / f"{code}.toml").open("rb") as f:
        return tomllib.load(f)


@cache
def _cldr(code: str) -> tuple[frozenset[str], str, str]:
    """Return month and weekday names (every width but narrow, both contexts), decimal and group symbols."""
    from babel import Locale

    locale = Locale.parse(code)
    names: set[str] = set()
    for table in (locale.months, locale.days):
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for name in table[context][width].values():
                    name = name.strip(".")
                    # Abbreviations under four letters ("mar", "sie") are common words elsewhere.
                    if width == "wide" or len(name) >= 4:
                        names.add(word_key(name))
    symbols = locale.number_symbols["latn"]
    return frozenset(names), symbols["decimal"], symbols["group"]


@cache
def _number_words(code: str) -> frozenset[str]:
    from num2words import num2words

    numbers = [*range(101), *range(200, 1001, 100), 10**6, 10**9, 10**12]
    words: set[str] = set()
    for n in numbers:
        words.update(_WORD.findall(word_key(num2words(n, lang=code))))
    for n in range(1, 32):
        words.update(_WORD.findall(word_key(num2words(n, lang=code, to="ordinal"))))
    return frozenset(words)


@cache
def _function_words(code: str) -> frozenset[str]:
    import justext

    return frozenset(w for w in (word_key(s) for s in justext.get_stoplist(_JUSTEXT_NAMES[code])) if _WORD.fullmatch(w))


@cache
def _one(code: str) -> Rules:
    data = _typed(code)
    months_days, decimal, group = _cldr(code)
    section = lambda name: data.get(name, {})  # noqa: E731
    hedge_words = [w for group_ in section("hedges").get("groups", []) for w in group_] + section("hedges").get(
        "words", []
    )
    phrases = frozenset(tuple(word_key(w) for w in h.split()) for h in hedge_words if " " in h)
    not_numbers = _keys(section("numbers").get("not_numbers", []))
    function_words = _function_words(code)
    return Rules(
        codes=frozenset({code}),
        negations=_keys(section("negation").get("words", [])),
        negation_stems=tuple(word_key(s) for s in section("negation").get("stems", [])),
        # A one-letter prefix ("s-" of Italian "scorretto") would make "old" → "sold" a negation.
        negation_prefixes=tuple(word_key(s) for s in section("negation").get("prefixes", []) if len(s) >= 2),
        negation_suffixes=tuple(word_key(s) for s in section("negation").get("suffixes", [])),
        negation_elisions=tuple(word_key(s) for s in section("negation").get("elisions", [])),
        denials=_keys(section("denial").get("words", [])),
        denial_stems=tuple(word_key(s) for s in section("denial").get("stems", [])),
        hedge_groups=tuple(
            frozenset(" ".join(word_key(x) for x in w.split()) for w in g) for g in section("hedges").get("groups", [])
        ),
        hedges=frozenset(word_key(w) for w in hedge_words if " " not in w),
        hedge_phrases=phrases,
        numbers=(_number_words(code) | _keys(section("numbers").get("words", []))) - not_numbers,
        number_stems=tuple(word_key(s) for s in section("numbers").get("stems", [])),
        not_numbers=not_numbers,
        dates=(months_days | _keys(section("dates").get("words", [])))
        - _keys(section("dates").get("not_dates", []))
        - _keys(section("dates").get("capitalised_only", [])),
        date_stems=tuple(word_key(s) for s in section("dates").get("stems", [])),
        dates_capitalised=_keys(section("dates").get("capitalised_only", [])),  # taken out of dates below
        # A negation, hedge or number stays one even where the stop list also lists it.
        function_words=function_words,
        not_names=_keys(section("names").get("not_names", [])),
        capitalises_nouns=bool(section("language").get("capitalises_nouns", False)),
        not_from_english=_keys(section("language").get("not_from_english", [])),
        decimal=decimal,
        group=group,
    )


@lru_cache(maxsize=64)
def rules_for(codes: frozenset[str], primary: str = "") -> Rules:
    """Return the union of the rules of these languages (every supported one for an empty set).

    ``primary`` is the page's own language, whose convention decides what a number says ("12,2" is
    twelve point two in German and malformed in English); without it numbers compare as written.
    """
    wanted = sorted((codes & set(SUPPORTED)) or SUPPORTED)
    parts = [_one(code) for code in wanted]
    if len(parts) == 1:
        return parts[0]
    if primary in SUPPORTED and primary != FALLBACK:
        parts = [_as_guest(p, _one(primary)) if p.codes == {FALLBACK} else p for p in parts]
    decimal, group = _cldr(primary)[1:] if primary in SUPPORTED else ("", "")
    union = lambda name: frozenset().union(*(getattr(p, name) for p in parts))  # noqa: E731
    joined = lambda name: tuple(sorted({s for p in parts for s in getattr(p, name)}))  # noqa: E731
    return Rules(
        codes=frozenset(wanted),
        negations=union("negations"),
        negation_stems=joined("negation_stems"),
        negation_prefixes=joined("negation_prefixes"),
        negation_suffixes=joined("negation_suffixes"),
        negation_elisions=joined("negation_elisions"),
        denials=union("denials"),
        denial_stems=joined("denial_stems"),
        hedge_groups=tuple(g for p in parts for g in p.hedge_groups),
        hedges=union("hedges"),
        hedge_phrases=union("hedge_phrases"),
        numbers=union("numbers"),
        number_stems=joined("number_stems"),
        not_numbers=union("not_numbers") - union("numbers"),
        dates=union("dates"),
        date_stems=joined("date_stems"),
        dates_capitalised=union("dates_capitalised") - union("dates"),
        not_from_english=union("not_from_english"),
        function_words=union("function_words"),
        not_names=union("not_names"),
        # German capitals say nothing of names; on a page of unknown or another language they do.
        capitalises_nouns=_one(primary).capitalises_nouns
        if primary in SUPPORTED
        else all(p.capitalises_nouns for p in parts),
        decimal=decimal,
        group=group,
    )


def _as_guest(guest: Rules, host: Rules) -> Rules:
    """Return English rules fit for a page in another language: none of the host's own function words.

    Portuguese "no" is "in the", German "will" is "wants": an English negation or hedge spelled
    like a function word of the page's language is that word there, unless the page's language
    lists it too (Spanish "no").
    """
    own = host.negations | host.denials | host.hedges | host.numbers | host.dates
    foreign = (host.function_words - own) | host.not_from_english
    return replace(
        guest,
        negations=guest.negations - foreign,
        denials=guest.denials - foreign,
        hedges=guest.hedges - foreign,
        hedge_groups=tuple(group - foreign for group in guest.hedge_groups),
        numbers=guest.numbers - foreign,
        dates=guest.dates - foreign,
    )


def rules_for_text(language: str, text: str = "") -> Rules:
    """Return the rules for a passage on a page in ``language``: that language, English and the passage's script."""
    codes = {language, FALLBACK} if language in SUPPORTED else set()
    if codes:
        codes |= set(script_languages(text))
    return rules_for(frozenset(codes), language if language in SUPPORTED else "")


# --- which language ------------------------------------------------------------------------------

_UKRAINIAN_LETTERS = frozenset("іїєґ")
_RUSSIAN_LETTERS = frozenset("ыэъё")


def script_languages(text: str) -> tuple[str, ...]:
    """Return the supported languages a passage's own letters point to: Cyrillic is Ukrainian or Russian."""
    lowered = text.casefold()
    if not any("\u0400" <= c <= "\u04ff" for c in lowered):
        return ()
    uk, ru = any(c in _UKRAINIAN_LETTERS for c in lowered), any(c in _RUSSIAN_LETTERS for c in lowered)
    if uk != ru:
        return ("uk",) if uk else ("ru",)
    return ("uk", "ru")


def declared(value: str) -> str:
    """Return the supported language a ``lang`` attribute or Content-Language names ("uk-UA" → "uk"), or ""."""
    primary = re.split(r"[-_,;\s]", value.strip().casefold(), maxsplit=1)[0] if value.strip() else ""
    return {"ua": "uk"}.get(primary, primary) if primary in (*SUPPORTED, "ua") else ""


def detect(text: str, declared_language: str = "") -> str:
    """Return the language of a page's text among the supported ones, or "" if it is none of them.

    The declared language (``<html lang>``) stands unless the text's function words plainly
    belong to another supported language: CMS templates often declare the site's language on a
    page in another. Ukrainian and Russian, which share many function words, are told apart by
    the letters only one of them has.
    """
    declared_language = declared(declared_language)
    words = [word_key(w) for w in _WORD.findall(text[:20_000])][:3000]
    if len(words) < 20:
        return declared_language
    scores = {code: sum(w in _detection_words(code) for w in words) / len(words) for code in SUPPORTED}
    if scores.get("uk") or scores.get("ru"):
        letters = set(text[:20_000].casefold())
        uk, ru = bool(letters & _UKRAINIAN_LETTERS), bool(letters & _RUSSIAN_LETTERS)
        if uk and not ru:
            scores["ru"] /= 2
        elif ru and not uk:
            scores["uk"] /= 2
    best = max(scores, key=lambda c: scores[c])
    if scores[best] < 0.15:
        return declared_language  # too few function words of any supported language
    if declared_language and scores[declared_language] >= 0.6 * scores[best]:
        return declared_language
    return best


@cache
def _detection_words(code: str) -> frozenset[str]:
    # The commonest function words only: jusText's longer lists share many words across languages.
    return frozenset(w for w in _function_words(code) if len(w) <= 6)
