"""Hostile text and addresses through every open-data output: JSON, Atom, CSV and JSON Lines, ClaimReview.

Each must carry the words faithfully as text, and never as markup or a link that is not http(s).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import feedparser
import html5lib
import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from articles.models import Source
from articles.tests.factories import OutletFactory
from disputes import exports
from disputes.models import Dispute, DisputeLink
from disputes.tests.factories import ActorFactory, DisputeFactory, add_link
from disputes.tests.openapi import validate_response
from disputes.tests.test_public_views import publish_directly

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
RTL = "\u202egnp.exe"
HOSTILE = f"{SCRIPT}{BREAKOUT} {RTL}"
# Characters XML 1.0 cannot carry: a feed must drop them rather than fail or write broken XML.
CONTROL = "bell\x07 escape\x1b"
HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/path",
    "https://",
]


@pytest.fixture(autouse=True)
def open_data_settings(settings, tmp_path: Path) -> None:
    settings.SITE_URL = "https://counterclaim.example"
    settings.EXPORT_DIR = tmp_path


@pytest.fixture
def hostile(db: None) -> Dispute:
    """Publish a dispute whose every text is hostile: claim, summary, quotes, speakers, outlet, titles, notes."""
    outlet = OutletFactory(name=HOSTILE, homepage="https://evil.example/")
    dispute = DisputeFactory(claim_text=f"{SCRIPT}{BREAKOUT}{RTL}"[:75], summary=HOSTILE, context=HOSTILE)
    for role in (DisputeLink.Role.APPEARANCE, DisputeLink.Role.REBUTTAL):
        link = add_link(
            dispute, role, speaker=ActorFactory(name=f"{HOSTILE} {role}", role=HOSTILE), quote__exact=HOSTILE + CONTROL,
            quote__source__title=HOSTILE, quote__source__outlet=outlet,
            quote__source__url=f'https://evil.example/{role}"><script>alert(1)</script>',
        )  # fmt: skip
        DisputeLink.objects.filter(pk=link.pk).update(note=HOSTILE)
    publish_directly(dispute)
    dispute.flag_for_recheck(reason=HOSTILE + CONTROL)
    return dispute


def with_hostile_urls(dispute: Dispute) -> Dispute:
    """Put addresses no browser should follow into the approved revision (the database refuses them)."""
    revision = dispute.public_revision
    for link, url in zip(revision.data["links"], HOSTILE_URLS, strict=False):
        link["source"]["url"] = url
        link["source"]["outlet_homepage"] = url
    revision.save()
    return dispute


def all_strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in all_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in all_strings(v)]
    return [value] if isinstance(value, str) else []


def addresses_in(value: object) -> list[str | None]:
    """Collect every value given as an address: under a key named url, *_url, homepage or sameAs."""
    if isinstance(value, list):
        return [url for item in value for url in addresses_in(item)]
    if not isinstance(value, dict):
        return []
    found: list[str | None] = []
    for key, item in value.items():
        if key in {"url", "sameAs"} or key.endswith(("_url", "homepage")):
            found.append(item)
        else:
            found += addresses_in(item)
    return found


def test_the_database_refuses_a_source_address_that_is_not_http(db: None) -> None:
    for url in ("javascript:alert(1)", "data:text/html,x", "//evil.example/"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Source.objects.create(url=url)


def test_json_carries_hostile_text_escaped_and_intact(client: Client, hostile: Dispute) -> None:
    source = hostile.links.first().statement.quote.source
    for address, path in [
        ("/api/disputes/", "/api/disputes/"),
        (f"/api/disputes/{hostile.slug}/", "/api/disputes/{slug}/"),
        (f"/api/sources/{source.pk}/", "/api/sources/{id}/"),
    ]:
        response = client.get(address)
        body = response.content.decode()
        # Nothing in the bytes reads as markup, even to a browser that sniffs: <, > and & are escaped.
        assert "<" not in body and ">" not in body
        assert "\u202e" not in body  # non-ASCII goes out as \\u escapes
        assert response["X-Content-Type-Options"] == "nosniff"
        data = validate_response(path, response)
        assert any(SCRIPT in text for text in all_strings(data)), address

    record = json.loads(client.get(f"/api/disputes/{hostile.slug}/").content)
    assert record["summary"] == HOSTILE
    assert record["statements"][0]["quote"]["text"] == HOSTILE + CONTROL
    assert record["recheck_reason"] == HOSTILE + CONTROL


def test_json_gives_no_address_that_is_not_http(client: Client, hostile: Dispute) -> None:
    with_hostile_urls(hostile)
    source = hostile.links.first().statement.quote.source
    Source.objects.filter(pk=source.pk).update(url="https://evil.example/fine")

    for address in (
        "/api/disputes/",
        f"/api/disputes/{hostile.slug}/",
        f"/api/sources/{source.pk}/",
        "/api/claimreview.json",
    ):
        data = json.loads(client.get(address).content)
        addresses = addresses_in(data)
        assert addresses, address
        assert all(url is None or (url.startswith(("https://", "http://")) and url != "https://") for url in addresses)
    record = json.loads(client.get(f"/api/disputes/{hostile.slug}/").content)
    assert [s["source"]["url"] for s in record["statements"]] == [None, None]
    assert [s["source"]["outlet_homepage"] for s in record["statements"]] == [None, None]
    [review] = json.loads(client.get("/api/claimreview.json").content)["dataFeedElement"]
    assert all("url" not in work for work in review["itemReviewed"]["appearance"])


def test_atom_carries_hostile_text_as_text(client: Client, hostile: Dispute) -> None:
    for address in ("/feeds/disputes.atom", f"/d/{hostile.slug}/updates.atom"):
        response = client.get(address)
        assert response.status_code == 200
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.get("bozo_exception")
        for entry in feed.entries:
            # The title is plain text, exactly the approved claim.
            assert entry.title_detail.type == "text/plain"
            assert SCRIPT in entry.title
            # The summary is HTML whose only elements are our paragraphs: the hostile words are its text,
            # each in a paragraph of its own, so a right-to-left override cannot turn our words around.
            document = html5lib.parse(entry.summary, namespaceHTMLElements=False)
            assert {element.tag for element in document.iter()} <= {"html", "head", "body", "p"}
            for paragraph in document.iter("p"):
                text = "".join(paragraph.itertext())
                if "\u202e" in text:
                    assert paragraph.get("dir") == "auto"
                    assert not any(ours in text for ours in ("Denied by the subject", "Needs re-check", "Published"))
        summaries = " ".join(entry.summary for entry in feed.entries)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summaries
        assert "\x07" not in response.content.decode() and "\x1b" not in response.content.decode()


def test_atom_links_only_to_http_addresses(client: Client, hostile: Dispute) -> None:
    with_hostile_urls(hostile)

    for address in ("/feeds/disputes.atom", f"/d/{hostile.slug}/updates.atom"):
        feed = feedparser.parse(client.get(address).content)
        hrefs = [link.href for link in feed.feed.links] + [link.href for e in feed.entries for link in e.links]
        assert hrefs and all(href.startswith("https://counterclaim.example/") for href in hrefs), hrefs


def test_bulk_files_carry_hostile_text_intact_and_no_unsafe_address(hostile: Dispute, tmp_path: Path) -> None:
    with_hostile_urls(hostile)

    exports.write_exports()

    [line] = [json.loads(line) for line in (tmp_path / "disputes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert line["summary"] == HOSTILE
    assert [s["source"]["url"] for s in line["statements"]] == [None, None]
    with (tmp_path / "disputes.csv").open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["summary"] == HOSTILE
    assert row["appearance_urls"] == row["rebuttal_urls"] == ""
    assert "javascript" not in (tmp_path / "disputes.csv").read_text(encoding="utf-8").lower()


def test_hostile_addresses_that_pass_the_database_stay_text(client: Client, hostile: Dispute) -> None:
    """An http(s) address may still hold quotes and angle brackets: JSON escapes them, Atom never links them."""
    record = json.loads(client.get(f"/api/disputes/{hostile.slug}/").content)

    url = record["statements"][0]["source"]["url"]
    assert url == 'https://evil.example/appearance"><script>alert(1)</script>'
    feed = feedparser.parse(client.get("/feeds/disputes.atom").content)
    assert "evil.example" not in " ".join(link.href for e in feed.entries for link in e.links)
