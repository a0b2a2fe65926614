"""Hostile text and addresses through the dispute page and the source page (reference B-T11).

Everything a reader sees that someone else wrote (a claim, a quote, a speaker, an outlet, a title, the text
of an article) carries `<script>`, a broken-out attribute with an `onerror`, and a right-to-left override.
The pages must show it as text, link nothing but http(s) addresses and our own paths, and keep each
override inside the field it came in, so it cannot turn our own words around.
"""

from xml.etree.ElementTree import Element

import html5lib
import pytest
from django.test import Client

from articles.models import Snapshot, Source
from articles.tests.factories import OutletFactory
from disputes.models import Dispute, DisputeLink
from disputes.tests.factories import ActorFactory, DisputeFactory, add_link, publish_as_is

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
RLO = "\u202e"
HOSTILE = f"{SCRIPT}{BREAKOUT} {RLO}gnp.exe"
# No spaces, so it is a valid http address, to be linked with its quotes escaped in the attribute.
HOSTILE_URL = 'https://evil.example/"><svg/onload=alert(1)><script>alert(1)</script>'
ARTICLE = f"Before the quote. {HOSTILE} After the quote, still the article's own words."
VENDORED_SCRIPTS = {"/static/js/vendor/htmx-2.0.11.min.js", "/static/js/site.js"}
# Elements that end a run of text: an override inside one cannot reach text outside it.
BLOCKS = {
    "html", "head", "title", "body", "main", "header", "footer", "nav", "section", "article", "aside", "div", "p",
    "h1", "h2", "h3", "h4", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td",
    "blockquote", "figure", "figcaption", "form", "label", "select", "option", "meta", "link", "script",
}  # fmt: skip


@pytest.fixture
def hostile() -> tuple[Dispute, Source]:
    outlet = OutletFactory(name=HOSTILE, homepage="javascript:alert(1)")
    dispute = DisputeFactory(claim_text=f"{SCRIPT}{RLO}x", summary=HOSTILE, context=HOSTILE)
    link = add_link(
        dispute, DisputeLink.Role.APPEARANCE, speaker=ActorFactory(name=HOSTILE, role=HOSTILE), quote__exact=HOSTILE,
        quote__source__title=HOSTILE, quote__source__outlet=outlet,
        quote__source__url=HOSTILE_URL,
    )  # fmt: skip
    DisputeLink.objects.filter(pk=link.pk).update(note=HOSTILE)
    source = link.statement.quote.source
    Snapshot.objects.filter(source=source).update(main_text=ARTICLE, raw_html=SCRIPT.encode())
    Source.objects.filter(pk=source.pk).update(
        liveness=Source.Liveness.MOVED, final_url=f"javascript:alert(1)//{RLO}", title=HOSTILE
    )
    # A second dispute quoting the same speaker, so the related list names them beside our words.
    other = DisputeFactory(claim_text=HOSTILE[:75])
    add_link(other, DisputeLink.Role.REBUTTAL, speaker=link.statement.speaker, quote__exact=HOSTILE + " again")
    publish_as_is(other)
    dispute = publish_as_is(dispute)
    dispute.flag_for_recheck(reason=HOSTILE)
    return dispute, source


def parse(response) -> Element:  # type: ignore[no-untyped-def]
    return html5lib.parse(response.content.decode(), namespaceHTMLElements=False)


def assert_inert(response) -> None:  # type: ignore[no-untyped-def]
    """Check the page shows the hostile text escaped and could run nothing but our own scripts."""
    body = response.content.decode()
    assert "<script>alert" not in body and "<img" not in body and "<svg" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in body
    for element in parse(response).iter():
        if element.tag == "script":
            assert element.get("src") in VENDORED_SCRIPTS or element.get("type") == "application/ld+json"
        assert element.tag not in {"img", "iframe", "object", "embed", "style"}
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            if name in {"href", "src", "action", "cite"}:
                assert safe_address(value), (element.tag, name, value)


def safe_address(value: str) -> bool:
    """Tell whether an address is http(s), a path on this site (not "//host"), a fragment, or the empty icon."""
    return (
        value.startswith(("http://", "https://", "#")) or (value[:1] == "/" and value[:2] != "//") or value == "data:,"
    )


def assert_overrides_contained(response, own_texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Check that every right-to-left override reaches, before its run of text ends, only text it came with.

    A run ends at an isolating element (<bdi>, or any element with `dir`), at a block, or at a Unicode
    isolate's end (U+2069). Inside, the rest of the text after the override must be part of one of the
    hostile texts: if our own words followed it, the override would turn them around.
    """
    root = parse(response)
    parents = {child: parent for parent in root.iter() for child in parent}
    for element in root.iter():
        for text, holder in ((element.text, element), (element.tail, parents.get(element))):
            if not text or RLO not in text or holder is None:
                continue
            run = holder
            while run.tag not in BLOCKS and run.tag != "bdi" and run.get("dir") is None:
                run = parents[run]
            whole = "".join(run.itertext())
            rest = whole[whole.index(RLO) :].split("\u2069")[0].rstrip()
            assert any(rest in own for own in own_texts), (run.tag, run.attrib, rest)


def test_the_dispute_page_shows_hostile_text_as_text(client: Client, hostile: tuple[Dispute, Source]) -> None:
    dispute, _ = hostile

    response = client.get(dispute.get_absolute_url())

    assert response.status_code == 200
    assert_inert(response)
    assert_overrides_contained(response, [HOSTILE, HOSTILE + " again", f"{SCRIPT}{RLO}x"])


def test_the_source_page_shows_hostile_text_as_text(client: Client, hostile: tuple[Dispute, Source]) -> None:
    _, source = hostile

    response = client.get(f"/sources/{source.pk}/")

    assert response.status_code == 200
    assert_inert(response)
    assert_overrides_contained(response, [HOSTILE, ARTICLE, f"{SCRIPT}{RLO}x"])
    hrefs = [a.get("href") for a in parse(response).iter("a")]
    assert HOSTILE_URL in hrefs  # an http address, escaped in the attribute
    assert not [href for href in hrefs if "javascript" in href]


def test_an_override_outside_an_isolate_is_caught(client: Client, hostile: tuple[Dispute, Source]) -> None:
    """The containment check itself: our own words after an override fail it."""
    response = client.get(hostile[0].get_absolute_url())
    response.content = response.content.replace(b"<bdi>", b"<span>").replace(b"</bdi>", b"</span>")

    with pytest.raises(AssertionError):
        assert_overrides_contained(response, [HOSTILE, HOSTILE + " again", f"{SCRIPT}{RLO}x"])
