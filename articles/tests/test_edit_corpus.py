"""The multilingual edit corpus held to issue 13's targets (articles/tests/edit_corpus/corpus.py).

Real pages in nine languages, each quoted a few times and edited the ways newsrooms edit; the
locator must call a reversed meaning, a changed figure, date, hedge or denial a change of
substance, a comma a comma, an inserted sentence no move, a deleted paragraph gone, and never
show a deleted passage as "now reads" other words. ``bench/edit_corpus.py`` prints the same run as
a confusion matrix per language, with the locator's time against the page's extraction time
(speed is measured there, not here).
"""

from collections import Counter

import pytest

from articles.tests.edit_corpus import corpus

MIN_PAGES = 5


@pytest.fixture(scope="module")
def outcomes() -> dict[str, list[corpus.Outcome]]:
    everything = corpus.run(timed=False)  # speed is the benchmark's business
    by_language: dict[str, list[corpus.Outcome]] = {code: [] for code in corpus.LANGUAGES}
    for outcome in everything:
        by_language[outcome.case.language].append(outcome)
    return by_language


@pytest.mark.parametrize("language", corpus.LANGUAGES)
def test_every_language_has_real_pages_read_as_that_language(language: str) -> None:
    pages = corpus.pages((language,), timed=False)

    assert len(pages) >= MIN_PAGES
    assert all(len(page.main) >= 1000 for page in pages), [p.name for p in pages if len(p.main) < 1000]
    assert Counter(page.detected_language for page in pages) == {language: len(pages)}


@pytest.mark.parametrize("language", corpus.LANGUAGES)
def test_the_locator_meets_the_targets(language: str, outcomes: dict[str, list[corpus.Outcome]]) -> None:
    mine = outcomes[language]
    kinds = Counter(o.case.kind for o in mine)
    # Every kind of edit is there in numbers, so that a share is not one lucky case.
    assert all(kinds[kind] >= 5 for kind in corpus.KINDS), kinds
    misses = []
    for label, chosen_kinds, least in corpus.TARGETS:
        chosen = [o for o in mine if o.case.kind in chosen_kinds]
        share = sum(o.right for o in chosen) / len(chosen)
        if share < least:
            wrong = [(o.case.kind, o.location.status, o.case.selector.exact[:80]) for o in chosen if not o.right]
            misses.append((label, f"{share:.1%}", wrong[:5]))
    assert not misses


@pytest.mark.parametrize("language", corpus.LANGUAGES)
def test_a_deleted_paragraph_is_never_shown_as_other_words(
    language: str, outcomes: dict[str, list[corpus.Outcome]]
) -> None:
    deleted = [o for o in outcomes[language] if o.case.kind == "paragraph_delete"]

    assert deleted
    assert [(o.location.status, o.location.matched_text) for o in deleted if o.re_anchored_elsewhere] == []
