"""Export disputes, with everything they cite, as one JSON document, and import such documents.

The format is described field by field in docs/import-format.md. Three promises hold it together:

- export is deterministic: records are sorted by their natural keys and file-local ids are derived
  from those keys, so the same data always gives the same bytes;
- import validates the whole document before it writes anything, and then writes in one transaction,
  so a bad file changes nothing and says which record and field are wrong;
- import matches existing rows on natural keys and compares before it writes, so importing the same
  file twice creates no row, no Event and no version bump.

The seed story (seeds/story.json) is such a document; `load_seed_story` and `ensure_demo_users` serve
`manage.py load_seeds`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify

from articles.forms import refused_address
from articles.models import Outlet, Quote, Source
from articles.urlnorm import InvalidURL, normalise_url

from .models import Actor, Dispute, DisputeLink, Statement, TransitionError

FORMAT = "counterclaim-disputes"
VERSION = 1
SECTIONS = ("outlets", "sources", "actors", "quotes", "statements", "disputes")
SEED_STORY = Path(settings.BASE_DIR) / "seeds" / "story.json"
MAX_ERRORS_SHOWN = 50
# PostgreSQL refuses NUL in text, and a page could not show it: name the field, rather than let the
# database refuse the whole file without saying where (found by tests/security/test_fuzz.py).
NUL_PROBLEM = "contains a NUL character (\\u0000), which no text can hold"

_DOMAIN = re.compile(r"[a-z0-9][a-z0-9.:\[\]-]*")
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_QID = re.compile(r"Q[1-9][0-9]*")


class ImportFileError(Exception):
    """A document that cannot be imported; `errors` names each bad record and field."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        shown = errors[:MAX_ERRORS_SHOWN]
        if len(errors) > len(shown):
            shown.append(f"… and {len(errors) - len(shown)} more problems.")
        super().__init__("\n".join(shown))


@dataclass
class ImportResult:
    """What an import did, per section: how many records were created, changed or left as they were."""

    counts: dict[str, Counter[str]] = field(default_factory=lambda: {name: Counter() for name in SECTIONS})
    published: int = 0

    def note(self, section: str, outcome: str) -> None:
        self.counts[section][outcome] += 1

    def total(self, section: str) -> int:
        return sum(self.counts[section].values())

    @property
    def created(self) -> int:
        return sum(counts["created"] for counts in self.counts.values())

    @property
    def changed(self) -> int:
        return sum(counts["changed"] for counts in self.counts.values())

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.changed)

    def describe(self) -> str:
        """Summarise the import in one line per section, for an operator's terminal."""
        lines = []
        for section in SECTIONS:
            counts = self.counts[section]
            lines.append(
                f"  {section}: {self.total(section)} "
                f"({counts['created']} created, {counts['changed']} changed, {counts['unchanged']} unchanged)"
            )
        return "\n".join(lines)


# --- export ------------------------------------------------------------------------------------------


def _iso_datetime(value: dt.datetime | None) -> str | None:
    """Format an aware datetime as ISO 8601 in UTC, with a Z."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _actor_chain(actor: Actor, by_pk: dict[int, Actor]) -> tuple[str, ...]:
    """Return the actor's natural key: its name, then its organisation's, and so on up."""
    names: list[str] = []
    seen: set[int] = set()
    current: Actor | None = actor
    while current is not None and current.pk not in seen:  # a loop in the data must not hang an export
        seen.add(current.pk)
        names.append(current.name)
        current = by_pk.get(current.organisation_id) if current.organisation_id else None
    return tuple(names)


def _actor_ids(actors: list[Actor], by_pk: dict[int, Actor]) -> dict[int, str]:
    """Derive a readable, deterministic file-local id for each actor from the natural keys alone.

    An actor is known by the slug of its name; actors whose names give the same slug are told apart
    by their organisations' names, and any that still collide get -2, -3… in natural-key order.
    """
    chains = {actor.pk: _actor_chain(actor, by_pk) for actor in actors}
    ordered = sorted(actors, key=lambda actor: chains[actor.pk])
    base = {actor.pk: slugify(actor.name, allow_unicode=True) or "actor" for actor in ordered}
    clashes = Counter(base.values())
    preferred = {
        pk: slug if clashes[slug] == 1 else (slugify(" ".join(chains[pk]), allow_unicode=True) or slug)
        for pk, slug in base.items()
    }
    taken = Counter(preferred.values())
    ids: dict[int, str] = {}
    used: set[str] = {slug for slug, count in taken.items() if count == 1}
    for actor in ordered:
        candidate = preferred[actor.pk]
        if taken[candidate] == 1:
            ids[actor.pk] = candidate
            continue
        number = 1
        while candidate in used:
            number += 1
            candidate = f"{preferred[actor.pk]}-{number}"
        used.add(candidate)
        ids[actor.pk] = candidate
    return ids


def export_data() -> dict[str, Any]:
    """Return every outlet, source, actor, quote, statement and dispute as plain, sorted JSON data.

    Rows that share a natural key (a passage captured twice, say) are exported once, as the oldest row.
    """
    outlets = [
        {"domain": outlet.domain, "name": outlet.name, "homepage": outlet.homepage}
        for outlet in Outlet.objects.order_by("domain")
    ]
    sources = [
        {
            "url": source.url,
            "outlet": source.outlet.domain if source.outlet else None,
            "title": source.title,
            "byline": source.byline,
            "published_at": _iso_datetime(source.published_at),
            "language": source.language,
        }
        for source in Source.objects.select_related("outlet").order_by("url")
    ]

    actors = list(Actor.objects.all())
    by_pk = {actor.pk: actor for actor in actors}
    actor_ids = _actor_ids(actors, by_pk)
    actor_records = [
        {
            "id": actor_ids[actor.pk],
            "name": actor.name,
            "kind": actor.kind,
            "role": actor.role,
            "organisation": actor_ids[actor.organisation_id] if actor.organisation_id else None,
            "wikidata_qid": actor.wikidata_qid,
        }
        for actor in sorted(actors, key=lambda actor: _actor_chain(actor, by_pk))
    ]

    quote_keys: dict[int, tuple[str, str, str, str]] = {}
    for quote in Quote.objects.select_related("source").order_by("pk"):
        quote_keys[quote.pk] = (quote.source.url, quote.exact, quote.prefix, quote.suffix)
    distinct_quotes = sorted(set(quote_keys.values()))
    quote_id_of_key = {key: f"q{number}" for number, key in enumerate(distinct_quotes, start=1)}
    quote_ids = {pk: quote_id_of_key[key] for pk, key in quote_keys.items()}
    quotes = [
        {"id": quote_id_of_key[key], "source": key[0], "exact": key[1], "prefix": key[2], "suffix": key[3]}
        for key in distinct_quotes
    ]

    quote_order = {quote_id: number for number, quote_id in enumerate(quote_id_of_key.values())}
    statement_keys: dict[int, tuple[int, str, str]] = {}
    stated_on: dict[tuple[int, str, str], dt.date | None] = {}
    for statement in Statement.objects.order_by("pk"):
        key = (
            quote_order[quote_ids[statement.quote_id]],
            actor_ids[statement.speaker_id] if statement.speaker_id else "",
            statement.attribution,
        )
        statement_keys[statement.pk] = key
        stated_on.setdefault(key, statement.stated_on)  # the oldest row speaks for its duplicates
    distinct_statements = sorted(stated_on)
    quote_id_at = list(quote_id_of_key.values())
    statement_id_of_key = {key: f"s{number}" for number, key in enumerate(distinct_statements, start=1)}
    statement_ids = {pk: statement_id_of_key[key] for pk, key in statement_keys.items()}
    statements = [
        {
            "id": statement_id_of_key[key],
            "quote": quote_id_at[key[0]],
            "speaker": key[1] or None,
            "attribution": key[2],
            "stated_on": stated_on[key].isoformat() if stated_on[key] else None,  # type: ignore[union-attr]
        }
        for key in distinct_statements
    ]

    disputes = []
    links_by_dispute: dict[int, list[DisputeLink]] = defaultdict(list)
    for link in DisputeLink.objects.order_by("dispute_id", "position", "pk"):
        links_by_dispute[link.dispute_id].append(link)
    for dispute in Dispute.objects.order_by("slug"):
        links, seen = [], set()
        for link in links_by_dispute[dispute.pk]:
            statement_id = statement_ids[link.statement_id]
            if statement_id not in seen:  # two duplicate statements in one dispute collapse into one link
                seen.add(statement_id)
                links.append({"statement": statement_id, "role": link.role, "note": link.note})
        disputes.append(
            {
                "slug": dispute.slug,
                "claim_text": dispute.claim_text,
                "summary": dispute.summary,
                "context": dispute.context,
                "resolution": dispute.resolution,
                "state": dispute.state,
                "published_at": _iso_datetime(dispute.published_at),
                "withdrawal_reason": dispute.withdrawal_reason,
                "needs_recheck": dispute.needs_recheck,
                "recheck_reason": dispute.recheck_reason,
                "links": links,
            }
        )

    return {
        "format": FORMAT,
        "version": VERSION,
        "outlets": outlets,
        "sources": sources,
        "actors": actor_records,
        "quotes": quotes,
        "statements": statements,
        "disputes": disputes,
    }


def export_json() -> str:
    """Return the export as the canonical text: sorted keys, two-space indent, UTF-8 as is, final newline."""
    return json.dumps(export_data(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


# --- validation ----------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    """Quote a value from the file the way the file spells it."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


def _max_length(model: type[models.Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length


class _Checker:
    """Read the records of one document, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def fields(self, record: Any, where: str, known: Iterable[str]) -> dict[str, Any] | None:
        """Return the record if it is an object with only known fields; report it otherwise."""
        if not isinstance(record, dict):
            self.error(where, "must be an object")
            return None
        for name in sorted(set(record) - set(known)):
            self.error(f"{where}.{name}", "is not a field of this record")
        return record

    def text(
        self,
        record: dict[str, Any],
        where: str,
        name: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        check: Callable[[str], str | None] | None = None,
    ) -> str | None:
        """Return a text field: None when missing, "" when null, None when wrong (and reported).

        What a wrong field yields does not matter: any problem stops the whole import.
        """
        if record.get(name) is None:
            if required:
                self.error(f"{where}.{name}", "is required")
            return None if name not in record else ""
        value = record[name]
        if not isinstance(value, str):
            self.error(f"{where}.{name}", f"must be text, not {_show(value)}")
            return None
        if "\x00" in value:
            self.error(f"{where}.{name}", NUL_PROBLEM)
            return None
        if required and not value.strip():
            self.error(f"{where}.{name}", "must not be empty")
            return None
        if max_length is not None and len(value) > max_length:
            self.error(f"{where}.{name}", f"is {len(value)} characters long; the most is {max_length}")
            return None
        if check is not None and value:
            problem = check(value)
            if problem:
                self.error(f"{where}.{name}", f"{_show(value)} — {problem}")
                return None
        return value

    def choice(self, record: dict[str, Any], where: str, name: str, choices: type[models.TextChoices]) -> str | None:
        if name not in record:
            return None
        value = record[name]
        if value not in choices.values:
            allowed = ", ".join(choices.values)
            self.error(f"{where}.{name}", f"unknown {name.replace('_', ' ')} {_show(value)}; use one of: {allowed}")
            return None
        return value

    def moment(self, record: dict[str, Any], where: str, name: str) -> dt.datetime | None:
        value = record.get(name)
        if value is None:
            return None
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # well formed but impossible, such as 25:00
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.error(f"{where}.{name}", f"{_show(value)} is not an ISO 8601 date and time with a zone")
            return None
        return parsed.astimezone(dt.UTC)

    def day(self, record: dict[str, Any], where: str, name: str) -> dt.date | None:
        value = record.get(name)
        if value is None:
            return None
        try:
            parsed = parse_date(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            self.error(f"{where}.{name}", f"{_show(value)} is not a date (YYYY-MM-DD)")
        return parsed

    def flag(self, record: dict[str, Any], where: str, name: str) -> bool | None:
        value = record.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.error(f"{where}.{name}", f"must be true or false, not {_show(value)}")
            return None
        return value

    def file_id(self, record: dict[str, Any], where: str, seen: dict[str, str]) -> str | None:
        value = self.text(record, where, "id", required=True, max_length=200)
        if value is None:
            return None
        if value in seen:
            self.error(f"{where}.id", f"{_show(value)} is already the id of {seen[value]}")
            return None
        seen[value] = where
        return value


def _url_problem(value: str) -> str | None:
    try:
        normalise_url(value)
    except InvalidURL as exc:
        return str(exc)
    return None


def _source_url_problem(value: str) -> str | None:
    """Say why a source address is refused, in the web form's words (SourceForm.clean_url); None if it is not.

    The worker would refuse these later anyway; refusing them here keeps the file from writing sources
    that can never be checked, and keeps one rule for the form and the import.
    """
    try:
        url = normalise_url(value)
    except InvalidURL as exc:
        return str(exc)
    return refused_address(url) or None


def _domain_problem(value: str) -> str | None:
    if not _DOMAIN.fullmatch(value):
        return "Give the registrable domain in lower case, e.g. kyivindependent.com."
    return None


def _slug_problem(value: str) -> str | None:
    if not _SLUG.fullmatch(value):
        return "Use only ASCII letters, digits, hyphens and underscores."
    return None


def _qid_problem(value: str) -> str | None:
    if not _QID.fullmatch(value):
        return "A Wikidata id looks like Q42."
    return None


@dataclass
class _Plan:
    """A validated document: records ready to write, with cross-references resolved to file keys."""

    outlets: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    actors: dict[str, dict[str, Any]] = field(default_factory=dict)
    quotes: dict[str, dict[str, Any]] = field(default_factory=dict)
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: list[dict[str, Any]] = field(default_factory=list)


def _section(document: dict[str, Any], name: str, check: _Checker) -> list[Any]:
    value = document.get(name, [])
    if not isinstance(value, list):
        check.error(name, "must be a list")
        return []
    return value


def validate_document(document: Any) -> _Plan:
    """Check a whole parsed document and return what to write; raise ImportFileError naming every problem.

    Nothing is written here. Sources and outlets may refer to rows already in the database; actors,
    quotes and statements are referred to by the ids the file gives them. A field left out means
    "leave it as it is" (or the default, for a new row); a null text field means empty.
    """
    check = _Checker()
    if not isinstance(document, dict):
        raise ImportFileError(["The file must hold one JSON object."])
    if document.get("format") != FORMAT:
        raise ImportFileError([f"format: {_show(document.get('format'))} — this is not a {FORMAT} file."])
    version = document.get("version")
    if version != VERSION or isinstance(version, bool):
        raise ImportFileError([f"version: {_show(version)} — this program reads version {VERSION} only."])
    for name in sorted(set(document) - {"format", "version", *SECTIONS}):
        check.error(name, "is not a section of this format")
    sections = {name: _section(document, name, check) for name in SECTIONS}
    plan = _Plan()
    outlets = _check_outlets(sections["outlets"], plan, check)
    sources = _check_sources(sections["sources"], outlets, plan, check)
    _check_actors(sections["actors"], plan, check)
    quotes = _check_quotes(sections["quotes"], sources, plan, check)
    statements = _check_statements(sections["statements"], quotes, plan, check)
    _check_disputes(sections["disputes"], statements, plan, check)
    if check.errors:
        raise ImportFileError(check.errors)
    return plan


def _check_outlets(records: list[Any], plan: _Plan, check: _Checker) -> set[str]:
    """Validate the outlets; return their domains."""
    domains: dict[str, str] = {}
    for index, raw in enumerate(records):
        where = f"outlets[{index}]"
        record = check.fields(raw, where, ["domain", "name", "homepage"])
        if record is None:
            continue
        domain = check.text(record, where, "domain", required=True, max_length=253, check=_domain_problem)
        outlet = {
            "domain": domain,
            "name": check.text(record, where, "name", required=True, max_length=_max_length(Outlet, "name")),
        }
        if "homepage" in record:
            outlet["homepage"] = check.text(
                record, where, "homepage", max_length=_max_length(Outlet, "homepage"), check=_url_problem
            )
        if domain in domains:
            check.error(f"{where}.domain", f"{_show(domain)} is already the domain of {domains[domain]}")
        elif domain:
            domains[domain] = where
            plan.outlets.append(outlet)
    return set(domains)


def _check_sources(records: list[Any], outlets: set[str], plan: _Plan, check: _Checker) -> set[str]:
    """Validate the sources; return their normalised URLs."""
    cited = {raw["outlet"] for raw in records if isinstance(raw, dict) and isinstance(raw.get("outlet"), str)}
    known_outlets = outlets | set(Outlet.objects.filter(domain__in=cited - outlets).values_list("domain", flat=True))
    urls: dict[str, str] = {}
    for index, raw in enumerate(records):
        where = f"sources[{index}]"
        record = check.fields(raw, where, ["url", "outlet", "title", "byline", "published_at", "language"])
        if record is None:
            continue
        url = check.text(record, where, "url", required=True, check=_source_url_problem)
        source: dict[str, Any] = {
            name: check.text(record, where, name, max_length=_max_length(Source, name))
            for name in ("title", "byline", "language")
            if name in record
        }
        if "published_at" in record:
            source["published_at"] = check.moment(record, where, "published_at")
        if "outlet" in record:
            outlet = record["outlet"]
            if outlet is not None and (not isinstance(outlet, str) or outlet not in known_outlets):
                check.error(f"{where}.outlet", f"{_show(outlet)} is not among the outlets")
            source["outlet"] = outlet
        if not url:
            continue
        source["url"] = normalise_url(url)
        if source["url"] in urls:
            check.error(f"{where}.url", f"{_show(url)} is the same address as {urls[source['url']]}")
            continue
        urls[source["url"]] = where
        plan.sources.append(source)
    return set(urls)


def _check_actors(records: list[Any], plan: _Plan, check: _Checker) -> None:
    """Validate the actors, their organisations (ids in this file) and their natural keys."""
    ids: dict[str, str] = {}
    for index, raw in enumerate(records):
        where = f"actors[{index}]"
        record = check.fields(raw, where, ["id", "name", "kind", "role", "organisation", "wikidata_qid"])
        if record is None:
            continue
        actor_id = check.file_id(record, where, ids)
        actor: dict[str, Any] = {
            "where": where,
            "name": check.text(record, where, "name", required=True, max_length=_max_length(Actor, "name")),
            "organisation": record.get("organisation"),
        }
        if "kind" in record:
            actor["kind"] = check.choice(record, where, "kind", Actor.Kind)
        if "role" in record:
            actor["role"] = check.text(record, where, "role", max_length=_max_length(Actor, "role"))
        if "wikidata_qid" in record:
            actor["wikidata_qid"] = check.text(
                record, where, "wikidata_qid", max_length=_max_length(Actor, "wikidata_qid"), check=_qid_problem
            )
        if actor_id:
            plan.actors[actor_id] = actor
    keys: dict[tuple[str, str | None], str] = {}
    for actor_id, actor in plan.actors.items():
        where, organisation = actor["where"], actor["organisation"]
        if organisation is not None and (not isinstance(organisation, str) or organisation not in plan.actors):
            check.error(f"{where}.organisation", f"unknown actor {_show(organisation)}")
            continue
        seen = {actor_id}
        while organisation is not None:
            if organisation in seen:
                check.error(f"{where}.organisation", f"{_show(actor['organisation'])} makes a loop")
                break
            seen.add(organisation)
            organisation = plan.actors.get(organisation, {}).get("organisation")
        key = (actor["name"], actor["organisation"])
        if key in keys:
            check.error(f"{where}.name", f"{_show(actor['name'])} in the same organisation is already {keys[key]}")
        keys[key] = where


def _check_quotes(records: list[Any], sources: set[str], plan: _Plan, check: _Checker) -> set[str]:
    """Validate the quotes and the sources they cite; return their ids."""
    cited = {
        normalise_url(raw["source"])
        for raw in records
        if isinstance(raw, dict) and isinstance(raw.get("source"), str) and not _url_problem(raw["source"])
    }
    known_sources = sources | set(Source.objects.filter(url__in=cited - sources).values_list("url", flat=True))
    ids: dict[str, str] = {}
    keys: dict[tuple[str, str, str, str], str] = {}
    for index, raw in enumerate(records):
        where = f"quotes[{index}]"
        record = check.fields(raw, where, ["id", "source", "exact", "prefix", "suffix"])
        if record is None:
            continue
        quote_id = check.file_id(record, where, ids)
        source = check.text(record, where, "source", required=True, check=_source_url_problem)
        if source:
            if normalise_url(source) not in known_sources:
                check.error(f"{where}.source", f"{_show(source)} is not among the sources")
            source = normalise_url(source)
        exact = record.get("exact")
        if not isinstance(exact, str) or not exact:
            check.error(f"{where}.exact", "is required: the passage, exactly as the source has it")
        elif len(exact) > Quote.MAX_LENGTH:
            check.error(f"{where}.exact", f"is {len(exact)} characters long; the most is {Quote.MAX_LENGTH}")
        elif "\x00" in exact:
            check.error(f"{where}.exact", NUL_PROBLEM)
        prefix = check.text(record, where, "prefix", max_length=_max_length(Quote, "prefix")) or ""
        suffix = check.text(record, where, "suffix", max_length=_max_length(Quote, "suffix")) or ""
        if not (quote_id and source and isinstance(exact, str)):
            continue
        key = (source, exact, prefix, suffix)
        if key in keys:
            check.error(where, f"has the same source, exact, prefix and suffix as {keys[key]}")
        keys[key] = where
        plan.quotes[quote_id] = {"source": source, "exact": exact, "prefix": prefix, "suffix": suffix}
    return set(ids)


def _check_statements(records: list[Any], quotes: set[str], plan: _Plan, check: _Checker) -> set[str]:
    """Validate the statements, their quotes and speakers; return their ids."""
    ids: dict[str, str] = {}
    keys: dict[tuple[str, str | None, str], str] = {}
    for index, raw in enumerate(records):
        where = f"statements[{index}]"
        record = check.fields(raw, where, ["id", "quote", "speaker", "attribution", "stated_on"])
        if record is None:
            continue
        statement_id = check.file_id(record, where, ids)
        quote = check.text(record, where, "quote", required=True)
        if quote and quote not in quotes:
            check.error(f"{where}.quote", f"unknown quote {_show(quote)}")
        speaker = record.get("speaker")
        if speaker is not None and (not isinstance(speaker, str) or speaker not in plan.actors):
            check.error(f"{where}.speaker", f"unknown actor {_show(speaker)}")
            speaker = str(speaker)
        attribution = Statement.Attribution.DIRECT_QUOTE.value
        if "attribution" in record:
            attribution = check.choice(record, where, "attribution", Statement.Attribution) or attribution
        anonymous = {Statement.Attribution.ANONYMOUS_OFFICIALS, Statement.Attribution.OUTLET_REPORTING}
        if speaker is None and attribution not in anonymous:
            check.error(
                f"{where}.speaker", "is required unless the attribution is anonymous_officials or outlet_reporting"
            )
        statement = {"quote": quote, "speaker": speaker, "attribution": attribution}
        if "stated_on" in record:
            statement["stated_on"] = check.day(record, where, "stated_on")
        key = (quote or "", speaker, attribution)
        if key in keys:
            check.error(where, f"has the same quote, speaker and attribution as {keys[key]}")
        keys[key] = where
        if statement_id:
            plan.statements[statement_id] = statement
    return set(ids)


def _check_disputes(records: list[Any], statements: set[str], plan: _Plan, check: _Checker) -> None:
    """Validate the disputes and their links."""
    known = [
        "slug", "claim_text", "summary", "context", "resolution", "state", "published_at",
        "withdrawal_reason", "needs_recheck", "recheck_reason", "links",
    ]  # fmt: skip
    slugs: dict[str, str] = {}
    for index, raw in enumerate(records):
        where = f"disputes[{index}]"
        record = check.fields(raw, where, known)
        if record is None:
            continue
        slug = check.text(
            record, where, "slug", required=True, max_length=_max_length(Dispute, "slug"), check=_slug_problem
        )
        if slug in slugs:
            check.error(f"{where}.slug", f"{_show(slug)} is already the slug of {slugs[slug]}")
        elif slug:
            slugs[slug] = where
        dispute: dict[str, Any] = {
            "slug": slug,
            "claim_text": check.text(
                record, where, "claim_text", required=True, max_length=_max_length(Dispute, "claim_text")
            ),
        }
        for name in ("summary", "context", "withdrawal_reason", "recheck_reason"):
            if name in record:
                dispute[name] = check.text(record, where, name, max_length=_max_length(Dispute, name))
        if "resolution" in record:
            dispute["resolution"] = check.choice(record, where, "resolution", Dispute.Resolution)
        if "state" in record:
            dispute["state"] = check.choice(record, where, "state", Dispute.State)
        if "published_at" in record:
            dispute["published_at"] = check.moment(record, where, "published_at")
        if "needs_recheck" in record:
            dispute["needs_recheck"] = bool(check.flag(record, where, "needs_recheck"))
        if dispute.get("state") == Dispute.State.WITHDRAWN and not (dispute.get("withdrawal_reason") or "").strip():
            check.error(f"{where}.withdrawal_reason", "is required when the state is withdrawn")
        if "links" in record:
            dispute["links"] = _check_links(record["links"], f"{where}.links", statements, check)
        plan.disputes.append(dispute)


def _check_links(raw_links: Any, where: str, statement_ids: set[str], check: _Checker) -> list[dict[str, Any]]:
    """Return a dispute's links in file order (the order is their position)."""
    if not isinstance(raw_links, list):
        check.error(where, "must be a list")
        return []
    links: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(raw_links):
        link_where = f"{where}[{index}]"
        record = check.fields(raw, link_where, ["statement", "role", "note"])
        if record is None:
            continue
        statement = record.get("statement")
        if not isinstance(statement, str) or statement not in statement_ids:
            check.error(f"{link_where}.statement", f"unknown statement {_show(statement)}")
            continue
        if statement in seen:
            check.error(f"{link_where}.statement", f"{_show(statement)} is already linked at {seen[statement]}")
            continue
        seen[statement] = link_where
        if "role" not in record:
            check.error(f"{link_where}.role", "is required")
            continue
        role = check.choice(record, link_where, "role", DisputeLink.Role)
        note = check.text(record, link_where, "note") or ""
        if role is not None:
            links.append({"statement": statement, "role": role, "note": note})
    return links


# --- import --------------------------------------------------------------------------------------------


def _sync(instance: models.Model, values: dict[str, Any]) -> bool:
    """Write the values that differ from the row, and only those; return whether any did."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, values[name])
        instance.save(update_fields=changed)
    return bool(changed)


def _shared(result: ImportResult, kind: str, row: Any, values: dict[str, Any], keep: bool) -> None:
    """Bring an existing shared row (outlet, source, speaker) in line with the file, through its model.

    Such a row is shown by disputes: `update_details` records the change on each (by the system) and
    sends the published ones back to review, as a change made on the desk does. `keep` leaves the row
    as it is (the seed story, loaded on every start, must not undo what people corrected since).
    """
    changed = False if keep else bool(row.update_details(by=None, **values))
    result.note(kind, "changed" if changed else "unchanged")


def _write(plan: _Plan, result: ImportResult, *, keep_existing: bool = False) -> None:
    """Write a validated plan, referred records first, counting what each record did to the database."""
    outlet_pks: dict[str, int] = {}
    for record in plan.outlets:
        values = {name: record[name] for name in ("name", "homepage") if name in record}
        outlet = Outlet.objects.filter(domain=record["domain"]).first()
        if outlet is None:
            outlet = Outlet.objects.create(domain=record["domain"], **values)
            result.note("outlets", "created")
        else:
            _shared(result, "outlets", outlet, values, keep_existing)
        outlet_pks[record["domain"]] = outlet.pk
    missing = {record["outlet"] for record in plan.sources if record.get("outlet")} - set(outlet_pks)
    outlet_pks.update(Outlet.objects.filter(domain__in=missing).values_list("domain", "pk"))

    source_pks: dict[str, int] = {}
    for record in plan.sources:
        values = {name: record[name] for name in ("title", "byline", "language", "published_at") if name in record}
        if "outlet" in record:
            values["outlet_id"] = outlet_pks[record["outlet"]] if record["outlet"] else None
        source = Source.objects.filter(url=record["url"]).first()
        if source is None:
            # Due at once: due-ness lives in next_check_at, and a source without it would never be checked.
            source = Source.objects.create(url=record["url"], next_check_at=timezone.now(), **values)
            result.note("sources", "created")
        else:
            if "outlet_id" in values:
                outlet_id = values.pop("outlet_id")
                values["outlet"] = Outlet.objects.get(pk=outlet_id) if outlet_id else None
            _shared(result, "sources", source, values, keep_existing)
        source_pks[record["url"]] = source.pk
    missing = {record["source"] for record in plan.quotes.values()} - set(source_pks)
    source_pks.update(Source.objects.filter(url__in=missing).values_list("url", "pk"))

    actor_pks: dict[str, int] = {}

    def actor_pk(actor_id: str) -> int:
        # Organisations first: an actor's natural key includes its organisation's row.
        if actor_id in actor_pks:
            return actor_pks[actor_id]
        record = plan.actors[actor_id]
        organisation_pk = actor_pk(record["organisation"]) if record["organisation"] else None
        values = {name: record[name] for name in ("kind", "role", "wikidata_qid") if name in record}
        actor = Actor.objects.filter(name=record["name"], organisation_id=organisation_pk).first()
        if actor is None:
            actor = Actor.objects.create(name=record["name"], organisation_id=organisation_pk, **values)
            result.note("actors", "created")
        else:
            _shared(result, "actors", actor, values, keep_existing)
        actor_pks[actor_id] = actor.pk
        return actor.pk

    for actor_id in plan.actors:
        actor_pk(actor_id)

    quote_pks: dict[str, int] = {}
    for quote_id, record in plan.quotes.items():
        key = {**record, "source_id": source_pks[record["source"]]}
        del key["source"]
        # Quotes are immutable: an existing one with the same selector is the same passage.
        quote = Quote.objects.filter(**key).order_by("pk").first()
        if quote is None:
            quote = Quote.objects.create(**key)
            result.note("quotes", "created")
        else:
            result.note("quotes", "unchanged")
        quote_pks[quote_id] = quote.pk

    statement_pks: dict[str, int] = {}
    for statement_id, record in plan.statements.items():
        key = {
            "quote_id": quote_pks[record["quote"]],
            "speaker_id": actor_pks[record["speaker"]] if record["speaker"] else None,
            "attribution": record["attribution"],
        }
        values = {"stated_on": record["stated_on"]} if "stated_on" in record else {}
        statement = Statement.objects.filter(**key).order_by("pk").first()
        if statement is None:
            statement = Statement.objects.create(**key, **values)
            result.note("statements", "created")
        elif keep_existing:
            result.note("statements", "unchanged")
        else:
            result.note("statements", "changed" if _sync(statement, values) else "unchanged")
        statement_pks[statement_id] = statement.pk

    for record in plan.disputes:
        dispute, outcome = _write_dispute(record, statement_pks)
        result.note("disputes", outcome)
        if dispute.state == Dispute.State.PUBLISHED:
            result.published += 1


def _write_dispute(record: dict[str, Any], statement_pks: dict[str, int]) -> tuple[Dispute, str]:
    """Bring one dispute in line with its record; say whether it was "created", "changed" or "unchanged"."""
    content = {name: record[name] for name in ("claim_text", "summary", "context", "resolution") if name in record}
    dispute = Dispute.objects.select_related("public_revision").filter(slug=record["slug"]).first()
    changed: list[str] = []
    differing: dict[str, Any] = {}
    if dispute is None:
        dispute = Dispute.objects.create(slug=record["slug"], **content)
        changed.append("created")
    else:
        # The content is written by restore_imported in its one UPDATE, which bumps the version like
        # any workflow change (a write that kept it would be logged as a change outside the workflow).
        differing = {name: value for name, value in content.items() if getattr(dispute, name) != value}
    if "links" in record and _sync_links(dispute, record["links"], statement_pks):
        changed.append("links")
    # The file's state goes through the model, which records the Event and writes a Revision if needed.
    restored = dispute.restore_imported(
        state=record.get("state", dispute.state),
        published_at=record.get("published_at", dispute.published_at),
        withdrawal_reason=record.get("withdrawal_reason", dispute.withdrawal_reason),
        needs_recheck=record.get("needs_recheck", dispute.needs_recheck),
        recheck_reason=record.get("recheck_reason", dispute.recheck_reason),
        changed=changed,
        content=differing,
    )
    if "created" in changed:
        return dispute, "created"
    return dispute, "changed" if restored else "unchanged"


def _sync_links(dispute: Dispute, links: list[dict[str, Any]], statement_pks: dict[str, int]) -> bool:
    """Make the dispute's links the file's, in the file's order; return whether anything changed.

    Only the order matters, not the stored position numbers, so a dispute whose positions have gaps
    is not rewritten; link rows whose statement stays are updated in place.
    """
    wanted = [(statement_pks[link["statement"]], link["role"], link["note"]) for link in links]
    current = list(dispute.links.order_by("position", "pk"))
    if [(link.statement_id, link.role, link.note) for link in current] == wanted:
        return False
    dispute.links.exclude(statement_id__in=[statement_pk for statement_pk, _, _ in wanted]).delete()
    by_statement = {link.statement_id: link for link in current}
    for position, (statement_pk, role, note) in enumerate(wanted):
        link = by_statement.get(statement_pk)
        if link is None:
            DisputeLink.objects.create(
                dispute=dispute, statement_id=statement_pk, role=role, note=note, position=position
            )
        else:
            _sync(link, {"role": role, "note": note, "position": position})
    return True


def parse_json(text: str | bytes) -> Any:
    """Parse a document's text, refusing what is not UTF-8 JSON and objects that repeat a key."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileError([f"The file is not UTF-8 text ({exc.reason} at byte {exc.start})."]) from None

    def no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ImportFileError([f"An object gives the field {_show(repeated[0])} twice."])
        return dict(pairs)

    try:
        return json.loads(text, object_pairs_hook=no_repeats)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            [f"The file is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."]
        ) from None


def import_document(document: Any, *, keep_existing: bool = False) -> ImportResult:
    """Validate a parsed document, then write it in one transaction; raise ImportFileError if it is bad.

    `keep_existing` leaves the outlets, sources, speakers and statements already here as they are.
    """
    plan = validate_document(document)
    result = ImportResult()
    try:
        with transaction.atomic():
            _write(plan, result, keep_existing=keep_existing)
    except (DatabaseError, TransitionError, ValidationError) as exc:
        raise ImportFileError([f"The database refused the import, so nothing was written: {exc}"]) from exc
    return result


def import_json(text: str | bytes) -> ImportResult:
    """Import a document given as text or bytes."""
    return import_document(parse_json(text))


def import_file(path: Path | str) -> ImportResult:
    """Import the document in a file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImportFileError([f"Cannot read {path}: {exc.strerror}."]) from None
    return import_json(data)


# --- seeds -----------------------------------------------------------------------------------------------


def load_seed_story(path: Path = SEED_STORY) -> ImportResult:
    """Import the demo story, leaving alone the seed disputes, sources, outlets and speakers already here.

    `make run` loads the seeds on every start; a demo editor's changes to a seed dispute, or to the
    details of a source or speaker it shows, must survive a restart rather than be put back to the
    file's version.
    """
    try:
        document = parse_json(Path(path).read_bytes())
    except OSError as exc:
        raise ImportFileError([f"Cannot read {path}: {exc.strerror}."]) from None
    kept: list[str] = []
    if isinstance(document, dict) and isinstance(document.get("disputes"), list):
        slugs = [record.get("slug") for record in document["disputes"] if isinstance(record, dict)]
        existing = set(
            Dispute.objects.filter(slug__in=[s for s in slugs if isinstance(s, str)]).values_list("slug", flat=True)
        )
        kept = [slug for slug in slugs if slug in existing]
        document["disputes"] = [
            record
            for record in document["disputes"]
            if not (isinstance(record, dict) and record.get("slug") in existing)
        ]
    result = import_document(document, keep_existing=True)
    for _ in kept:
        result.note("disputes", "kept")
    return result


@dataclass(frozen=True)
class DemoLogin:
    """A demo account's login; `works` is False when its password was changed since it was saved."""

    username: str
    group: str
    password: str
    works: bool = True


DEMO_USERS = (("editor", "editors"), ("reviewer", "reviewers"))


def demo_logins_path() -> Path:
    """Return where the demo logins are kept: var/demo-logins.txt (settings.VAR_DIR)."""
    return Path(settings.VAR_DIR) / "demo-logins.txt"


def _read_logins(path: Path) -> dict[str, str]:
    """Read saved logins ("username: password" lines); an absent file holds none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    logins = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            username, _, password = line.partition(":")
            if password.strip():
                logins[username.strip()] = password.strip()
    return logins


def _write_logins(path: Path, logins: list[DemoLogin]) -> None:
    """Save the logins where only this user can read them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Demo logins made by `manage.py load_seeds --demo-users`. For development only.\n"]
    lines += [f"{login.username}: {login.password}\n" for login in logins]
    # Create it private from the start: a password file must never be readable by others, even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.writelines(lines)
    path.chmod(0o600)


@transaction.atomic
def ensure_demo_users() -> list[DemoLogin]:
    """Make sure the demo editor and reviewer exist, and return their logins.

    The first run gives each a random password and saves the logins to var/demo-logins.txt (mode 0600).
    Later runs read that file and change no user, so running the seeds twice leaves the same rows. If
    the file is gone, users that exist get a new password, since the old one cannot be shown again.
    """
    if settings.PRODUCTION:
        raise PermissionError("Demo users are for development only; this is a production deployment.")
    groups = {group.name: group for group in Group.objects.filter(name__in=[name for _, name in DEMO_USERS])}
    missing = sorted({name for _, name in DEMO_USERS} - set(groups))
    if missing:
        # The groups carry the permissions (migration disputes/0002); an empty stand-in would grant nothing.
        raise LookupError(f"The group(s) {', '.join(missing)} are missing: `manage.py migrate` creates them.")
    path = demo_logins_path()
    saved = _read_logins(path)
    logins: list[DemoLogin] = []
    rewrite = False
    for username, group_name in DEMO_USERS:
        group = groups[group_name]
        user = User.objects.filter(username=username).first()
        password = saved.get(username)
        if password is None:
            password = secrets.token_urlsafe(12)
            rewrite = True
            if user is not None:
                user.set_password(password)
                user.save(update_fields=["password"])
        if user is None:
            user = User.objects.create_user(username=username, password=password, email=f"{username}@example.org")
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
        # Someone may have changed the password in the admin since; say so rather than print a wrong one.
        logins.append(DemoLogin(username, group_name, password, works=user.check_password(password)))
    if rewrite:
        _write_logins(path, logins)
    return logins
