"""`manage.py recheck`: check sources now, in-process, without a broker."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from pytest_httpserver import HTTPServer

from articles.models import Fetch, Quote, Source
from articles.tests import test_checking as shared
from articles.tests.test_checking import PATH, QUOTE, make_source, no_robots, page, serve

server, site = shared.server, shared.site  # the page server's fixtures

pytestmark = pytest.mark.django_db


def recheck(*args: str) -> str:
    out = StringIO()
    call_command("recheck", *args, stdout=out)
    return out.getvalue()


def test_prints_one_line_per_source(site: HTTPServer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    Quote.objects.create(source=source, exact=QUOTE)
    output = recheck("--source", str(source.pk))
    (line,) = output.splitlines()
    assert line.startswith(source.url)
    assert "alive" in line and "First copy" in line and "quotes: 1 present" in line


def test_json_lines_say_what_was_found(site: HTTPServer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    quote = Quote.objects.create(source=source, exact=QUOTE)
    recheck("--all")
    serve(site, page("v3-quote-removed"))
    (line,) = recheck("--all", "--json").splitlines()
    data = json.loads(line)
    assert data["url"] == source.url
    assert (data["liveness"], data["outcome"], data["snapshot_changed"]) == ("alive", "changed", True)
    assert data["quotes"] == [{"id": quote.pk, "exact": QUOTE, "status": "gone", "score": None}]


def test_an_untracked_address_is_added_and_checked(site: HTTPServer) -> None:
    serve(site, page("v1"))
    url = f"http://127.0.0.1:{site.port}{PATH}?utm_source=newsletter"
    no_robots(url)
    (line,) = recheck(url, "--json").splitlines()
    source = Source.objects.get()
    assert source.url == f"http://127.0.0.1:{site.port}{PATH}"
    assert json.loads(line)["url"] == source.url
    assert Fetch.objects.filter(source=source).count() == 1


def test_due_checks_only_what_is_due(site: HTTPServer) -> None:
    serve(site, page("v1"))
    source = make_source(site)
    assert recheck("--due") == "Nothing to check.\n"  # never scheduled yet: the dispatcher spreads new sources
    Source.objects.filter(pk=source.pk).update(next_check_at="2024-11-11T00:00:00Z")
    assert len(recheck("--due").splitlines()) == 1
    assert recheck("--due") == "Nothing to check.\n"


def test_bad_addresses_and_ids_are_named(db: None) -> None:
    with pytest.raises(CommandError, match=r"ftp://example\.org/a: Only http:// and https://"):
        recheck("ftp://example.org/a")
    with pytest.raises(CommandError, match="No source with id 404"):
        recheck("--source", "404")
    with pytest.raises(CommandError, match="Say what to check"):
        recheck()
