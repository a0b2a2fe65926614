"""What the browser tests share: Chromium, devices, and screenshots a person can look at."""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from playwright import sync_api

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

OpenPage = Callable[..., tuple["sync_api.Page", list[str]]]


def save_screenshots(page: "sync_api.Page", name: str) -> None:
    """Save the whole page, and on a phone also screen-sized slices a person can read."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    if width >= 1000:
        return
    total = page.evaluate("document.documentElement.scrollHeight")
    for n, top in enumerate(range(0, total, height), start=1):
        clip = {"x": 0, "y": top, "width": width, "height": min(height, total - top)}
        page.screenshot(path=ARTIFACTS / f"{name}-{n}.png", clip=clip, full_page=True)


def sign_in(page: "sync_api.Page", user: "User") -> None:
    """Sign in through the form, as a person would (the fixtures give every user this password)."""
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()


def settle(page: sync_api.Page) -> None:
    """Wait until htmx has settled the new step (and so listens to what is typed into it)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def tab_to(page: sync_api.Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching the selector has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def tab_to_text(page: sync_api.Page, text: str, limit: int = 120) -> None:
    """Press Tab until the focused link or button reads `text`."""
    for _ in range(limit):
        if page.evaluate("(t) => (document.activeElement?.textContent || '').trim() === t", text):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {text!r}")
