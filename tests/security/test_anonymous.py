"""Readers' pages set no cookie and are the same for every reader (reference B-T12).

Every address an anonymous reader can GET (the index and its search, a dispute, a source, the feeds, the
API, the bulk files, the sitemap, robots.txt and the 404 page) must answer without `Set-Cookie`, without
`Vary: Cookie`, and with `Cache-Control: public`, so no session or CSRF cookie is ever handed to a
reader, and a shared cache can keep one copy for all of them. The list is checked against the resolver:
any route an anonymous GET gets a 200 from is either here or in NOT_CACHEABLE, with its reason.
"""

from __future__ import annotations

from django.test import Client
from django.utils.cache import cc_delim_re

from disputes.exports import write_exports
from tests.security.conftest import World
from tests.security.test_pages import NOT_FOUND, body, pages

PUBLIC = {
    "disputes:index", "disputes:dispute-detail", "disputes:source-detail",
    "open-data:disputes-feed", "open-data:dispute-updates-feed", "open-data:export-jsonl", "open-data:export-csv",
    "api:dispute-list", "api:dispute-detail", "api:source-detail", "api:claim-review-feed", "api:schema",
    "sitemap", "sitemap-section", "robots-txt",
}  # fmt: skip
NOT_CACHEABLE = {
    "healthz": "for load balancers and operators: never cached, and it sets no cookie either (tests/test_healthz.py)",
    "login": "the sign-in form needs a CSRF cookie; it is never cached",
}


def cookie_problems(response) -> list[str]:  # type: ignore[no-untyped-def]
    """Say what would make this answer per-visitor: a cookie, Vary: Cookie, or no Cache-Control: public."""
    problems = []
    if "Set-Cookie" in response.headers or response.cookies:
        problems.append(f"sets a cookie: {', '.join(response.cookies) or response.headers.get('Set-Cookie')}")
    if "cookie" in {field.strip().lower() for field in cc_delim_re.split(response.get("Vary", ""))}:
        problems.append(f"Vary: {response['Vary']}")
    if "public" not in {part.strip().lower() for part in cc_delim_re.split(response.get("Cache-Control", ""))}:
        problems.append(f"Cache-Control: {response.get('Cache-Control')!r}")
    return problems


def test_every_public_address_is_cookie_free_and_cacheable(world: World, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.EXPORT_DIR = tmp_path
    write_exports()
    table = pages(world)
    client = Client()
    problems = []
    for name in sorted(PUBLIC):
        for url in table[name]:
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(url, headers=headers)
                assert response.status_code == 200, (url, response.status_code)
                problems += [f"{url} {headers}: {problem}" for problem in cookie_problems(response)]
                if response["Content-Type"].startswith("text/html"):
                    text = body(response).decode()
                    assert "csrfmiddlewaretoken" not in text and "hx-headers" not in text, url
    for url in NOT_FOUND:
        response = client.get(url)
        if response.status_code == 404:
            problems += [f"{url}: {problem}" for problem in cookie_problems(response)]
    assert client.cookies == {} or not list(client.cookies.values())
    assert problems == []


def test_every_page_a_reader_can_open_is_in_the_list(world: World, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.EXPORT_DIR = tmp_path
    write_exports()
    client = Client()
    open_to_readers = {
        name for name, urls in pages(world).items() if any(client.get(url).status_code == 200 for url in urls)
    }
    assert sorted(open_to_readers - PUBLIC - set(NOT_CACHEABLE)) == []
    assert sorted(PUBLIC - open_to_readers) == []


def test_a_reader_with_an_old_session_cookie_is_not_cached_with_it(world: World) -> None:
    """A reader who still sends a stale session cookie gets it deleted, on an answer no shared cache keeps."""
    client = Client()
    client.cookies["sessionid"] = "expired-session-key"
    response = client.get(world.published.get_absolute_url())
    assert response.status_code == 200
    assert "public" not in response["Cache-Control"]


def test_the_checker_finds_what_it_should() -> None:
    from django.http import HttpResponse

    response = HttpResponse()
    response["Cache-Control"] = "public, max-age=60"
    assert cookie_problems(response) == []
    response["Vary"] = "HX-Request, Cookie"
    assert cookie_problems(response) == ["Vary: HX-Request, Cookie"]
    del response["Vary"]
    response.set_cookie("csrftoken", "x")
    assert cookie_problems(response) != []
    assert cookie_problems(HttpResponse()) == ["Cache-Control: None"]


def test_a_signed_in_persons_404_is_private(world: World) -> None:
    client = Client()
    client.force_login(world.users["editor"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
