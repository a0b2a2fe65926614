"""Export and import (disputes/interchange.py): canonical output, round trips, idempotence, and bad files
that change nothing."""

import copy
import datetime as dt
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import transaction

from articles.forms import SourceForm
from articles.models import Outlet, Quote, Source
from articles.tests.factories import OutletFactory, QuoteFactory, SnapshotFactory, SourceFactory
from disputes.interchange import (
    SEED_STORY,
    ImportFileError,
    export_data,
    export_json,
    import_document,
    import_file,
    import_json,
)
from disputes.models import Actor, Dispute, DisputeLink, Event, Revision, Statement
from disputes.tests.factories import (
    ActorFactory,
    DisputeFactory,
    DisputeLinkFactory,
    StatementFactory,
    add_link,
    ready_for_review,
)

pytestmark = pytest.mark.django_db

EXPORTED_MODELS = [Outlet, Source, Actor, Quote, Statement, Dispute, DisputeLink]
TRICKY_PASSAGE = 'He said "no" <script>alert("x")</script>\nthen, in Ukrainian: «Тихий» — ‘done’ \\ end'


def seed_document() -> dict[str, Any]:
    return json.loads(SEED_STORY.read_text(encoding="utf-8"))


def row_counts() -> dict[str, int]:
    """Count the rows of every model in the project."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def all_rows() -> dict[str, list[dict[str, Any]]]:
    """Dump every row of every model in the project, so a test can say nothing at all changed."""
    return {model._meta.label: list(model._default_manager.order_by("pk").values()) for model in apps.get_models()}


def export_and_forget(build: Callable[[], object]) -> str:
    """Build data inside a savepoint, export it, then roll the savepoint back: the database is empty again."""
    with transaction.atomic():
        build()
        text = export_json()
        transaction.set_rollback(True)
    assert all(model._default_manager.count() == 0 for model in EXPORTED_MODELS)
    return text


def build_rich_dataset(editor: User, reviewer: User) -> None:
    """Make data in every shape the format must carry: non-ASCII, markup, workflow states, odd actors."""
    ministry = ActorFactory(name="Міністерство закордонних справ України", kind=Actor.Kind.ORGANISATION, role="")
    kremlin = ActorFactory(name="Кремль", kind=Actor.Kind.ORGANISATION, role="", wikidata_qid="Q123")
    tykhyi = ActorFactory(name="Георгій Тихий", role="речник МЗС", organisation=ministry)
    # Three actors whose names slugify alike, and two more that differ only in case: ids must stay apart.
    ActorFactory(name="Тихий", organisation=ministry)
    ActorFactory(name="Тихий", organisation=kremlin)
    ActorFactory(name="Тихий")
    ActorFactory(name="Tykhyi")
    ActorFactory(name="TYKHYI")

    outlet = OutletFactory(name="Українська правда", domain="pravda.com.ua", homepage="https://www.pravda.com.ua/")
    OutletFactory(name="An outlet with no sources yet", domain="empty.example", homepage="")
    source = SourceFactory(
        outlet=outlet,
        url="https://www.pravda.com.ua/news/2024/11/11/7483871/?page=2",
        title="МЗС: повідомлення про «попереднє інформування» неправдиві",
        byline="Тихий & <b>Co</b>",
        language="uk",
        published_at=dt.datetime(2024, 11, 11, 9, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Kyiv")),
    )
    SourceFactory(outlet=None, url="https://example.net/orphan", title="", published_at=None, language="")
    tricky = QuoteFactory(source=source, exact=TRICKY_PASSAGE, prefix='<p class="x">', suffix="</p>\n\t")
    # The same passage captured twice (two snapshots): one quote in the file.
    QuoteFactory(
        source=source, exact=TRICKY_PASSAGE, prefix='<p class="x">', suffix="</p>\n\t", snapshot=SnapshotFactory()
    )
    anonymous = StatementFactory(
        quote=QuoteFactory(source=source, exact="Officials said it was “agreed”."),
        speaker=None,
        attribution=Statement.Attribution.ANONYMOUS_OFFICIALS,
        stated_on=None,
    )

    published = ready_for_review(
        created_by=editor, last_edited_by=editor, slug="tykhyi-denies", claim_text="Тихий said “no” <script>"
    )
    add_link(published, DisputeLink.Role.CONTEXT, quote=tricky, speaker=tykhyi)
    DisputeLinkFactory(dispute=published, statement=anonymous, role=DisputeLink.Role.SUPPORT, note="Рядок 1\nline 2")
    published.context = 'Context with "quotes" & <em>markup</em>'
    published.save()
    published.submit(by=editor)
    published.publish(by=reviewer, note="ok")
    published.refresh_from_db()
    published.flag_for_recheck(reason="A cited quote was edited: «Тихий»")

    withdrawn = ready_for_review(created_by=editor, last_edited_by=editor, resolution=Dispute.Resolution.CORRECTED)
    withdrawn.submit(by=editor)
    withdrawn.publish(by=reviewer)
    withdrawn.refresh_from_db()
    withdrawn.withdraw(by=reviewer, reason="The outlet corrected its story — Тихий.")

    in_review = ready_for_review(created_by=editor, resolution=Dispute.Resolution.UNRESOLVED)
    in_review.submit(by=editor)

    # A draft whose link positions have gaps, and which shares a statement with the published one.
    draft = DisputeFactory(slug="a-draft", summary="", resolution=Dispute.Resolution.CONFIRMED)
    DisputeLinkFactory(dispute=draft, statement=anonymous, role=DisputeLink.Role.APPEARANCE, position=9)
    DisputeLinkFactory(dispute=draft, role=DisputeLink.Role.REBUTTAL, position=5)


# --- export ------------------------------------------------------------------------------------------


def test_export_is_canonical_utf8_json_with_utc_times(editor: User, reviewer: User) -> None:
    build_rich_dataset(editor, reviewer)
    text = export_json()
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    assert (document["format"], document["version"]) == ("counterclaim-disputes", 1)
    assert "Тихий" in text and "<script>" in text  # kept as they are, not \u-escaped or entity-escaped
    source = next(s for s in document["sources"] if s["outlet"] == "pravda.com.ua")
    assert source["published_at"] == "2024-11-11T07:30:15.123456Z"
    assert [quote["exact"] for quote in document["quotes"]].count(TRICKY_PASSAGE) == 1


def test_export_orders_records_by_natural_key(editor: User, reviewer: User) -> None:
    build_rich_dataset(editor, reviewer)
    document = export_data()
    assert [o["domain"] for o in document["outlets"]] == sorted(o["domain"] for o in document["outlets"])
    assert [s["url"] for s in document["sources"]] == sorted(s["url"] for s in document["sources"])
    assert [d["slug"] for d in document["disputes"]] == sorted(d["slug"] for d in document["disputes"])
    draft = next(d for d in document["disputes"] if d["slug"] == "a-draft")
    assert [link["role"] for link in draft["links"]] == ["rebuttal", "appearance"]  # position order


def test_export_gives_actors_with_alike_names_distinct_ids(editor: User, reviewer: User) -> None:
    build_rich_dataset(editor, reviewer)
    actors = export_data()["actors"]
    ids = [actor["id"] for actor in actors]
    assert len(ids) == len(set(ids))
    by_name = {(a["name"], a["organisation"]): a["id"] for a in actors}
    assert by_name[("Тихий", None)] == "тихий"
    assert by_name[("Тихий", "кремль")] == "тихий-кремль"
    assert by_name[("TYKHYI", None)] == "tykhyi"
    assert by_name[("Tykhyi", None)] == "tykhyi-2"


def test_export_command_writes_stdout_or_a_file(tmp_path: Path) -> None:
    import_file(SEED_STORY)
    out = StringIO()
    call_command("export_disputes", stdout=out)
    assert out.getvalue() == export_json()
    target = tmp_path / "disputes.json"
    call_command("export_disputes", "--output", str(target), stderr=StringIO())
    assert target.read_bytes() == export_json().encode("utf-8")


# --- round trips -------------------------------------------------------------------------------------


def test_seed_story_round_trips_byte_for_byte() -> None:
    first = export_and_forget(lambda: import_file(SEED_STORY))
    import_json(first)
    assert export_json() == first


def test_rich_dataset_round_trips_byte_for_byte(editor: User, reviewer: User) -> None:
    first = export_and_forget(lambda: build_rich_dataset(editor, reviewer))
    result = import_json(first.encode("utf-8"))
    assert result.changed_anything
    assert export_json() == first
    quote = Quote.objects.get(exact=TRICKY_PASSAGE)
    assert (quote.prefix, quote.suffix) == ('<p class="x">', "</p>\n\t")


def test_reimporting_an_export_into_the_same_database_changes_nothing(editor: User, reviewer: User) -> None:
    build_rich_dataset(editor, reviewer)
    before = all_rows()
    result = import_json(export_json())
    assert not result.changed_anything
    assert all_rows() == before


# --- idempotence -------------------------------------------------------------------------------------


def test_second_import_changes_nothing() -> None:
    first = import_file(SEED_STORY)
    assert first.counts["disputes"]["created"] == 3
    before = all_rows()
    stamps = list(Dispute.objects.order_by("pk").values_list("slug", "version", "updated_at"))
    second = import_file(SEED_STORY)
    assert not second.changed_anything
    assert second.counts["disputes"]["unchanged"] == 3
    assert list(Dispute.objects.order_by("pk").values_list("slug", "version", "updated_at")) == stamps
    assert all_rows() == before


def test_a_changed_file_bumps_the_version_once_and_records_one_event() -> None:
    import_file(SEED_STORY)
    dispute = Dispute.objects.get(slug="kyiv-informed-in-advance-of-trump-putin-call")
    revisions, events = dispute.revisions.count(), dispute.events.count()
    document = seed_document()
    document["disputes"][0]["summary"] = "A new summary."
    document["disputes"][0]["links"].reverse()
    result = import_document(document)
    assert result.counts["disputes"]["changed"] == 1
    assert result.counts["disputes"]["unchanged"] == 2
    updated = Dispute.objects.get(pk=dispute.pk)
    assert updated.version == dispute.version + 1
    assert updated.summary == "A new summary."
    assert dispute.events.count() == events + 1
    assert dispute.revisions.count() == revisions + 1
    assert updated.public_revision.data["summary"] == "A new summary."
    links = list(updated.links.order_by("position").values_list("position", "statement__quote__exact"))
    assert [position for position, _ in links] == [0, 1, 2, 3, 4]
    assert links[0][1].startswith("U.S. President-elect Donald Trump spoke on the phone")  # was last


def test_a_missing_field_leaves_the_database_value_alone() -> None:
    import_file(SEED_STORY)
    document = seed_document()
    del document["disputes"][0]["summary"]
    del document["sources"][0]["title"]
    assert not import_document(document).changed_anything


def test_the_example_in_the_format_documentation_imports() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "import-format.md").read_text(encoding="utf-8")
    example = doc.split("## Example", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    result = import_json(example)
    assert result.counts["disputes"]["created"] == 1
    assert Dispute.objects.public().get().links.count() == 2


def test_a_quote_may_cite_a_source_already_in_the_database() -> None:
    SourceFactory(url="https://known.example/story")
    document = {
        "format": "counterclaim-disputes",
        "version": 1,
        "quotes": [{"id": "q", "source": "https://KNOWN.example/story?utm_source=x", "exact": "Said."}],
    }
    import_document(document)
    assert Quote.objects.get(exact="Said.").source.url == "https://known.example/story"


# --- states --------------------------------------------------------------------------------------------


def test_import_publishes_through_the_model_with_a_revision_and_an_event() -> None:
    import_file(SEED_STORY)
    published = Dispute.objects.get(slug="kyiv-informed-in-advance-of-trump-putin-call")
    assert published.state == Dispute.State.PUBLISHED
    assert published.published_at == dt.datetime(2024, 11, 12, 9, 0, tzinfo=dt.UTC)
    assert published.public_revision is not None
    assert published.public_revision.approved_by is None
    assert published.public_revision.data == published.frozen()
    event = published.events.get()
    assert (event.kind, event.actor, event.public) == ("imported", None, True)
    assert event.data["state"] == "published"

    draft = Dispute.objects.get(slug="lanza-crimea-is-gone-speaks-for-trump")
    assert (draft.state, draft.public_revision, draft.published_at) == (Dispute.State.DRAFT, None, None)
    assert list(draft.events.values_list("kind", "public")) == [("imported", False)]
    assert Dispute.objects.public().count() == 2


def test_import_restores_a_withdrawn_dispute_with_its_reason(editor: User, reviewer: User) -> None:
    text = export_and_forget(lambda: build_rich_dataset(editor, reviewer))
    import_json(text)
    withdrawn = Dispute.objects.get(state=Dispute.State.WITHDRAWN)
    assert withdrawn.withdrawal_reason == "The outlet corrected its story — Тихий."
    assert withdrawn.public_revision is not None
    flagged = Dispute.objects.get(slug="tykhyi-denies")
    assert (flagged.needs_recheck, flagged.recheck_reason) == (True, "A cited quote was edited: «Тихий»")
    assert Revision.objects.filter(approved_by__isnull=False).count() == 0
    assert set(Event.objects.values_list("kind", flat=True)) == {"imported"}


def test_restore_imported_writes_nothing_when_the_dispute_already_matches() -> None:
    dispute = DisputeFactory()
    assert dispute.restore_imported(state=Dispute.State.DRAFT) is False
    assert dispute.events.count() == 0
    assert dispute.restore_imported(state=Dispute.State.IN_REVIEW) is True
    assert (dispute.state, dispute.version, dispute.events.get().kind) == ("in_review", 2, "imported")


# --- bad files ---------------------------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Return a change that sets one field of the seed document, given as "section.index.field"."""

    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return change


def _delete(section: str, index: int, name: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        del document[section][index][name]

    return change


def _duplicate_slug(document: dict[str, Any]) -> None:
    document["disputes"][1]["slug"] = document["disputes"][0]["slug"]


BAD_FILES = {
    "bad url": (
        _set("sources.2.url", "javascript:alert(1)"),
        'sources[2].url: "javascript:alert(1)" — Only http:// and https:// addresses can be tracked.',
    ),
    "unknown actor": (_set("statements.3.speaker", "foo"), 'statements[3].speaker: unknown actor "foo"'),
    "quote in no source": (
        _set("quotes.1.source", "https://x/y"),
        'quotes[1].source: "https://x/y" is not among the sources',
    ),
    "wrong format": (_set("format", "something-else"), 'format: "something-else" — this is not a counterclaim'),
    "wrong version": (_set("version", 2), "version: 2 — this program reads version 1 only."),
    "missing required field": (_delete("disputes", 1, "claim_text"), "disputes[1].claim_text: is required"),
    "unknown role": (_set("disputes.0.links.1.role", "verdict"), 'disputes[0].links[1].role: unknown role "verdict"'),
    "unknown state": (_set("disputes.0.state", "approved"), 'disputes[0].state: unknown state "approved"'),
    "unknown resolution": (
        _set("disputes.2.resolution", "false"),
        'disputes[2].resolution: unknown resolution "false"',
    ),
    "claim too long": (
        _set("disputes.0.claim_text", "K" * 76),
        "disputes[0].claim_text: is 76 characters long; the most is 75",
    ),
    "duplicate slug": (
        _duplicate_slug,
        'disputes[1].slug: "kyiv-informed-in-advance-of-trump-putin-call" is already the slug of disputes[0]',
    ),
    "unknown quote": (_set("statements.0.quote", "nope"), 'statements[0].quote: unknown quote "nope"'),
    "unknown statement in a link": (
        _set("disputes.0.links.0.statement", "nope"),
        'disputes[0].links[0].statement: unknown statement "nope"',
    ),
    "unknown organisation": (
        _set("actors.1.organisation", "nobody"),
        'actors[1].organisation: unknown actor "nobody"',
    ),
    "naive datetime": (
        _set("sources.0.published_at", "2024-11-10T12:00:00"),
        'sources[0].published_at: "2024-11-10T12:00:00" is not an ISO 8601 date and time with a zone',
    ),
    "unknown field": (_set("disputes.0.verdict", "true"), "disputes[0].verdict: is not a field of this record"),
    "withdrawn without a reason": (
        _set("disputes.0.state", "withdrawn"),
        "disputes[0].withdrawal_reason: is required when the state is withdrawn",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_names_the_record_and_field_and_writes_nothing(case: str) -> None:
    change, message = BAD_FILES[case]
    import_file(SEED_STORY)
    document = seed_document()
    # Also change a valid record, so a partial write would show in the database.
    document["disputes"][1]["summary"] = "This must not be written."
    document["outlets"].append({"domain": "new.example", "name": "New"})
    change(document)
    before = all_rows()
    with pytest.raises(ImportFileError) as caught:
        import_document(document)
    assert any(message in error for error in caught.value.errors), caught.value.errors
    assert all_rows() == before


def test_a_bad_file_into_an_empty_database_creates_nothing() -> None:
    document = seed_document()
    document["statements"][3]["speaker"] = "foo"
    before = row_counts()
    with pytest.raises(ImportFileError):
        import_document(document)
    assert row_counts() == before


def test_every_problem_is_reported_at_once() -> None:
    document = seed_document()
    document["sources"][2]["url"] = "javascript:alert(1)"
    document["statements"][3]["speaker"] = "foo"
    with pytest.raises(ImportFileError) as caught:
        import_document(document)
    assert len(caught.value.errors) >= 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"format": "counterclaim-disputes", "version": 1, "outlets": [', "The file is not valid JSON"),
        (b"\xff\xfe not utf-8", "The file is not UTF-8 text"),
        (b'{"format": "counterclaim-disputes", "format": "x"}', 'An object gives the field "format" twice.'),
        (b"[]", "The file must hold one JSON object."),
    ],
    ids=["malformed JSON", "not UTF-8", "repeated key", "not an object"],
)
def test_the_command_refuses_unreadable_files(tmp_path: Path, content: bytes, message: str) -> None:
    import_file(SEED_STORY)
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    before = all_rows()
    with pytest.raises(CommandError) as caught:
        call_command("import_disputes", str(path), stdout=StringIO())
    assert message in str(caught.value)
    assert all_rows() == before


def test_the_command_refuses_a_bad_file_with_the_record_and_field(tmp_path: Path) -> None:
    document = copy.deepcopy(seed_document())
    document["sources"][2]["url"] = "javascript:alert(1)"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    before = row_counts()
    with pytest.raises(CommandError) as caught:
        call_command("import_disputes", str(path), stdout=StringIO())
    assert 'sources[2].url: "javascript:alert(1)" — Only http:// and https:// addresses can be tracked.' in str(
        caught.value
    )
    assert row_counts() == before


def test_the_command_imports_and_then_has_nothing_to_do(tmp_path: Path) -> None:
    out = StringIO()
    call_command("import_disputes", str(SEED_STORY), stdout=out)
    assert "disputes: 3 (3 created, 0 changed, 0 unchanged)" in out.getvalue()
    out = StringIO()
    call_command("import_disputes", str(SEED_STORY), stdout=out)
    assert "Nothing to do" in out.getvalue()


# --- addresses the web form refuses -------------------------------------------------------------------

REFUSED_ADDRESSES = {
    "loopback with a port": ("http://127.0.0.1:6379/", "a loopback address (this server itself) (127.0.0.1)"),
    "cloud metadata": ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
}
GOOD_ADDRESS = "https://news.example.org/2024/11/11/story"


@pytest.fixture
def private_networks_refused(settings: Any) -> None:
    """Vet addresses as production does, whatever networks the test environment opens for its page server."""
    settings.FETCH_ALLOWED_NETWORKS = []
    settings.FETCH_ALLOWED_PORTS = [80, 443]


def web_form_refusal(url: str) -> str:
    """Return what the desk's add-a-source form says about an address it refuses."""
    form = SourceForm(data={"url": url})
    assert not form.is_valid()
    return form.errors["url"][0]


def document_with(**sections: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "counterclaim-disputes", "version": 1, **sections}


@pytest.mark.usefixtures("private_networks_refused")
@pytest.mark.parametrize("case", REFUSED_ADDRESSES, ids=list(REFUSED_ADDRESSES))
def test_a_source_the_web_form_refuses_is_refused_in_its_words_and_nothing_is_written(case: str) -> None:
    url, reason = REFUSED_ADDRESSES[case]
    refusal = web_form_refusal(url)
    assert f"That address is {reason}" in refusal and "we never fetch from it." in refusal
    document = document_with(
        outlets=[{"domain": "news.example.org", "name": "News"}],
        sources=[{"url": url, "title": "Secrets"}],
        disputes=[{"slug": "d", "claim_text": "A claim"}],
    )
    before = row_counts()
    with pytest.raises(ImportFileError) as caught:
        import_document(document)
    assert caught.value.errors == [f'sources[0].url: "{url}" — {refusal}']
    assert row_counts() == before


@pytest.mark.usefixtures("private_networks_refused")
def test_a_file_with_one_good_and_one_refused_source_writes_nothing() -> None:
    import_file(SEED_STORY)
    document = seed_document()
    # Valid changes beside the bad record, so a partial write would show in the database.
    document["disputes"][1]["summary"] = "This must not be written."
    document["sources"].append({"url": GOOD_ADDRESS, "title": "Good"})
    document["sources"].append({"url": "http://169.254.169.254/latest/meta-data/", "title": "Bad"})
    before = all_rows()
    with pytest.raises(ImportFileError) as caught:
        import_document(document)
    refusal = web_form_refusal("http://169.254.169.254/latest/meta-data/")
    assert caught.value.errors == [f'sources[5].url: "http://169.254.169.254/latest/meta-data/" — {refusal}']
    assert all_rows() == before
    assert not Source.objects.filter(url=GOOD_ADDRESS).exists()


@pytest.mark.usefixtures("private_networks_refused")
def test_a_quote_citing_a_refused_address_is_refused_even_when_the_source_is_in_the_database() -> None:
    # Rows made while a demo opened the local network; a file must not lean on them once it is closed.
    SourceFactory(url="http://127.0.0.1:6379/")
    document = document_with(
        sources=[{"url": "http://169.254.169.254/latest/meta-data/"}],
        quotes=[
            {"id": "q1", "source": "http://127.0.0.1:6379/", "exact": "Said."},
            {"id": "q2", "source": "http://169.254.169.254/latest/meta-data/", "exact": "Said too."},
        ],
    )
    before = all_rows()
    with pytest.raises(ImportFileError) as caught:
        import_document(document)
    metadata = "http://169.254.169.254/latest/meta-data/"
    assert caught.value.errors == [
        f'sources[0].url: "{metadata}" — {web_form_refusal(metadata)}',
        f'quotes[0].source: "http://127.0.0.1:6379/" — {web_form_refusal("http://127.0.0.1:6379/")}',
        f'quotes[1].source: "{metadata}" — {web_form_refusal(metadata)}',
    ]
    assert all_rows() == before


@pytest.mark.usefixtures("private_networks_refused")
def test_the_command_refuses_a_source_the_web_form_refuses(tmp_path: Path) -> None:
    document = seed_document()
    document["sources"][1]["url"] = "http://127.0.0.1:6379/"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    before = row_counts()
    with pytest.raises(CommandError) as caught:
        call_command("import_disputes", str(path), stdout=StringIO())
    # A CommandError is what manage.py prints on standard error before it exits with status 1.
    assert str(caught.value).startswith(f"Nothing was imported from {path}:")
    assert f'sources[1].url: "http://127.0.0.1:6379/" — {web_form_refusal("http://127.0.0.1:6379/")}' in str(
        caught.value
    )
    assert row_counts() == before
