"""Turn a fetched HTML page into the texts we compare and search. Pure functions, no Django imports, no I/O.

The main text comes from trafilatura's `extract()` run on the HTML we fetched ourselves (never its
downloader, which retries without TLS verification: DESIGN §9). Everything else (the full visible
text used as the quote-search fallback, title, canonical address, modification date and correction
notices) is read with lxml, so it does not depend on the extractor's guesses.

The texts are normalised (`normalise`) so the change tiers of DESIGN §5.7 compare like with like:
same `sha256(main_text)` means markup noise, same `fingerprint(main_text)` means a cosmetic edit.
"""

import codecs
import dataclasses
import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import charset_normalizer  # a dependency of trafilatura: its encoding guesser, reused for undeclared charsets
import lxml.html
import trafilatura
from lxml import etree

from articles import languages

logger = logging.getLogger(__name__)

EXTRACTOR = f"trafilatura@{trafilatura.__version__}"

# favor_precision: on our test pages it keeps every article paragraph, like the default and
# favor_recall, but drops what the other two let through from inside the story container (a
# cookie banner, "Did you find this article insightful?" widgets). Chrome in the main text would
# make its hash change with the chrome, and a quote not in the main text is still searched for in
# the full visible text. deduplicate stays off: its cache is process-wide, so a second extraction
# of the same page would lose paragraphs. Comments are readers', not the article's.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "output_format": "txt",
    "favor_precision": True,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "include_formatting": False,
    "deduplicate": False,
    "with_metadata": False,
}

MIN_MAIN_LENGTH = 250  # trafilatura's own MIN_EXTRACTED_SIZE: shorter is a failure if it used to be long
LONG_MAIN_LENGTH = 1000
TINY_PAGE_LENGTH = 200  # visible text of a JavaScript shell (source-monitoring §8.3)
SHORT_PAGE_LENGTH = 1000  # a "page not found" page says little; a long text is an article about 404s
MAX_NOTICE_LENGTH = 1000
# trafilatura spends about 80 µs an element (measured: 20,000 elements 1.6 s, 100,000 elements 16 s);
# real article pages have a few thousand. Past this, the page is an extraction failure, not a wait.
MAX_ELEMENTS = 50_000
_CHARSET_SCAN_BYTES = 4096


@dataclass(frozen=True)
class Extracted:
    """The readable parts of one fetched page, each normalised."""

    main_text: str
    full_text: str
    title: str
    canonical_url: str
    date_modified: datetime | None
    correction_notices: list[str]
    needs_render: bool
    language: str = ""  # ISO 639-1 among articles.languages.SUPPORTED, or "" (issue 13)


def extract(
    html: bytes | str, url: str = "", *, previous_main_length: int | None = None, charset: str = ""
) -> Extracted:
    """Read the main text, full visible text and metadata of a page; never raise on hostile input.

    `charset` is the one the HTTP Content-Type header declared, if any: it wins over the page's own
    <meta charset>, as in browsers. `previous_main_length` is the main-text length of the last good
    snapshot: a long article that suddenly extracts to almost nothing is an extraction failure
    (`needs_render`), never a page whose quotes are gone.
    """
    text = _decoded(html, charset)
    root = _parsed(text)
    if root is None:
        return Extracted("", "", "", "", None, [], needs_render=True)
    full_text = normalise(_visible_text(root))
    main_text, failed = _main_text(text, root, url)
    meta = _meta_values(root)
    extracted = Extracted(
        main_text=main_text,
        full_text=full_text,
        title=_title(root, meta),
        canonical_url=_canonical_url(root, meta, url),
        date_modified=_date_modified(root, meta),
        correction_notices=find_correction_notices(main_text, full_text),
        needs_render=False,
        language=languages.detect(main_text or full_text, _declared_language(root, meta)),
    )
    return dataclasses.replace(extracted, needs_render=_needs_render(extracted, root, failed, previous_main_length))


def _main_text(text: str, root: Any, url: str) -> tuple[str, bool]:
    """Return trafilatura's main text, and whether extraction failed."""
    if sum(1 for _ in root.iter()) > MAX_ELEMENTS:
        logger.warning("not extracting %s: more than %s elements", url or "a page", MAX_ELEMENTS)
        return "", True
    try:
        return normalise(trafilatura.extract(text, url=url or None, **TRAFILATURA_OPTIONS) or ""), False
    except Exception:  # a third-party parser on hostile input: record a failure, never crash the check
        logger.warning("trafilatura failed on %s", url or "a page", exc_info=True)
        return "", True


# --- Text normalisation and hashes ------------------------------------------------------------------

_TYPOGRAPHY = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛‹›ʼ", "'"),  # ʼ (U+02BC) is the Ukrainian apostrophe
        **dict.fromkeys("“”„‟«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),  # incl. the minus sign: "−5%" and "-5%" are the same words
        "…": "...",
        **dict.fromkeys("\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff", ""),  # soft hyphen, zero-width, marks
        **dict.fromkeys("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", "\n"),
    }
)
# NFKC would turn the acute accent, often typed as an apostrophe ("Trump´s"), into a space and a combining mark.
_BEFORE_NFKC = str.maketrans({"´": "'"})
_SPACES = re.compile(r"[^\S\n]+")


def normalise(text: str) -> str:
    """Return text in the one form we hash and search: NFKC, ASCII quotes and dashes, tidy whitespace.

    Runs of spaces within a line become one space; each paragraph is one line, with no blank lines.
    """
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n").translate(_BEFORE_NFKC)).translate(_TYPOGRAPHY)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


_NUMERIC_SIGN = re.compile(r"(?<!\w)-(?=\d)")


def fingerprint(text: str) -> str:
    """Return a hash that ignores case, whitespace and punctuation: equal for cosmetic edits only.

    Removed: whitespace, Unicode punctuation (P*) and modifier symbols (Sk, such as ´ used as an
    apostrophe). Kept, because changing them changes the facts: currency and other symbols, "%",
    and a minus sign in front of a number.
    """
    folded = normalise(text).casefold()
    signs = {match.start() for match in _NUMERIC_SIGN.finditer(folded)}
    return sha256("".join(char for at, char in enumerate(folded) if at in signs or _counts_for_fingerprint(char)))


@lru_cache(maxsize=4096)
def _counts_for_fingerprint(char: str) -> bool:
    if char in "%‰":
        return True
    if char.isspace():
        return False
    category = unicodedata.category(char)
    return not (category.startswith("P") or category == "Sk")


def sha256(text: str | bytes) -> str:
    """Return the hex SHA-256 of bytes, or of text encoded as UTF-8."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


# --- Soft 404s ------------------------------------------------------------------------------------------

_PAGE_NOUN = r"(?:page|article|story|content|url|link|file|document)s?"
_NOT_FOUND = re.compile(
    r"\b(?:error|erreur|fehler|помилка|ошибка)\s*(?:code\s*)?:?\s*404\b"
    r"|\b404\b\s*[-:|.]?\s*(?:error|page|not\s+found)"
    r"|^\s*404\s*$"
    r"|\bpage\s+(?:was\s+|is\s+)?not\s+found\b"
    rf"|\b{_PAGE_NOUN}\b[^.\n]{{0,60}}?(?:doesn't|does\s+not|no\s+longer|cannot|can't|could\s+not|couldn't)\s+"
    r"(?:exists?|be\s+found|available|be\s+displayed)\b"
    r"|\b(?:couldn't|could\s+not|can't|cannot|were\s+unable\s+to|unable\s+to)\s+find\s+(?:the|that|this|your)\s+page\b"
    r"|\bhaven't\s+been\s+able\s+to\s+serve\s+the\s+page\b"
    r"|\bthe\s+page\s+you\s+(?:requested|asked\s+for|were\s+looking\s+for|are\s+looking\s+for|'re\s+looking\s+for)\b"
    r"|сторінк\w*\s+не\s+знайден\w*|не\s+вдалося\s+знайти\s+сторінк\w*|сторінк\w*\s+не\s+існує"
    r"|страниц\w*\s+не\s+найден\w*|не\s+удалось\s+найти\s+страниц\w*|страниц\w*\s+не\s+существует"
    r"|seite\s+nicht\s+gefunden|page\s+introuvable|p[aá]gina\s+no\s+encontrada|pagina\s+non\s+trovata",
    re.IGNORECASE | re.MULTILINE,
)
_NOT_FOUND_TITLE = re.compile(r"^\W*(?:404\b|not\s+found\b)|\bnot\s+found\W*$", re.IGNORECASE)


def looks_like_not_found(extracted: Extracted) -> bool:
    """Tell whether a page that answered 200 is really a "page not found" page (a soft 404)."""
    if len(extracted.main_text) >= SHORT_PAGE_LENGTH:
        return False
    if _NOT_FOUND_TITLE.search(extracted.title):
        return True
    # The full text is searched too: trafilatura often keeps none of an error page, whose <h1> then
    # only survives there. The main text is short, so this is not an article that mentions 404s.
    return any(_NOT_FOUND.search(text) for text in (extracted.title, extracted.main_text, extracted.full_text))


# --- Correction notices ----------------------------------------------------------------------------------

_LABEL = (
    r"(?P<label>corrections?|clarifications?|editor'?s'?\s+note|note\s+from\s+the\s+editor|updated?)"
    r"\s*(?:\([^)\n]{0,40}\)\s*)?(?:[:-]|,[^:\n]{0,40}:)(?P<rest>.*)"
)
_SENTENCE_NOTICE = (
    r"(?:this|the)\s+(?:article|story|report|piece|post|page)\s+(?:was|has\s+been|had\s+been)\s+"
    r"(?:amended|updated|corrected|changed|edited)\b.*"
    r"|an?\s+(?:earlier|previous|prior)\s+version\s+of\s+this\s+(?:article|story|report|piece|post)\b.*"
    r"|correction\s+appended\b.*"
)
# A notice starts a line or a sentence; footnotes often open with "*", "[" or "(".
_NOTICE = re.compile(
    rf"(?:^(?P<opening>[\s*_]*[\[(]?)|(?<=[.!?] )|(?<=[.!?]\" )|(?<=[.!?]' )|(?<=[.!?]\) ))"
    rf"(?P<notice>{_LABEL}|{_SENTENCE_NOTICE})",
    re.IGNORECASE,
)
_CLOSING = {"[": "]", "(": ")"}
_DATE_WORDS = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august"
    r"|september|october|november|december|mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday"
    r"|friday|saturday|sunday|am|pm|gmt|utc|bst|cet|cest|est|edt|pst|pdt|et|pt|at|on|min|mins|ago|hours?)\b",
    re.IGNORECASE,
)


def find_correction_notices(*texts: str) -> list[str]:
    """Return the correction and editor's notes in the texts, each from its opening words to the end of its line.

    "Updated: 11 Nov 2024 10.32 GMT" is a timestamp, not a notice, so a labelled line needs a few
    words after its label; otherwise every republication would look like a new correction.
    """
    notices: list[str] = []
    for text in texts:
        for line in text.splitlines():
            match = _NOTICE.search(line)
            if match is None:
                continue
            if match.group("label") is not None and _is_timestamp(match.group("rest")):
                continue
            notice = line[match.start("notice") :].strip()
            closing = _CLOSING.get((match.group("opening") or "").strip(" *_"))
            if closing and notice.endswith(closing):  # "[Correction: …]": the brackets are not the notice's
                notice = notice[:-1].rstrip()
            notice = notice[:MAX_NOTICE_LENGTH]
            if notice and notice not in notices:
                notices.append(notice)
    return notices


def _is_timestamp(text: str) -> bool:
    """Tell whether what follows a label is only a date or time: fewer than three other words."""
    return len(re.findall(r"[^\W\d_]{2,}", _DATE_WORDS.sub(" ", text))) < 3


# --- Decoding and parsing ----------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]{1,40})""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# As in the WHATWG Encoding standard: these labels mean windows-1252, and a <meta> can't really say UTF-16.
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252",
                    "us-ascii": "cp1252", "x-user-defined": "cp1252"}  # fmt: skip
_UNPARSEABLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")


def _decoded(html: bytes | str, declared: str) -> str:
    """Return the page as text, with what lxml can't parse (NUL, other controls, lone surrogates) removed."""
    if isinstance(html, str):
        text = html
    else:
        text = _decoded_bytes(html, declared)
    text = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses str input with an encoding declaration
    return _UNPARSEABLE.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else "", text)


def _decoded_bytes(raw: bytes, declared: str) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace")
    meta = _META_CHARSET.search(raw[:_CHARSET_SCAN_BYTES])
    meta_label = meta.group(1).decode("ascii") if meta else ""
    if meta_label.lower().startswith("utf-16"):
        meta_label = "utf-8"
    for label in (declared, meta_label):
        text = _decoded_as(raw, label)
        if text is not None:
            return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        guess = charset_normalizer.from_bytes(raw[: 256 * 1024]).best()
    except Exception:  # a guesser fed hostile bytes: fall back to what browsers assume, never crash the check
        guess = None
    return _decoded_as(raw, guess.encoding if guess else "") or raw.decode("cp1252", errors="replace")


def _decoded_as(raw: bytes, label: str) -> str | None:
    label = label.strip().lower()
    if not label:
        return None
    try:
        return raw.decode(_CHARSET_ALIASES.get(label, label), errors="replace")
    except (LookupError, ValueError):  # unknown or non-text codec ("base64", "rot13")
        return None


def _parsed(text: str) -> Any:
    """Return the lxml document, or None when there is nothing to parse."""
    if not text.strip():
        return None
    # One parser per call: lxml parsers must not be shared between threads.
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, collect_ids=False)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.LxmlError, ValueError):
        return None
    return root


# --- Visible text -------------------------------------------------------------------------------------------

_INVISIBLE = frozenset({"script", "style", "noscript", "template", "svg", "head", "math", "iframe", "object"})
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "option", "p",
        "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
    }
)  # fmt: skip
_HTML_WHITESPACE = re.compile(r"[ \t\n\r\f]+")


def _visible_text(root: Any) -> str:
    """Return the text a reader could see, one line per block element (iteratively: pages can nest deeply)."""
    parts: list[str] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    in_pre = 0
    while stack:
        element, closing = stack.pop()
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if closing:
            if tag == "pre":
                in_pre -= 1
            if tag in _BLOCKS:
                parts.append("\n")
            parts.append(_inline(element.tail, in_pre))
            continue
        if not tag or tag in _INVISIBLE:  # comments and processing instructions have no tag name
            parts.append(_inline(element.tail, in_pre))
            continue
        if tag in _BLOCKS:
            parts.append("\n")
        if tag == "pre":
            in_pre += 1
        parts.append(_inline(element.text, in_pre))
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    return "".join(parts)


def _inline(text: str | None, in_pre: int) -> str:
    if not text:
        return ""
    return text if in_pre else _HTML_WHITESPACE.sub(" ", text)


# --- Metadata ---------------------------------------------------------------------------------------------


def _declared_language(root: Any, meta: dict[str, str]) -> str:
    """Return the language the page declares: <html lang>, Content-Language, or og:locale."""
    candidates = [root.get("lang") or "", root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""]
    for element in root.iter("meta"):
        if (element.get("http-equiv") or "").strip().lower() == "content-language":
            candidates.append(element.get("content") or "")
    candidates += [meta.get("og:locale", ""), meta.get("language", "")]
    return next((found for c in candidates if (found := languages.declared(c))), "")


def _meta_values(root: Any) -> dict[str, str]:
    """Return the first content of each <meta> by lower-cased property, name or itemprop."""
    values: dict[str, str] = {}
    for meta in root.iter("meta"):
        content = (meta.get("content") or "").strip()
        for attribute in ("property", "name", "itemprop"):
            key = (meta.get(attribute) or "").strip().lower()
            if key and content:
                values.setdefault(key, content)
    return values


def _one_line(text: str, limit: int = 500) -> str:
    return normalise(text).replace("\n", " ")[:limit]


def _title(root: Any, meta: dict[str, str]) -> str:
    for key in ("og:title", "twitter:title"):
        if meta.get(key):
            return _one_line(meta[key])
    for xpath in ("//head/title", "//title", "//h1"):
        for element in root.xpath(xpath):
            title = _one_line(element.text_content())
            if title:
                return title
    return ""


def _canonical_url(root: Any, meta: dict[str, str], url: str) -> str:
    candidates = [
        link.get("href") or "" for link in root.iter("link") if "canonical" in (link.get("rel") or "").lower().split()
    ]
    candidates.append(meta.get("og:url", ""))
    for href in candidates:
        href = href.strip()
        if not href or len(href) > 2000:
            continue
        try:
            absolute = urljoin(url, href) if url else href
            parts = urlsplit(absolute)
        except ValueError:
            continue
        if parts.scheme in {"http", "https"} and parts.netloc:
            return absolute
    return ""


_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "last-modified", "dcterms.modified")
_PUBLISHED_META = ("article:published_time", "datepublished", "dcterms.created", "date")


def _date_modified(root: Any, meta: dict[str, str]) -> datetime | None:
    """Return when the page says it last changed: its publication date when it says nothing else."""
    json_ld = list(_json_ld_objects(root))
    for candidate in (
        *(meta.get(key, "") for key in _MODIFIED_META),
        *_json_ld_dates(json_ld, "dateModified"),
        *_time_values(root, modified=True),
        *(meta.get(key, "") for key in _PUBLISHED_META),
        *_json_ld_dates(json_ld, "datePublished"),
        *_time_values(root, modified=False),
    ):
        parsed = _parsed_date(candidate)
        if parsed is not None:
            return parsed
    return None


def _json_ld_objects(root: Any) -> Iterator[dict[str, Any]]:
    """Yield every JSON-LD object on the page, articles first (walked iteratively: no recursion limit)."""
    found: list[dict[str, Any]] = []
    for script in root.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        pending = [data]
        while pending:
            item = pending.pop()
            if isinstance(item, dict):
                found.append(item)
                pending.extend(value for value in item.values() if isinstance(value, dict | list))
            elif isinstance(item, list):
                pending.extend(item)
    yield from sorted(found, key=lambda item: "article" not in str(item.get("@type", "")).lower())


def _json_ld_dates(objects: list[dict[str, Any]], key: str) -> Iterator[str]:
    for item in objects:
        value = item.get(key)
        if isinstance(value, str):
            yield value


def _time_values(root: Any, *, modified: bool) -> Iterator[str]:
    for time in root.iter("time"):
        hints = f"{time.get('itemprop', '')} {time.get('class', '')}".lower()
        is_modified = "modified" in hints or "updated" in hints
        if is_modified == modified:
            yield time.get("datetime") or ""


def _parsed_date(value: str) -> datetime | None:
    value = value.strip()[:64]
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # a page without an offset: UTC is as good a guess as any
    if not 1990 <= parsed.year <= 2100:  # placeholders such as 0001-01-01 or 9999-12-31
        return None
    return parsed.astimezone(UTC)


# --- Needs a browser? -----------------------------------------------------------------------------------

_MOUNT_POINTS = frozenset({"root", "app", "__next", "__nuxt", "___gatsby", "svelte", "main-app", "application"})


def _needs_render(extracted: Extracted, root: Any, failed: bool, previous_main_length: int | None) -> bool:
    """Tell whether the page must be rendered in a browser (or re-fetched) before anyone trusts its text."""
    if not extracted.main_text and not extracted.full_text:
        return True
    if looks_like_not_found(extracted):
        # The server said so in words: liveness must see a soft 404, not an extraction failure.
        return False
    if failed:
        return True
    main_length = len(extracted.main_text)
    if previous_main_length and previous_main_length > LONG_MAIN_LENGTH and main_length < MIN_MAIN_LENGTH:
        return True
    return _is_javascript_shell(root, extracted)


def _is_javascript_shell(root: Any, extracted: Extracted) -> bool:
    empty_mount = any(
        (element.get("id") or "").lower() in _MOUNT_POINTS and not element.text_content().strip()
        for element in root.iter("div", "main", "section", "app-root")
    )
    if empty_mount and len(extracted.main_text) < MIN_MAIN_LENGTH and len(extracted.full_text) < SHORT_PAGE_LENGTH:
        return True
    if len(extracted.full_text) >= TINY_PAGE_LENGTH:
        return False
    # Almost nothing to read: a shell if scripts are meant to fill it in, a tiny page ("OK") otherwise.
    return empty_mount or any(_fills_the_page(element) for element in root.iter("script", "noscript"))


def _fills_the_page(element: Any) -> bool:
    """Tell whether a <script> runs code (JSON-LD and templates don't), or is a <noscript> fallback."""
    kind = (element.get("type") or "").strip().lower()
    return element.tag == "noscript" or kind in {"", "module"} or "javascript" in kind or "ecmascript" in kind
