"""Pages an editor may add that we cannot use: each gets a clear message on the source page, and
nothing wrong is written (no snapshot, no quote text, the source kept with an honest state)."""

import gzip

import pytest
from django.test import Client
from django.urls import reverse
from pytest_httpserver import HTTPServer

from articles.models import Snapshot, Source
from articles.tests.test_checking import check, make_source, server, site  # noqa: F401  (the page server)

pytestmark = pytest.mark.django_db
PATH = "/news/story"


def serve_raw(server: HTTPServer, body: bytes, content_type: str, **headers: str) -> None:  # noqa: F811
    server.clear_all_handlers()
    server.expect_request(PATH).respond_with_data(body, content_type=content_type, headers=headers)


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "message"),
    [
        (b"%PDF-1.7 " + b"0" * 5000, "application/pdf", {}, "application/pdf"),
        (b"<html><body>" + b"<p>word </p>" * 1_800_000 + b"</body></html>", "text/html", {}, "5 MB"),
        (gzip.compress(b"<p>a</p>" * 3_000_000), "text/html", {"Content-Encoding": "gzip"}, "5 MB"),
        (b"", "text/html", {}, "could not read the article's text"),
    ],
    ids=["pdf", "20-mb-page", "gzip-bomb", "empty-page"],
)
def test_an_unusable_page_gets_a_clear_message_and_no_copy(
    site: HTTPServer,  # noqa: F811
    client: Client,
    editor,  # type: ignore[no-untyped-def]
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    message: str,
) -> None:
    serve_raw(site, body, content_type, **headers)
    source = make_source(site, path=PATH)
    check(source, scheduled=False)
    source.refresh_from_db()
    assert not Snapshot.objects.filter(source=source).exists()  # nothing kept from an unusable page
    assert source.liveness != Source.Liveness.ALIVE or source.current_snapshot_id is None
    client.force_login(editor)
    page = client.get(reverse("articles:source-detail", args=[source.pk])).content.decode()
    reason = source.fetches.get().error_message
    assert message in reason
    assert "The last check could not use this page" in page
    assert reason.split(".")[0].replace("'", "&#x27;") in page
