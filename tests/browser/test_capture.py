"""Capturing a quote in a real browser: select it with the mouse or paste it, then say who said it."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright import sync_api

from articles import quotes
from articles.models import Quote, Source
from articles.tests.factories import OutletFactory, SourceFactory
from disputes.models import Actor, Statement
from disputes.tests.factories import ActorFactory
from tests.browser.helpers import DESKTOP, PHONE, OpenPage, save_screenshots, settle, sign_in, tab_to
from tests.browser.test_source_pages import QUOTED, snapshot_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

EARLIER = "Donald Trump spoke on the phone with Vladimir Putin on Thursday"

# Select main_text[start:end] in the text block as a person would: a DOM Range over its text nodes
# (the block holds <mark> elements, so the ends may sit in different nodes), then the mouse button goes up.
SELECT = """([start, end]) => {
  const block = document.getElementById("source-text");
  const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
  const points = [];
  let seen = 0, node;
  while ((node = walker.nextNode())) {
    for (const [i, at] of [start, end].entries()) {
      if (points[i] === undefined && at <= seen + node.data.length) points[i] = [node, at - seen];
    }
    seen += node.data.length;
  }
  const range = document.createRange();
  range.setStart(...points[0]);
  range.setEnd(...points[1]);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  block.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
}"""


@pytest.fixture
def source(editor: User) -> Source:
    outlet = OutletFactory(name="The Guardian", domain="theguardian.example")
    source = SourceFactory(
        outlet=outlet, url="https://theguardian.example/us-news/2024/nov/10/trump-putin-call",
        title="Trump speaks with Putin and advises him not to escalate Ukraine war – report",
        published_at=dt.datetime(2024, 11, 10, 9, tzinfo=dt.UTC), liveness=Source.Liveness.ALIVE,
        last_checked_at=timezone.now(), next_check_at=timezone.now() + dt.timedelta(hours=2),
    )  # fmt: skip
    snapshot = snapshot_of(source, "guardian-trump-putin-v1.html", timezone.now())
    Source.objects.filter(pk=source.pk).update(current_snapshot=snapshot)
    # An earlier quote, so that a <mark> stands before the passage the tests select.
    Quote.objects.create(source=source, snapshot=snapshot, exact=EARLIER, start=0, end=len(EARLIER))
    return Source.objects.select_related("current_snapshot").get(pk=source.pk)


def open_source(open_page: OpenPage, source: Source, editor: User, device: dict) -> tuple[sync_api.Page, list[str]]:
    page, problems = open_page(f"/login/?next=/desk/sources/{source.pk}/", device)
    sign_in(page, editor)
    sync_api.expect(page.get_by_role("heading", level=1)).to_contain_text("Trump speaks with Putin")
    page.wait_for_load_state("load")  # capture.js (deferred) listens from here on
    return page, problems


@pytest.mark.parametrize(("name", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_select_a_passage_add_its_speaker_and_save(
    open_page: OpenPage, source: Source, editor: User, name: str, device: dict
) -> None:
    text = source.current_snapshot.main_text
    start = text.index(QUOTED)
    page, problems = open_source(open_page, source, editor, device)
    page.evaluate(SELECT, [start, start + len(QUOTED)])

    form = page.locator("#capture-form")
    sync_api.expect(form).to_be_visible()
    sync_api.expect(form.locator("[data-capture-preview]")).to_have_text(f"“{QUOTED}”")
    assert form.locator("input[name=start]").input_value() == str(start)
    assert form.locator("input[name=end]").input_value() == str(start + len(QUOTED))
    form.scroll_into_view_if_needed()
    save_screenshots(page, f"capture-form-{name}")

    form.get_by_role("button", name="Use this passage").click()
    step = page.locator("#attribute-step")
    sync_api.expect(step.get_by_role("heading", name="Who said it?")).to_be_visible()
    settle(page)
    step.get_by_label("Find the speaker").fill("Official")
    sync_api.expect(step.get_by_text("No speaker matches")).to_be_visible()
    step.get_by_text("Not in the list? Add a new speaker").click()
    step.get_by_label("Name").fill("Former US official")
    step.get_by_label("Organisation").fill("US government")
    step.get_by_role("button", name="Add this speaker").click()
    sync_api.expect(step.get_by_role("radio", name="Former US official")).to_be_checked()
    step.get_by_label("How it is attributed").select_option("paraphrase")
    step.scroll_into_view_if_needed()
    save_screenshots(page, f"capture-attribute-{name}")

    step.get_by_role("button", name="Save the statement").click()
    sync_api.expect(page.get_by_text("Statement saved.")).to_be_visible()
    quote = Quote.objects.exclude(exact=EARLIER).get()
    expected = quotes.build_selector(text, start, start + len(QUOTED))
    assert (quote.exact, quote.prefix, quote.suffix, quote.start, quote.end) == (
        expected.exact, expected.prefix, expected.suffix, expected.start, expected.end,
    )  # fmt: skip
    statement = Statement.objects.get()
    assert (statement.quote, statement.attribution) == (quote, "paraphrase")
    assert statement.speaker.name == "Former US official"
    assert statement.speaker.organisation.name == "US government"
    assert statement.stated_on == dt.date(2024, 11, 10)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshots(page, f"capture-saved-{name}")
    assert problems == []


def test_paste_confirm_and_attribute_by_keyboard_only(open_page: OpenPage, source: Source, editor: User) -> None:
    ActorFactory(name="Dmitry Peskov", role="Kremlin spokesman")
    page, problems = open_source(open_page, source, editor, DESKTOP)
    tab_to(page, "#paste-passage")
    page.keyboard.type(QUOTED.replace("probably", "likely"))  # a copy-edited paste
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    sync_api.expect(page.get_by_text("It differs from what you pasted")).to_be_visible()
    settle(page)
    save_screenshots(page, "capture-found-desktop")
    # The "Use this passage" button has the focus: Enter confirms.
    sync_api.expect(page.get_by_role("button", name="Use this passage").last).to_be_focused()
    page.keyboard.press("Enter")
    sync_api.expect(page.get_by_role("heading", name="Who said it?")).to_be_visible()
    settle(page)
    tab_to(page, "#speaker-query")
    page.keyboard.type("Pesk")
    sync_api.expect(page.get_by_role("radio", name="Dmitry Peskov")).to_be_visible()
    tab_to(page, "input[name=speaker]")
    page.keyboard.press("Space")
    tab_to(page, "#statement-form button[type=submit]")
    page.keyboard.press("Enter")
    sync_api.expect(page.get_by_text("Statement saved.")).to_be_visible()
    statement = Statement.objects.get()
    assert statement.quote.exact == QUOTED  # our copy's words, not the paste's
    assert statement.speaker == Actor.objects.get(name="Dmitry Peskov")
    assert problems == []


def test_a_selection_tampered_with_in_the_page_is_refused(open_page: OpenPage, source: Source, editor: User) -> None:
    text = source.current_snapshot.main_text
    start = text.index(QUOTED)
    page, problems = open_source(open_page, source, editor, DESKTOP)
    page.evaluate(SELECT, [start, start + len(QUOTED)])
    sync_api.expect(page.locator("#capture-form")).to_be_visible()
    page.locator("#capture-form [name=exact]").evaluate("input => { input.value = 'Putin agreed to withdraw' }")
    page.get_by_role("button", name="Use this passage").click()
    sync_api.expect(page.get_by_text("That passage is not in our copy of the page")).to_be_visible()
    assert Quote.objects.count() == 1  # only the earlier one
    assert not Statement.objects.exists()
    assert problems == []
