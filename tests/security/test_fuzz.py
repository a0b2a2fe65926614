"""Hostile and malformed input to the two parsers of outside text finds no crash (issue 7, item 3).

1. The import format (disputes/interchange.py): a small valid document, mutated field by field, and
   documents built from scratch. Either the import succeeds, and a second import of the same document
   changes nothing (the format's promise), or it raises ImportFileError whose every message names the
   record and field at fault, and nothing at all was written.
2. The quote locator (articles/quotes.py): any selector against any texts returns a known status with
   offsets inside the text it searched; a passage cut from a (normalised) text, as the desk captures
   one, is always found in that text, by its words alone or by the selector the desk builds.

Hypothesis runs derandomized (the same examples in every run, so CI is deterministic) and keeps no
example database; a failure prints the smallest example it found.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from articles import quotes
from articles.extract import normalise
from articles.models import Quote
from articles.quotes import Selector, build_selector, locate
from disputes.interchange import FORMAT, SECTIONS, VERSION, ImportFileError, import_document
from disputes.models import Dispute

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    # Each example runs in its own savepoint, rolled back at its end, so the test's database is fresh.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- the import format ---------------------------------------------------------------------------------

FIELDS = {
    "outlets": ["domain", "name", "homepage"],
    "sources": ["url", "outlet", "title", "byline", "published_at", "language"],
    "actors": ["id", "name", "kind", "role", "organisation", "wikidata_qid"],
    "quotes": ["id", "source", "exact", "prefix", "suffix"],
    "statements": ["id", "quote", "speaker", "attribution", "stated_on"],
    "disputes": [
        "slug", "claim_text", "summary", "context", "resolution", "state", "published_at", "withdrawal_reason",
        "needs_recheck", "recheck_reason", "links",
    ],
}  # fmt: skip
URL = "https://evil.example/story"
VALID: dict[str, Any] = {
    "format": FORMAT,
    "version": VERSION,
    "outlets": [{"domain": "evil.example", "name": "Evil <b>News</b>", "homepage": "https://evil.example/"}],
    "sources": [{"url": URL, "outlet": "evil.example", "title": "<script>alert(1)</script>", "language": "en"}],
    "actors": [
        {"id": "ministry", "name": "Ministry", "kind": "organisation"},
        {"id": "speaker", "name": '"><img src=x onerror=alert(1)>', "organisation": "ministry", "role": "spokesman"},
    ],
    "quotes": [
        {"id": "q1", "source": URL, "exact": "It never happened.", "prefix": "He said: ", "suffix": " Then"},
        {"id": "q2", "source": URL, "exact": "\u202eIt did happen."},
    ],
    "statements": [
        {"id": "s1", "quote": "q1", "speaker": "speaker", "stated_on": "2024-11-11"},
        {"id": "s2", "quote": "q2", "attribution": "outlet_reporting"},
    ],
    "disputes": [
        {
            "slug": "it-happened", "claim_text": "It happened", "summary": "<script>alert(1)</script>",
            "state": "published", "published_at": "2024-11-12T10:00:00Z", "resolution": "denied",
            "links": [{"statement": "s2", "role": "appearance"}, {"statement": "s1", "role": "rebuttal", "note": ""}],
        }
    ],
}  # fmt: skip

# Values that are valid somewhere in the format, next to ones that are valid nowhere.
PLAUSIBLE = [
    "evil.example", "other.example", "EVIL.EXAMPLE", URL, "https://other.example/a?utm_source=x", "javascript:alert(1)",
    "ftp://evil.example/", "http://[::1", "https://" + "a" * 2100 + ".example/", "ministry", "speaker", "q1", "q2",
    "s1", "s2", "nobody", "person", "organisation", "direct_quote", "paraphrase", "anonymous_officials",
    "outlet_reporting", "draft", "in_review", "published", "withdrawn", "rejected", "denied", "confirmed",
    "appearance", "rebuttal", "support", "2024-11-11", "2024-02-30", "2024-11-12T10:00:00Z",
    "2024-11-12T10:00:00", "2024-11-12T25:00:00Z", "Q42", "Q0", "it-happened", "it happened", "", " ", "\x00",
    "<script>alert(1)</script>", "\u202e", "x" * 300,
]  # fmt: skip
scalars = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.text(max_size=20),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
# Mostly text, as a field holds; sometimes anything at all.
field_values = st.one_of(st.sampled_from(PLAUSIBLE), st.text(max_size=20), values)
links = st.lists(st.fixed_dictionaries({}, optional={"statement": values, "role": values, "note": values}), max_size=3)


@st.composite
def record(draw: st.DrawFn, section: str) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(FIELDS[section]), unique=True))
    made = {name: draw(links if name == "links" else values) for name in names}
    if draw(st.integers(0, 9)) == 0:
        made[draw(st.text(max_size=8))] = draw(values)
    return made


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """The valid document with one to three changes: a field set to something else or removed, a record added."""
    document = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(SECTIONS))
        records = document[section]
        change = draw(st.integers(0, 19))  # Hypothesis leans to small numbers: the common change first
        if change >= 19:  # rarely, the frame itself
            document[draw(st.sampled_from(["format", "version", section, "extra"]))] = draw(values)
        elif change >= 16 or not records:
            records.append(draw(record(section)))
        else:
            target = records[draw(st.integers(0, len(records) - 1))]
            name = draw(st.sampled_from(FIELDS[section]))
            if change == 15:
                target.pop(name, None)
            else:
                target[name] = draw(links if name == "links" else field_values)
    return document


from_scratch = st.fixed_dictionaries(
    {"format": st.just(FORMAT), "version": st.just(VERSION)},
    optional={section: st.lists(record(section), max_size=3) for section in SECTIONS},
)
documents = st.integers(0, 9).flatmap(lambda n: mutated() if n < 8 else from_scratch if n == 8 else values)


def database_state() -> dict[str, Any]:
    """The rows of every model, and each dispute's version and state."""
    return {
        "rows": {model._meta.label: model._default_manager.count() for model in apps.get_models()},
        "disputes": list(Dispute.objects.order_by("pk").values_list("slug", "version", "state")),
    }


def names_its_record(message: str, document: Any) -> bool:
    """Tell whether an import error starts by saying where: a record (sources[2].url: …) or a top-level field."""
    if re.match(rf"(?:{'|'.join(SECTIONS)})(?:\[\d+\]|: )", message):
        return True
    top = [*document, "format", "version"] if isinstance(document, dict) else []
    return any(message.startswith(f"{key}: ") for key in top) or message == "The file must hold one JSON object."


@pytest.mark.django_db
def test_the_document_the_mutations_start_from_is_valid() -> None:
    result = import_document(copy.deepcopy(VALID))
    assert result.created == sum(len(VALID[section]) for section in SECTIONS)
    assert result.published == 1


# Found by this test: a NUL passed validation, then PostgreSQL refused the whole file without saying where.
NUL_IN_A_NAME = {**VALID, "outlets": [{**VALID["outlets"][0], "name": "\x00"}]}


@pytest.mark.django_db
@FUZZ
@given(document=documents)
@example(document=NUL_IN_A_NAME)
def test_an_import_either_succeeds_twice_alike_or_names_the_problem_and_writes_nothing(document: Any) -> None:
    with transaction.atomic():
        before = database_state()
        try:
            import_document(copy.deepcopy(document))
        except ImportFileError as exc:
            event("refused: " + exc.errors[0][:30])
            assert exc.errors, "an ImportFileError without a message"
            unnamed = [message for message in exc.errors if not names_its_record(message, document)]
            assert unnamed == [], unnamed
            assert database_state() == before
        else:
            event("imported")
            after = database_state()
            again = import_document(copy.deepcopy(document))
            assert not again.changed_anything, again.describe()
            assert database_state() == after
        transaction.set_rollback(True)


# --- the quote locator ---------------------------------------------------------------------------------

# Letters, Cyrillic, digits, spaces, line breaks, typographic quotes and dashes, a no-break space, a soft
# hyphen, a decomposed accent, a ligature, a right-to-left override: what copy-edits and extraction vary.
PIECES = [*"abcdefghij ABC   .,;!?\"'-\n0123%", "«", "»", "“", "”", "—", "−", "\u00a0", "\u00ad", "é", "e\u0301", "ﬁ", "Київ", "\u202e"]  # fmt: skip
words = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
texts = st.one_of(words, st.text(max_size=60))
offsets = st.one_of(st.none(), st.integers(-5, 200))
STATUSES = set(Quote.Status.values)
FOUND = {*Quote.UNCHANGED_STATUSES, Quote.Status.AMBIGUOUS}


def assert_within(location: quotes.Location, main_text: str, full_text: str) -> None:
    assert location.status in STATUSES, location.status
    searched = full_text if location.searched_in == "full" else main_text
    if location.start is not None or location.end is not None:
        assert 0 <= location.start <= location.end <= len(searched), (location, len(searched))
        assert location.matched_text == searched[location.start : location.end]
    for start, end, _ in location.candidates:
        assert 0 <= start <= end <= len(searched)


@FUZZ
@given(
    exact=texts, prefix=texts, suffix=texts, start=offsets, end=offsets, main_text=texts, full_text=texts,
    previous_text=st.none() | texts, quote_in_main=st.booleans(), main_in_full=st.booleans(), around=words,
)  # fmt: skip
def test_locate_never_fails_and_stays_inside_the_text(
    exact: str, prefix: str, suffix: str, start: int | None, end: int | None, main_text: str, full_text: str,
    previous_text: str | None, quote_in_main: bool, main_in_full: bool, around: str,
) -> None:  # fmt: skip
    if quote_in_main:  # often, the passage (or a near copy) is there to be found
        main_text = main_text + exact + around
    if main_in_full:
        full_text = around + main_text + full_text
    selector = Selector(exact=exact, prefix=prefix, suffix=suffix, start=start, end=end)

    location = locate(selector, main_text, full_text, previous_text=previous_text)

    assert_within(location, main_text, full_text)


@FUZZ
@given(raw=texts, cut=st.tuples(st.floats(0, 1), st.floats(0, 1)))
def test_a_passage_cut_from_the_text_is_found_in_it(raw: str, cut: tuple[float, float]) -> None:
    text = normalise(raw)  # as every snapshot text is stored
    if not text:
        return
    start = min(int(cut[0] * len(text)), len(text) - 1)
    end = max(start + 1, int(cut[1] * len(text)))
    passage = text[start:end]
    blank = not quotes._fold(passage, loose=False).text.strip()

    by_words = locate(Selector(exact=passage), text)
    captured = locate(build_selector(text, start, end), text)

    for location in (by_words, captured):
        assert_within(location, text, "")
        assert location.status == quotes.NOT_CHECKED if blank else location.status in FOUND, location
    if not blank and captured.status != quotes.AMBIGUOUS:
        # Captured with its context from this very text, it is found where it was taken from.
        assert (
            quotes._fold(text[captured.start : captured.end], loose=True).text.strip()
            == quotes._fold(passage, loose=True).text.strip()
        )
