"""HTML to readable text: main and full text, metadata, notices, shells and soft 404s, hostile input."""

import functools
import random
import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
import trafilatura

from articles.diffing import changed_tokens
from articles.extract import (
    EXTRACTOR,
    MAX_ELEMENTS,
    Extracted,
    extract,
    find_correction_notices,
    fingerprint,
    looks_like_not_found,
    normalise,
    sha256,
)

PAGES = Path(__file__).parent / "pages"
GUARDIAN_URL = "https://www.theguardian.example/us-news/2024/nov/11/trump-putin-phone-call-ukraine-war-report"
KYIV_URL = (
    "https://kyivindependent.com/pure-fiction-kremlin-denies-putin-and-trump-spoke-by-phone-after-election-victory"
)
STAR_URL = "https://www.thestar.com.my/news/world/2024/11/11/trump-in-phone-call-advised-putin-not-to-escalate-in-ukraine---washington-post"


def raw(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@functools.cache
def page(name: str) -> Extracted:
    """Extract a test page once per test run: extraction is pure, so sharing the result is safe."""
    return extract(raw(name), "https://example.org/requested")


def paragraphs(name: str, xpath: str) -> list[str]:
    """Return the article paragraphs of a page, as its markup marks them, in our normal form."""
    return [normalise(p.text_content()).replace("\n", " ") for p in lxml.html.fromstring(raw(name)).xpath(xpath)]


GUARDIAN_BODY = "//div[@data-gu-name='body']/p"
GUARDIAN_CHROME = [
    "Skip to main content", "We use cookies", "Support the Guardian", "Newsletters", "Sign up to Headlines US",
    "Privacy Notice", "Explore more on these topics", "More on this story", "Most viewed", "All rights reserved",
]  # fmt: skip
ARTICLES = [
    ("guardian-trump-putin-v1.html", GUARDIAN_BODY, GUARDIAN_CHROME),
    ("guardian-trump-putin-v1-markup-noise.html", GUARDIAN_BODY, GUARDIAN_CHROME),
    ("guardian-trump-putin-v1-cosmetic.html", GUARDIAN_BODY, GUARDIAN_CHROME),
    ("guardian-trump-putin-v2-copyedit.html", GUARDIAN_BODY, GUARDIAN_CHROME),
    ("guardian-trump-putin-v2-correction.html", GUARDIAN_BODY, GUARDIAN_CHROME),
    ("guardian-trump-putin-v3-quote-removed.html", GUARDIAN_BODY, GUARDIAN_CHROME),
    (
        "kyivindependent-kremlin-denies-call.html",
        "//section[contains(@class, 'gh-content')]/p",
        ["This website uses cookies", "Become a member", "Read also", "Note from the author",
         "Sign up for our newsletter", "Most popular", "All rights reserved"],
    ),
    (
        "thestar-reuters-wire.html",
        "//div[@id='story-body']/p",
        ["We use cookies", "ADVERTISEMENT", "Related News", "Did you find this article insightful",
         "Thank You For Your Time", "Report it to us", "Trending in World", "All rights reserved"],
    ),
    (
        "visti-uk-mzs-sprostuvannia.html",
        "//div[@itemprop='articleBody']/p",
        ["Ми використовуємо файли cookie", "Читайте також", "Підпишіться на нашу розсилку", "Стрічка новин",
         "Усі права захищено"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "body", "chrome"), ARTICLES)
def test_main_text_is_the_article_without_the_site_around_it(name: str, body: str, chrome: list[str]) -> None:
    extracted = page(name)
    expected = paragraphs(name, body)
    assert len(expected) >= 6
    assert extracted.main_text.splitlines() == expected
    for words in chrome:
        assert words in extracted.full_text, f"{words!r} should be on the page"
        assert words not in extracted.main_text, f"{words!r} is site chrome"
    assert not extracted.needs_render
    assert not looks_like_not_found(extracted)


def test_full_text_keeps_what_main_text_leaves_out() -> None:
    v1 = page("guardian-trump-putin-v1.html")
    caption = "Donald Trump, left; and Vladimir Putin. Photograph: Elijah Nouvelage/alexander Nemenov/AFP/Getty Images"
    standfirst = (
        "In phone call, Trump reminds Putin of US's 'sizeable military presence in Europe', Washington Post reports"
    )
    for line in (caption, standfirst, "Maya Yang in New York"):
        assert line in v1.full_text.splitlines()
        assert line not in v1.main_text
    assert "window.guardian" not in v1.full_text  # scripts are not visible text
    assert ".dcr-" not in v1.full_text  # nor are styles


@pytest.mark.parametrize(
    ("name", "title", "canonical_url", "date_modified"),
    [
        ("guardian-trump-putin-v1.html", "Trump speaks with Putin and advises him not to escalate Ukraine war - report",
         GUARDIAN_URL, datetime(2024, 11, 11, 0, 12, 41, tzinfo=UTC)),
        ("guardian-trump-putin-v2-copyedit.html", "Trump speaks with Putin and advises him not to escalate Ukraine war - report",
         GUARDIAN_URL, datetime(2024, 11, 11, 9, 47, 3, tzinfo=UTC)),
        ("kyivindependent-kremlin-denies-call.html",
         "'Pure fiction' - Kremlin denies Putin and Trump spoke by phone after election victory",
         KYIV_URL, datetime(2024, 11, 11, 13, 41, 7, tzinfo=UTC)),
        ("thestar-reuters-wire.html", "Trump in phone call advised Putin not to escalate in Ukraine - Washington Post",
         STAR_URL, datetime(2024, 11, 11, 0, 22, tzinfo=UTC)),
        ("visti-uk-mzs-sprostuvannia.html", "У МЗС спростували, що Київ знав про розмову Трампа з Путіним заздалегідь",
         "https://visti.example/polityka/2024/11/11/mzs-sprostuvaly-rozmovu-trampa-putina",
         datetime(2024, 11, 11, 12, 5, tzinfo=UTC)),
        ("spa-js-shell.html", "The Ledger", "https://ledger.example/world/kremlin-denies-trump-putin-call", None),
        ("guardian-not-found.html", "Page not found | The Guardian", "", None),
    ],
)  # fmt: skip
def test_metadata(name: str, title: str, canonical_url: str, date_modified: datetime | None) -> None:
    extracted = page(name)
    assert (extracted.title, extracted.canonical_url, extracted.date_modified) == (title, canonical_url, date_modified)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta property="og:title" content="OG"><title>Title</title>', "OG"),
        ("<title>  Title\n  on two lines </title>", "Title on two lines"),
        ("", "Heading"),  # falls back to the <h1>
    ],
)
def test_title_prefers_og_title_then_title_then_h1(head: str, expected: str) -> None:
    assert extract(f"<html><head>{head}</head><body><h1>Heading</h1><p>Text</p></body></html>").title == expected


@pytest.mark.parametrize(
    ("head", "url", "expected"),
    [
        ('<link rel="canonical" href="/a/b">', "https://news.example/a/b?utm_source=x", "https://news.example/a/b"),
        ('<link rel="Canonical  alternate" href="https://x.example/c">', "", "https://x.example/c"),
        ('<meta property="og:url" content="https://x.example/og">', "", "https://x.example/og"),
        ('<link rel="canonical" href="javascript:alert(1)">', "https://news.example/", ""),
        ('<link rel="canonical" href="/relative-without-base">', "", ""),
    ],
)
def test_canonical_url_is_absolute_http(head: str, url: str, expected: str) -> None:
    assert extract(f"<html><head>{head}</head><body><p>Text</p></body></html>", url).canonical_url == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<meta property="article:modified_time" content="2024-11-11T09:47:03+02:00">', datetime(2024, 11, 11, 7, 47, 3, tzinfo=UTC)),
        ('<script type="application/ld+json">{"@type": "NewsArticle", "dateModified": "2024-11-12"}</script>',
         datetime(2024, 11, 12, tzinfo=UTC)),
        ('<time class="updated" datetime="2024-11-13T10:00:00Z">13 Nov</time><time datetime="2024-11-01">1 Nov</time>',
         datetime(2024, 11, 13, 10, tzinfo=UTC)),
        ('<meta property="article:published_time" content="Mon, 11 Nov 2024 00:01:32 GMT">', datetime(2024, 11, 11, 0, 1, 32, tzinfo=UTC)),
        ('<meta property="article:modified_time" content="0001-01-01T00:00:00"><time datetime="2024-11-01">x</time>',
         datetime(2024, 11, 1, tzinfo=UTC)),
        ('<meta property="article:modified_time" content="last Tuesday"><time datetime="99999-99-99">x</time>', None),
        ('<script type="application/ld+json">{"dateModified": [</script>', None),
    ],
)  # fmt: skip
def test_date_modified_is_an_aware_utc_datetime(markup: str, expected: datetime | None) -> None:
    assert extract(f"<html><head></head><body>{markup}<p>Text</p></body></html>").date_modified == expected


def test_correction_notice_is_found_on_the_amended_version_only() -> None:
    assert page("guardian-trump-putin-v2-correction.html").correction_notices == [
        "This article was amended on 12 November 2024. An earlier version said that Trump spoke to "
        "Volodymyr Zelenskyy on Thursday; the call took place on Wednesday."
    ]
    for name, _, _ in ARTICLES:
        if name != "guardian-trump-putin-v2-correction.html":
            assert page(name).correction_notices == [], name  # "Complaints & corrections" in a footer is not one


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Correction: An earlier version misspelled Heorhii Tykhyi's name.", "Correction: An earlier version misspelled Heorhii Tykhyi's name."),
        ("Editor’s note: This story was updated to include the foreign ministry’s statement.",
         "Editor's note: This story was updated to include the foreign ministry's statement."),
        ("Clarification (12 November): The call took place on 7 November, not 8 November.",
         "Clarification (12 November): The call took place on 7 November, not 8 November."),
        ("Update, 11 Nov 2024: The Kremlin has denied that the call took place.",
         "Update, 11 Nov 2024: The Kremlin has denied that the call took place."),
        ("CORRECTIONS: Two figures in the third paragraph were transposed.", "CORRECTIONS: Two figures in the third paragraph were transposed."),
        ("The Kremlin denied it. This story has been updated with the Kremlin's denial.",
         "This story has been updated with the Kremlin's denial."),
        ("* An earlier version of this article said the call was on Friday.", "An earlier version of this article said the call was on Friday."),
        ("[Correction: The quote was first attributed to Reuters (not AFP).]", "Correction: The quote was first attributed to Reuters (not AFP)."),
        ("Correction: The call was first reported by the Washington Post (WP)", "Correction: The call was first reported by the Washington Post (WP)"),
        ("This article was amended on 12 November 2024 to correct a name.", "This article was amended on 12 November 2024 to correct a name."),
        ("Updated: 11 Nov 2024 10.32 GMT", None),  # a timestamp, not a notice
        ("Updated 11 November 2024, 2 hours ago", None),
        ("Last updated: Monday 11 November 2024 at 10:32 am", None),
        ("Complaints & corrections", None),
        ("The correction came too late, he said.", None),
        ("He said: update the figures when the ministry confirms them.", None),
    ],
)  # fmt: skip
def test_correction_notices(text: str, expected: str | None) -> None:
    assert find_correction_notices(normalise(text)) == ([expected] if expected else [])


def test_notices_found_in_main_and_full_text_are_listed_once() -> None:
    notice = "Correction: The call took place on Wednesday, not Thursday."
    assert find_correction_notices(f"Text.\n{notice}", f"Menu\nText.\n{notice}\nFooter") == [notice]


# --- The change tiers, as the re-check pipeline uses them (DESIGN §5.7) --------------------------------


def tier(old_raw: bytes, old: Extracted, new_raw: bytes, new: Extracted) -> str:
    """Classify a new fetch against the last one, cheapest test first."""
    if sha256(new_raw) == sha256(old_raw):
        return "unchanged"
    if sha256(new.main_text) == sha256(old.main_text):
        return "markup noise"
    if fingerprint(new.main_text) == fingerprint(old.main_text):
        return "cosmetic"
    return "changed"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("v1", "v1", "unchanged"),
        ("v1", "v1-markup-noise", "markup noise"),
        ("v1", "v1-cosmetic", "cosmetic"),
        ("v1", "v2-copyedit", "changed"),
        ("v2-copyedit", "v3-quote-removed", "changed"),
        ("v2-copyedit", "v2-correction", "changed"),
    ],
)
def test_change_tiers(old: str, new: str, expected: str) -> None:
    old_name, new_name = f"guardian-trump-putin-{old}.html", f"guardian-trump-putin-{new}.html"
    assert tier(raw(old_name), page(old_name), raw(new_name), page(new_name)) == expected


def test_copy_edit_shows_as_the_changed_words() -> None:
    v1, v2 = page("guardian-trump-putin-v1.html"), page("guardian-trump-putin-v2-copyedit.html")
    # STORY.md: the seed reads "probably", "had", "all its"; the republished versions "likely", "has", "all of its".
    assert changed_tokens(v1.main_text, v2.main_text) == [("probably", "likely"), ("", "of"), ("had", "has")]
    assert v2.date_modified is not None and v1.date_modified is not None and v2.date_modified > v1.date_modified


def test_removed_paragraph_shows_as_one_deletion() -> None:
    v2, v3 = page("guardian-trump-putin-v2-copyedit.html"), page("guardian-trump-putin-v3-quote-removed.html")
    ((removed, added),) = changed_tokens(v2.main_text, v3.main_text)
    assert removed.startswith("Ukraine's foreign ministry disputed a claim") and removed.endswith("told Reuters.")
    assert added == ""


def test_cosmetic_edits_differ_only_in_case_punctuation_and_whitespace() -> None:
    v1, cosmetic = page("guardian-trump-putin-v1.html"), page("guardian-trump-putin-v1-cosmetic.html")
    assert changed_tokens(v1.main_text, cosmetic.main_text) == [
        ("-", ""), (",", "-"), ("president", "President"), (",", ""), ("Nato", "NATO")
    ]  # fmt: skip
    assert len(cosmetic.main_text.splitlines()) == len(v1.main_text.splitlines()) + 1  # the split paragraph


# --- JavaScript shells, extraction failures and soft 404s ----------------------------------------------


def test_javascript_shell_needs_rendering() -> None:
    shell = page("spa-js-shell.html")
    assert (shell.main_text, shell.full_text) == ("", "")
    assert "Kremlin" not in shell.main_text  # the article is only in a JSON <script>
    assert shell.needs_render
    assert not looks_like_not_found(shell)


SHELL_WITH_CHROME = """<html><head><title>Ledger</title></head><body>
<header><a href="/">The Ledger</a> <a href="/world">World</a> <a href="/business">Business</a></header>
<div id="__next"></div><script src="/_next/static/chunks/main.js"></script>
<footer>© 2024 The Ledger</footer></body></html>"""
BRIEF = """<html><head><title>Kremlin denies call</title></head><body><nav><a href="/">Home</a></nav><article>
<h1>Kremlin denies call</h1><p>The Kremlin on Monday denied that Putin and Trump had spoken by phone.</p>
<p>"There was no conversation," spokesman Dmitry Peskov said.</p></article><footer>© 2024 Example News</footer>
</body></html>"""


@pytest.mark.parametrize(
    ("html", "previous_main_length", "expected"),
    [
        (SHELL_WITH_CHROME, None, True),  # server-rendered chrome around an empty mount point
        (BRIEF, None, False),  # a short article is still an article
        (BRIEF, 800, False),
        (BRIEF, 4279, True),  # was long, now almost nothing: an extraction failure, never "quote gone"
        ("<html><body><p>OK</p></body></html>", None, False),  # tiny, but nothing is meant to fill it in
        ("<html><body><p>Loading…</p><script src='/app.js'></script></body></html>", None, True),
        ('<html><head><script type="application/ld+json">{}</script></head><body><p>x</p></body></html>', None, False),
    ],
)
def test_needs_render(html: str, previous_main_length: int | None, expected: bool) -> None:
    assert extract(html, previous_main_length=previous_main_length).needs_render is expected


def test_a_page_too_big_to_extract_is_an_extraction_failure() -> None:
    html = "<html><body>" + "<div>x</div>" * (MAX_ELEMENTS + 1) + "</body></html>"
    extracted = extract(html)
    assert extracted.main_text == ""
    assert extracted.full_text.startswith("x\nx\n")  # still searchable
    assert extracted.needs_render


def test_not_found_page_is_a_soft_404_not_a_render_problem() -> None:
    not_found = extract(raw("guardian-not-found.html"), previous_main_length=4279)
    assert looks_like_not_found(not_found)
    assert not not_found.needs_render  # liveness must see it: checking.py asks needs_render first or second


def extracted_text(*, title: str = "", main: str = "", full: str = "") -> Extracted:
    return Extracted(main, full or main, title, "", None, [], needs_render=False)


@pytest.mark.parametrize(
    ("extracted", "expected"),
    [
        (extracted_text(title="404 Not Found"), True),
        (extracted_text(title="Error 404 | Example News", main="Home\nWorld"), True),
        (extracted_text(title="Not Found"), True),
        (extracted_text(main="Sorry, the page you were looking for doesn't exist."), True),
        (extracted_text(main="This article is no longer available."), True),
        (extracted_text(main="Сторінку не знайдено"), True),
        (extracted_text(main="Страница не найдена"), True),
        (extracted_text(main="Seite nicht gefunden"), True),
        (extracted_text(title="Вісті", full="Головна\nПомилка 404\nСторінка не існує"), True),
        (extracted_text(title="Trump says the deal doesn't exist", main="Trump says the deal doesn't exist."), False),
        (extracted_text(main="The 404 bus route was cancelled on Monday."), False),
        (extracted_text(title="Page not found: why links rot", main="Page not found. " + "Links rot. " * 100), False),
        (extracted_text(), False),
    ],
)
def test_looks_like_not_found(extracted: Extracted, expected: bool) -> None:
    assert looks_like_not_found(extracted) is expected


# --- Encodings and scripts ---------------------------------------------------------------------------------


def test_cyrillic_text_is_kept_intact() -> None:
    visti = page("visti-uk-mzs-sprostuvannia.html")
    assert (
        '"Повідомлення про те, що українську сторону нібито заздалегідь поінформували про ймовірну розмову, '
        'не відповідають дійсності. Відповідно, Україна не могла ні схвалити, ні заперечити проти цієї розмови", '
        "- сказав речник МЗС Георгій Тихий агенції Reuters."
    ) in visti.main_text.splitlines()
    assert "з'ясовували" in visti.main_text and "Об'єднаний" in visti.main_text  # ’ and ʼ both become '
    assert "Будівля Міністерства закордонних справ України в Києві. Фото: ілюстративне" in visti.full_text


@pytest.mark.parametrize(
    ("meta", "charset"),
    [
        ('<meta charset="windows-1251">', ""),  # declared in the page
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">', ""),
        ("", "windows-1251"),  # declared only in the HTTP header
        ('<meta charset="utf-8">', "windows-1251"),  # the header wins, as in browsers
        ("", ""),  # declared nowhere: guessed
    ],
)
def test_legacy_cyrillic_encodings_are_decoded(meta: str, charset: str) -> None:
    utf8 = raw("visti-uk-mzs-sprostuvannia.html").decode()
    legacy = utf8.replace('<meta charset="utf-8">', meta).replace("ʼ", "’").encode("cp1251")  # cp1251 has no ʼ
    extracted = extract(legacy, charset=charset)
    assert extracted.main_text == page("visti-uk-mzs-sprostuvannia.html").main_text
    assert extracted.title.startswith("У МЗС спростували")


def test_byte_order_mark_wins() -> None:
    html = '<html><head><meta charset="windows-1252"></head><body><p>Пєсков: «Це чиста вигадка»</p></body></html>'
    assert extract(html.encode("utf-16")).full_text == 'Пєсков: "Це чиста вигадка"'
    assert extract(b"\xef\xbb\xbf" + html.encode()).full_text == 'Пєсков: "Це чиста вигадка"'


def test_visible_text_has_one_line_per_block_and_no_hidden_code() -> None:
    html = """<html><head><title>T</title><style>p{color:red}</style></head><body>
    <p>One <b>bold</b>
       word</p><div>Two<br>lines</div><!-- a comment --><script>var hidden = 1;</script>After script
    <template><p>template</p></template><noscript>Enable JavaScript</noscript><svg><text>icon</text></svg>
    <pre>keep   these
  spaces</pre><table><tr><td>cell 1</td><td>cell 2</td></tr></table></body></html>"""
    assert extract(html).full_text == "One bold word\nTwo\nlines\nAfter script\nkeep these\nspaces\ncell 1\ncell 2"


# --- Hostile input: best effort, never an exception ------------------------------------------------------


HOSTILE = {
    "empty bytes": b"",
    "empty string": "",
    "whitespace": " \n\t ",
    "only NUL bytes": b"\x00" * 1000,
    "NUL inside text": b"<html><body><p>Peskov\x00 said</p></body></html>",
    "invalid UTF-8": b"<html><body><p>Caf\xe9 \xff\xfe\xc3\x28 ok</p></body></html>",
    "lone surrogate": "<html><body><p>x\ud800y</p></body></html>",
    "XML declaration in a str": '<?xml version="1.0" encoding="utf-8"?><html><body><p>xml</p></body></html>',
    "unknown charset": b'<meta charset="no-such-charset"><p>hi there</p>',
    "non-text codec": b'<meta charset="base64"><p>hi there</p>',
    "binary garbage": random.Random(0).randbytes(200_000),
    "deeply nested divs (10 MB)": "<html><body>" + "<div>" * 2_000_000 + "deep" + "</div>" * 2_000_000,
    "huge attribute": '<html><body><p title="' + "a" * 5_000_000 + '">hello</p></body></html>',
    "unclosed comment": "<html><body><p>before</p><!--" + "x" * 1_000_000,
    "scripts only": "<script>" * 10_000,
    "deeply nested JSON-LD": '<script type="application/ld+json">' + "[" * 100_000 + "</script><p>x</p>",
    "control characters": "<p>\x01\x02\x1b[31mred\x7f\x85\u2028</p>",
}


@pytest.mark.parametrize("html", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_never_raises(html: bytes | str) -> None:
    extracted = extract(html, "https://example.org/", previous_main_length=5000)
    assert isinstance(extracted, Extracted)
    if not extracted.main_text and not extracted.full_text:
        assert extracted.needs_render
    assert "\x00" not in extracted.full_text + extracted.main_text


def test_nul_bytes_and_bad_bytes_keep_the_readable_text() -> None:
    assert extract(HOSTILE["NUL inside text"]).full_text == "Peskov said"
    assert extract(HOSTILE["invalid UTF-8"]).full_text.startswith("Caf")
    assert extract(HOSTILE["lone surrogate"]).full_text == "x\ufffdy"


def test_empty_document_has_nothing_and_needs_render() -> None:
    assert extract(b"") == Extracted("", "", "", "", None, [], needs_render=True)


# --- Normalisation and hashes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("“Washington’s sizeable military presence”", '"Washington\'s sizeable military presence"'),
        ("‘a’ ‚b‛ „c‟ «d» ‹e›", "'a' 'b' \"c\" \"d\" 'e'"),
        ("пам’ять, обʼєкт", "пам'ять, об'єкт"),
        ("war – report — 2022‒2024 ― x ‐ y ‑ z −5", "war - report - 2022-2024 - x - y - z -5"),
        ("wait…", "wait..."),
        ("soft\u00adhyphen zero\u200bwidth\u200c\u200d\u2060joined\ufeff", "softhyphen zerowidthjoined"),
        ("non\u00a0breaking\u202fspaces", "non breaking spaces"),
        ("ＡＢＣ ﬁ ½", "ABC fi 1⁄2"),  # NFKC
        ("  many   spaces\tand\ttabs  ", "many spaces and tabs"),
        ("para one\r\n\r\n\n   para two  \n\n", "para one\npara two"),
        ("line\u2028separator\u2029paragraph", "line\nseparator\nparagraph"),
        ("", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected
    assert normalise(expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Ukraine would have to drop its Nato ambitions", "UKRAINE would have to drop its NATO ambitions.", True),
        ("On Friday, the Kremlin said", "On Friday the  Kremlin\nsaid", True),
        ("The US president-elect advised", "The US president elect advised", True),
        ("“within a day”, but", '"within a day" - but', True),
        ("Trump´s call", "Trump's call", True),  # ´ used as an apostrophe
        ("Trump probably does not want", "Trump likely does not want", False),
        ("aid worth $5bn", "aid worth €5bn", False),  # currency is a fact
        ("prices rose 5%", "prices rose 5", False),
        ("temperature of -5 degrees", "temperature of 5 degrees", False),  # a minus sign is a fact
        ("ages 5-10", "ages 5 10", True),  # a hyphen between numbers is punctuation
    ],
)
def test_fingerprint_ignores_only_case_punctuation_and_whitespace(a: str, b: str, same: bool) -> None:
    assert (fingerprint(a) == fingerprint(b)) is same


def test_sha256_of_text_is_sha256_of_its_utf8() -> None:
    assert sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256("Пєсков") == sha256("Пєсков".encode())
    assert sha256("x\ud800") != sha256("x")  # lone surrogates hash instead of raising


def test_extractor_names_the_pinned_version() -> None:
    assert EXTRACTOR == f"trafilatura@{trafilatura.__version__}" == "trafilatura@2.3.1"


def test_extraction_is_repeatable() -> None:
    # trafilatura's deduplication keeps a process-wide cache: with it on, a second run would lose paragraphs.
    first = extract(raw("guardian-trump-putin-v1.html"))
    second = extract(raw("guardian-trump-putin-v1.html"))
    assert first == second
    assert re.search(r"Trump probably does not want", second.main_text)
