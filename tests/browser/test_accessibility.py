"""An automated accessibility check (axe-core, from the npm registry, vendored here) on the pages people use.

axe-core 4.10.3 (MPL-2.0, tests/browser/vendor/) is evaluated in Chromium through the DevTools protocol,
which the pages' 'self'-only Content-Security-Policy does not govern, then run against WCAG 2.x A and
AA rules. Serious and critical violations fail the test, each listed with its nodes; lesser ones are
left to a person's judgement. Automated checks find perhaps a third of real problems: the keyboard
flows in the other browser tests cover more.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright import sync_api

from disputes.models import Dispute
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-4.10.3.min.js").read_text()
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
BLOCKING = {"serious", "critical"}


def violations(page: sync_api.Page) -> list[str]:
    """Run axe on the page as it is; return the serious and critical violations in words."""
    page.evaluate(AXE)
    result = page.evaluate("(rules) => axe.run(document, rules)", RULES)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_readers_pages(open_page: OpenPage, published: Dispute, device: dict) -> None:
    source = published.links.first().statement.quote.source
    paths = ["/", "/?q=claim", published.get_absolute_url(), f"/sources/{source.pk}/", "/no-such-page/"]
    for path in paths:
        page, _ = open_page(path, device)
        assert violations(page) == [], path


def test_desk_and_review_pages(open_page: OpenPage, in_review: Dispute, reviewer: User) -> None:
    page, _ = open_page("/login/?next=/desk/", DESKTOP)
    assert violations(page) == [], "/login/"
    sign_in(page, reviewer)
    page.wait_for_url("**/desk/")
    base = page.url.rsplit("/desk/", 1)[0]
    for path in ["/desk/", "/review/", f"/review/{in_review.pk}/", "/review/recheck/", "/desk/notifications/"]:
        page.goto(base + path)
        assert violations(page) == [], path


def test_the_check_finds_what_it_should(browser: sync_api.Browser) -> None:
    """A page with an unlabelled field and an image without text fails: the check is not a no-op."""
    page = browser.new_page()
    page.set_content('<html lang="en"><body><main><img src="data:,"><input type="text"></main></body></html>')
    found = " ".join(violations(page))
    assert "image-alt (critical)" in found and "label (critical)" in found
    page.close()
