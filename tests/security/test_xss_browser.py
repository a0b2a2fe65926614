"""Hostile text in a real browser, where the dispute and source pages' own test does not reach (B-T11).

The hostile world of tests/security/conftest.py (a `<script>`, a broken-out `<img onerror>`, `javascript:`
and `data:` addresses and a right-to-left override in every claim, summary, speaker, outlet, quote and
source) is opened in Chromium: the index, with a hostile search typed in (htmx swaps the results) and
in the address; the desk home and the builder for an editor; the review queue and review page for a
reviewer. Any alert, confirm or prompt, any console error (a CSP violation is one) or page error fails
the test, as does an event-handler attribute anywhere in the DOM or a link that is not http(s) or ours.
(tests/browser/test_public_sources.py covers the public dispute and source pages the same way.)
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from playwright import sync_api

from tests.browser.helpers import DESKTOP, settle
from tests.security.conftest import HOSTILE, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SEARCH_LABEL = "Search claims, quotes, speakers and outlets"


class Watched:
    """A page with every dialog, console error and page error it produces recorded from the start."""

    def __init__(self, page: sync_api.Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog: sync_api.Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def assert_nothing_ran(self) -> None:
        page = self.page
        page.wait_for_timeout(150)  # a handler fired by a late-loading image or a swap would show by now
        handlers = page.evaluate(
            "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
            ".filter(a => a.name.startsWith('on') || a.name.startsWith('hx-on'))"
            ".map(a => e.tagName + ' ' + a.name))"
        )
        hrefs = page.evaluate(
            "[...document.querySelectorAll('[href],[src],[action],[formaction]')]"
            ".flatMap(e => ['href', 'src', 'action', 'formaction'].filter(n => e.hasAttribute(n))"
            ".map(n => e.getAttribute(n)))"
        )
        inline = page.evaluate(
            "[...document.querySelectorAll('script:not([src]):not([type=\"application/ld+json\"]), style')].length"
        )
        assert self.dialogs == []
        assert self.errors == []
        assert handlers == []
        assert inline == 0
        assert [href for href in hrefs if not safe_address(href)] == []


def safe_address(value: str) -> bool:
    """Tell whether an address is http(s), a path or query on this site, a fragment, or base.html's empty icon."""
    value = value.strip()
    relative = (value[:1] in {"/", "?", "#"} and value[:2] != "//") or value == ""
    return value.startswith(("http://", "https://")) or relative or value == "data:,"


@pytest.fixture
def watch(browser: sync_api.Browser, live_server) -> Iterator:  # type: ignore[no-untyped-def]
    """Open a path, signed in as the user given (or not), with the listeners in place before it loads."""
    contexts = []

    def open_(path: str, user: User | None = None) -> Watched:
        context = browser.new_context(**DESKTOP)
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        watched = Watched(context.new_page())
        watched.page.goto(live_server.url + path)
        return watched

    yield open_
    for context in contexts:
        context.close()


def test_the_index_with_hostile_disputes_and_a_hostile_search(world: World, watch) -> None:  # type: ignore[no-untyped-def]
    index = watch("/")
    sync_api.expect(index.page.locator("#results")).to_contain_text("<script>alert(1)</script>")
    index.assert_nothing_ran()

    # Typed in: htmx fetches the results and swaps them in.
    index.page.get_by_label(SEARCH_LABEL).fill(HOSTILE[:60])
    sync_api.expect(index.page.locator("#results-heading")).to_contain_text("<script>alert(1)</script>")
    settle(index.page)
    index.assert_nothing_ran()

    # In the address, as a link someone was sent.
    search = watch("/?q=" + quote(HOSTILE))
    sync_api.expect(search.page.get_by_label(SEARCH_LABEL)).to_have_value(HOSTILE)
    search.assert_nothing_ran()


def test_the_desk_home_and_the_builder_for_an_editor(world: World, watch) -> None:  # type: ignore[no-untyped-def]
    editor = world.users["editor"]
    for path in [reverse("disputes:desk-home"), reverse("disputes:dispute-edit", args=[world.draft.pk])]:
        page = watch(path, editor)
        sync_api.expect(page.page.locator("main")).to_contain_text("<script>alert(1)</script>")
        page.assert_nothing_ran()


def test_the_review_queue_and_page_for_a_reviewer(world: World, watch) -> None:  # type: ignore[no-untyped-def]
    reviewer = world.users["reviewer"]
    for path in [reverse("review:queue"), reverse("review:dispute", args=[world.in_review.pk])]:
        page = watch(path, reviewer)
        sync_api.expect(page.page.locator("main")).to_contain_text("<script>alert(1)</script>")
        page.assert_nothing_ran()


def test_the_watch_sees_a_script_that_runs(world: World, watch) -> None:  # type: ignore[no-untyped-def]
    """The listeners themselves: a script that does run (ours, via evaluate) is caught."""
    page = watch("/")
    page.page.evaluate("setTimeout(() => alert(1), 0); document.body.setAttribute('onclick', 'x()')")
    with pytest.raises(AssertionError):
        page.assert_nothing_ran()
    assert page.dialogs == ["alert: 1"]
