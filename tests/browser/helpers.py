"""What the browser tests share: Chromium, devices, and screenshots a person can look at."""

from collections.abc import Callable
from pathlib import Path

from playwright import sync_api

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
