"""Fixtures for the browser tests: a fresh context per page (the session's one Chromium is in conftest.py)."""

from collections.abc import Iterator

import pytest
from playwright import sync_api

from tests.browser.helpers import OpenPage


@pytest.fixture
def open_page(browser: "sync_api.Browser", live_server) -> Iterator[OpenPage]:  # type: ignore[no-untyped-def]
    """Open a path in a fresh context; return the page and every console error or page error it logs."""
    contexts = []

    def open_(path: str, device: dict) -> tuple["sync_api.Page", list[str]]:
        context = browser.new_context(**device)
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []
        # A CSP violation (inline script or style, a foreign host) shows up as a console error.
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(live_server.url + path)
        return page, problems

    yield open_
    for context in contexts:
        context.close()
