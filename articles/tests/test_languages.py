"""Substance rules in every language the story is told in (articles/languages.py, issue 13).

Each case is a copy-edit or a change of meaning as a newsroom in that language would make it; the
locator must tell which is which by the page's language, not by English alone.
"""

import pytest

from articles import extract, languages
from articles.quotes import Selector, build_selector, locate, substantive_change


@pytest.mark.parametrize("code", languages.SUPPORTED)
def test_every_language_has_its_rules_from_data(code: str) -> None:
    rules = languages.rules_for(frozenset({code}))

    assert rules.negations, "typed negation words"
    assert rules.hedge_groups and rules.hedges, "typed hedges by strength"
    assert rules.denials or rules.denial_stems, "typed denial and confirmation verbs"
    assert len(rules.dates) >= 19, "CLDR's twelve months and seven weekdays"
    assert len(rules.numbers) >= 30, "num2words' cardinals and ordinals"
    assert len(rules.function_words) >= 100, "jusText's stop list"
    assert rules.decimal in {".", ","}


@pytest.mark.parametrize(
    ("code", "month", "weekday"),
    [
        ("en", "november", "monday"),
        ("uk", "листопада", "понеділок"),  # CLDR's format (genitive) form, as dates are written
        ("ru", "ноября", "понедельник"),
        ("de", "märz", "montag"),
        ("fr", "novembre", "lundi"),
        ("es", "noviembre", "lunes"),
        ("pl", "listopada", "poniedziałek"),
        ("pt", "novembro", "segunda-feira"),
        ("it", "novembre", "lunedì"),
    ],
)
def test_months_and_weekdays_come_from_cldr(code: str, month: str, weekday: str) -> None:
    rules = languages.rules_for(frozenset({code}))

    assert rules.is_date(languages.word_key(month))
    assert rules.is_date(languages.word_key(weekday)) or weekday.count("-")


@pytest.mark.parametrize(
    ("language", "changes", "kind"),
    [
        # Negations, in words and in affixes, in every language.
        ("de", [("", "nicht")], "negation"),
        ("de", [("keine", "")], "negation"),
        ("de", [("wahr", "unwahr")], "negation"),
        ("fr", [("", "ne"), ("", "pas")], "negation"),
        ("fr", [("est", "n'est")], "negation"),
        ("es", [("", "no")], "negation"),
        ("it", [("", "non")], "negation"),
        ("pt", [("", "não")], "negation"),
        ("pl", [("", "nie")], "negation"),
        ("pl", [("prawda", "nieprawda")], "negation"),
        ("uk", [("", "не")], "negation"),
        ("uk", [("жодних", "")], "negation"),
        ("uk", [("", "ні")], "negation"),
        ("ru", [("", "не")], "negation"),
        ("ru", [("никаких", "")], "negation"),
        ("ru", [("нет", "")], "negation"),
        # Denial and confirmation verbs.
        ("de", [("bestätigte", "dementierte")], "denial"),
        ("fr", [("a confirmé", "a démenti")], "denial"),
        ("uk", [("підтвердив", "спростував")], "denial"),
        ("ru", [("подтвердил", "опроверг")], "denial"),
        ("es", [("", "negó")], "denial"),
        # Hedges: added or dropped changes the claim; a swap of equal strength does not.
        ("de", [("", "wahrscheinlich")], "hedge"),
        ("de", [("", "angeblich")], "hedge"),
        ("fr", [("", "probablement")], "hedge"),
        ("it", [("", "probabilmente")], "hedge"),
        ("uk", [("нібито", "")], "hedge"),
        ("ru", [("", "якобы")], "hedge"),
        ("pl", [("", "prawdopodobnie")], "hedge"),
        ("uk", [("ймовірно", "імовірно")], ""),
        # Numbers in words (num2words) and dates (CLDR months, inflected Slavic months).
        ("de", [("drei", "vier")], "number"),
        ("fr", [("trois", "quatre")], "number"),
        ("uk", [("двох", "трьох")], "number"),
        ("ru", [("тысячи", "миллиона")], "number"),
        ("de", [("März", "April")], "date"),
        ("uk", [("березні", "квітні")], "date"),
        ("ru", [("марте", "апреле")], "date"),
        ("pl", [("marcu", "kwietniu")], "date"),
        # Decimal conventions: a German decimal comma dropped is a new number; a French
        # thousands space dropped is the same number.
        ("de", [("12,2", "122")], "number"),
        ("fr", [("1 000", "1000")], ""),
        ("en", [("1,000", "1000")], ""),
        ("en", [("12,2", "122")], "number"),
        # German capitalises every noun: a capital is no sign of a name.
        ("de", [("Regierung", "Bundesregierung")], ""),
        ("de", [("Die", "Eine")], ""),
        # The article in French, Spanish, Italian, Portuguese and German is not the number one.
        ("fr", [("un", "le")], ""),
        ("de", [("ein", "der")], ""),
        ("es", [("una", "la")], ""),
    ],
)
def test_substantive_change_by_language(language: str, changes: list[tuple[str, str]], kind: str) -> None:
    assert substantive_change(changes, language) == kind


def test_english_is_a_fallback_never_the_only_rule_set() -> None:
    # A German page with an English quote still reads English negations, and a page of unknown
    # language is read with every language's rules.
    assert substantive_change([("", "not")], "de") == "negation"
    assert substantive_change([("", "nicht")], "") == "negation"
    assert substantive_change([("", "не")], "") == "negation"
    # A Cyrillic quote on an English page is read with Ukrainian and Russian rules.
    assert substantive_change([("", "жодних")], "en") == "negation"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("пʼять", "п'ять"),  # U+02BC, the Ukrainian apostrophe
        ("п’ять", "п'ять"),  # U+2019
        ("сто́ит", "стоит"),  # a stress mark
        ("ещё", "еще"),
        ("ЖОДНИХ", "жодних"),
    ],
)
def test_words_are_compared_without_case_stress_or_apostrophe_variants(a: str, b: str) -> None:
    assert languages.word_key(a) == languages.word_key(b)


UK_TEXT = (
    "Міністерство закордонних справ України заявило, що повідомлення про попереднє інформування "
    "української сторони не відповідають дійсності.\n"
    "«Повідомлення про те, що українську сторону нібито заздалегідь поінформували про ймовірну розмову, "
    "є неправдивими», — сказав речник МЗС Георгій Тихий у понеділок, 11 листопада.\n"
    "За його словами, Україна не могла ні погодити цю розмову, ні заперечити проти неї, і жодних "
    "домовленостей пʼятниця не принесла.\n"
)
RU_TEXT = (
    "В Кремле опровергли сообщения о телефонном разговоре Путина и Трампа.\n"
    "«Это не соответствует действительности, никаких разговоров не было», — сказал пресс-секретарь "
    "Дмитрий Песков журналистам в понедельник.\n"
    "По его словам, конкретных планов по контактам с Трампом пока нет.\n"
)


def _select(text: str, passage: str) -> Selector:
    start = text.index(passage)
    return build_selector(text, start, start + len(passage))


@pytest.mark.parametrize(
    ("text", "passage", "old", "new", "expected"),
    [
        # Apostrophe variants and «…»/"…" quotes are the same words.
        (
            UK_TEXT,
            "жодних домовленостей пʼятниця не принесла",
            "пʼятниця",
            "п’ятниця",
            {"present", "present_normalised"},
        ),
        (UK_TEXT, "ні погодити цю розмову, ні заперечити проти неї", "ні погодити", "ні погодити", {"present"}),
        # Inflected negations dropped or added change the claim.
        (
            UK_TEXT,
            "і жодних домовленостей пʼятниця не принесла",
            "жодних домовленостей",
            "домовленостей",
            {"edited_substantive"},
        ),
        (UK_TEXT, "Україна не могла ні погодити цю розмову", "не могла", "могла", {"edited_substantive"}),
        (RU_TEXT, "никаких разговоров не было", "никаких разговоров", "разговоров", {"edited_substantive"}),
        (RU_TEXT, "конкретных планов по контактам с Трампом пока нет", "пока нет", "пока есть", {"edited_substantive"}),
        # A stress mark added by an editor is no change of words.
        (RU_TEXT, "Это не соответствует действительности", "соответствует", "соотве́тствует", {"present_normalised"}),
        # Hedges and denials in Ukrainian and Russian.
        (UK_TEXT, "українську сторону нібито заздалегідь поінформували", "нібито ", "", {"edited_substantive"}),
        (
            RU_TEXT,
            "В Кремле опровергли сообщения о телефонном разговоре",
            "опровергли",
            "подтвердили",
            {"edited_substantive"},
        ),
    ],
)
def test_cyrillic_quotes(text: str, passage: str, old: str, new: str, expected: set[str]) -> None:
    edited = text.replace(old, new, 1)

    location = locate(_select(text, passage), edited, previous_text=text, language=languages.detect(text))

    assert location.status in expected, location


DE_TEXT = (
    "Die Bundesregierung hat am Montag neue Zahlen zur Inflation vorgelegt.\n"
    "Nach Angaben des Statistischen Bundesamts stieg die Teuerung im Oktober auf 12,2 Prozent, "
    "wie eine Sprecherin in Berlin mitteilte.\n"
    "Der Minister sagte, die Regierung werde die Hilfen für Familien nicht kürzen.\n"
    "Kremlsprecher Dmitri Peskow sagte der Agentur, es habe kein Gespräch gegeben.\n"
)


@pytest.mark.parametrize(
    ("passage", "old", "new", "expected"),
    [
        ("die Regierung werde die Hilfen für Familien nicht kürzen", "nicht kürzen", "kürzen", "edited_substantive"),
        ("die Regierung werde die Hilfen für Familien nicht kürzen", "Hilfen", "Unterstützungen", "edited"),
        ("stieg die Teuerung im Oktober auf 12,2 Prozent", "12,2", "122", "edited_substantive"),
        ("stieg die Teuerung im Oktober auf 12,2 Prozent", "Oktober", "November", "edited_substantive"),
        (
            "stieg die Teuerung im Oktober auf 12,2 Prozent",
            "stieg die",
            "stieg wahrscheinlich die",
            "edited_substantive",
        ),
        # A capitalised noun changed is a copy-edit, a name changed a correction.
        ("Der Minister sagte, die Regierung werde", "Regierung", "Koalition", "edited"),
        ("Kremlsprecher Dmitri Peskow sagte der Agentur", "Peskow", "Uschakow", "edited_substantive"),
        ("es habe kein Gespräch gegeben", "kein Gespräch", "ein Gespräch", "edited_substantive"),
    ],
)
def test_german_quotes(passage: str, old: str, new: str, expected: str) -> None:
    edited = DE_TEXT.replace(old, new, 1)

    location = locate(_select(DE_TEXT, passage), edited, previous_text=DE_TEXT, language="de")

    assert location.status == expected, location


def test_the_first_word_of_a_quote_without_context_is_a_sentence_start_not_a_name() -> None:
    text = "Subsequently the ministry said the reports were wrong and asked for a correction."
    edited = text.replace("Subsequently", "Afterwards")

    location = locate(Selector(exact=text), edited, language="en")

    assert location.status == "edited"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<html lang="uk-UA"><body><p>{uk}</p></body></html>', "uk"),
        ('<html><head><meta http-equiv="content-language" content="ru"></head><body><p>{ru}</p></body></html>', "ru"),
        # A CMS template that declares the site's language on a page in another: the text wins.
        ('<html lang="en"><body><p>{de}</p></body></html>', "de"),
        ("<html><body><p>{uk}</p></body></html>", "uk"),
    ],
)
def test_a_snapshot_knows_its_language(html: str, expected: str) -> None:
    page = html.format(uk=UK_TEXT * 3, ru=RU_TEXT * 4, de=DE_TEXT * 3)

    assert extract.extract(page).language == expected


# --- Found in review: accents, window edges, affixes, one-letter prefixes, repetitive texts ---------

FILLER = "Ceci est une phrase de remplissage sans rapport avec la citation. "
FR_QUOTE = "Le député a déclaré que la réforme fiscale était nécessaire pour l'économie française"
FR_TEXT = FILLER * 3 + "Lundi soir, " + FR_QUOTE + ", selon l'AFP. " + FILLER * 3


def test_an_accented_quote_moved_and_retyped_is_still_found() -> None:
    selector = _select(FR_TEXT, FR_QUOTE)
    moved = FILLER * 3 + "Autre contexte. " + FILLER * 2 + "Mardi, " + FR_QUOTE.upper() + " a-t-il dit. " + FILLER
    reworded = moved.replace(FR_QUOTE.upper(), FR_QUOTE.replace("était", "est"))

    assert locate(selector, moved, previous_text=FR_TEXT, language="fr").status == "present_normalised"
    assert locate(selector, reworded, previous_text=FR_TEXT, language="fr").status == "edited"


@pytest.mark.parametrize(
    "edit", ["They said it would not be such a disaster", "They said that it would not be a disaster"]
)
def test_words_inserted_before_the_only_content_word_keep_the_whole_quote(edit: str) -> None:
    quote = "They said it would be a disaster"
    text = "Intro sentence here about things. " + quote + ", the minister added.\nNext paragraph."

    location = locate(_select(text, quote), text.replace(quote, edit), previous_text=text, language="en")

    assert (location.status, location.matched_text) == ("edited_substantive", edit)


def test_a_negation_made_by_an_affix_in_place_is_a_change_of_substance() -> None:
    text = "Selon lui, le rapport est exact et complet. Fin.\n"

    location = locate(_select(text, "le rapport est exact"), text.replace("est exact", "est inexact"), language="fr")

    assert location.status == "edited_substantive"
    assert location.changed_tokens == [("exact", "inexact")]


def test_a_one_letter_prefix_is_no_negation() -> None:
    assert substantive_change([("old", "sold")], "") == ""
    assert substantive_change([("deal", "ideal")], "it") == ""


@pytest.mark.parametrize(
    ("selector", "text"),
    [
        (Selector("\u200f\u200fabc"), "\u200fab" * 3333),
        (Selector("the cat sat on the mat today again", "yesterday", "tomorrow"), "the cat sat on the mat " * 1739),
        (Selector("ﬁﬁﬁﬁﬁﬁﬁﬁ x", "ﬁ", "ﬁ"), "ﬁ" * 20000),
    ],
)
def test_repetitive_texts_take_no_quadratic_time(selector: Selector, text: str) -> None:
    # Each took seconds to minutes before (overlapping alignments grouped in quadratic time).
    import time

    started = time.perf_counter()
    locate(selector, text)
    assert time.perf_counter() - started < 2.0
