"""Adding a source by its address, and filling in its details by hand."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from articles import tasks
from articles.forms import refused_address
from articles.models import Outlet, Source
from articles.tests.factories import OutletFactory, SourceFactory

pytestmark = pytest.mark.django_db

ADD = "/desk/sources/add/"
ARTICLE = "https://www.theguardian.com/us-news/2024/nov/11/trump-putin-call"


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the checks queued, instead of sending them to a broker."""
    ids: list[int] = []
    real = tasks.queue_check_now

    def record(source_id: int) -> None:
        ids.append(source_id)
        real(source_id)

    monkeypatch.setattr(tasks, "queue_check_now", record)
    monkeypatch.setattr(tasks.check_source, "delay_on_commit", lambda *args, **kwargs: None)
    return ids


@pytest.fixture
def editor_client(client: Client, editor: User) -> Client:
    client.force_login(editor)
    return client


def test_the_routes() -> None:
    assert reverse("articles:source-add") == ADD
    assert reverse("articles:source-edit", args=[7]) == "/desk/sources/7/edit/"


def test_the_form_shows_for_editors(editor_client: Client) -> None:
    response = editor_client.get(ADD)
    assertContains(response, 'hx-post="/desk/sources/add/"')
    assertContains(response, 'action="/desk/sources/add/"')


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(document.cookie)", "Only http:// and https:// addresses can be tracked."),
        ("ftp://files.example.org/report.pdf", "Only http:// and https:// addresses can be tracked."),
        ("http://10.0.0.1/admin", "That address is a private network address (10.0.0.1): we never fetch from it."),
        ("http://127.0.0.1:6379/", "That address is a loopback address (this server itself) (127.0.0.1)"),
        ("http://2130706433/", "(127.0.0.1): we never fetch from it."),
        ("http://0x7f.1/", "(127.0.0.1): we never fetch from it."),
        ("http://0177.0.0.1/", "(127.0.0.1): we never fetch from it."),
        ("http://localhost/", "a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
        ("http://[::ffff:10.0.0.1]/", "a private network address, wrapped in an IPv6 address"),
        ("https://news.example.org:8443/story", "uses port 8443; we only fetch web pages from the standard ports"),
        ("https://editor:secret@news.example.org/", "The address must not contain a user name or password."),
        ("https://news.example.org/" + "a" * 2000, "That address is longer than 2000 characters."),
        ("", "Enter the address of a web page."),
        ("not a web address", "The address contains spaces or control characters."),
    ],
)
def test_bad_addresses_get_a_clear_message_and_nothing_is_written(
    editor_client: Client, queued: list[int], url: str, message: str
) -> None:
    response = editor_client.post(ADD, {"url": url})
    assert response.status_code == 200
    assertContains(response, message)
    assertContains(response, 'aria-invalid="true"')
    assert not Source.objects.exists()
    assert not Outlet.objects.exists()
    assert queued == []


def test_htmx_errors_come_back_as_the_form_fragment(editor_client: Client) -> None:
    response = editor_client.post(ADD, {"url": "ftp://files.example.org/"}, headers={"HX-Request": "true"})
    assertContains(response, 'id="source-add-form"')
    assertContains(response, "Only http:// and https:// addresses can be tracked.")
    assertNotContains(response, "<html")


def test_a_valid_address_is_normalised_saved_once_and_checked_at_once(
    editor_client: Client, editor: User, queued: list[int]
) -> None:
    response = editor_client.post(ADD, {"url": "  HTTPS://WWW.TheGuardian.com:443" + ARTICLE[27:] + "#comments "})
    source = Source.objects.get()
    assertRedirects(response, reverse("articles:source-detail", args=[source.pk]), fetch_redirect_response=False)
    assert source.url == ARTICLE
    assert source.added_by == editor
    assert source.outlet.domain == "theguardian.com"
    assert queued == [source.pk]
    assert source.next_check_at is not None and source.next_check_at <= timezone.now()
    # The source page polls while the check is pending.
    page = editor_client.get(response["Location"])
    assertContains(page, "Checking this page")
    assertContains(page, 'hx-trigger="every 2s"')
    assertContains(page, "Its first check is queued")


def test_the_same_page_with_tracking_junk_is_reused(editor_client: Client, queued: list[int]) -> None:
    first = editor_client.post(ADD, {"url": ARTICLE})
    again = editor_client.post(ADD, {"url": ARTICLE + "?utm_source=twitter&utm_medium=social&fbclid=abc"})
    source = Source.objects.get()
    assert first["Location"] == again["Location"] == reverse("articles:source-detail", args=[source.pk])
    assert queued == [source.pk]
    assertContains(editor_client.get(again["Location"]), "You already track this page")


def test_a_double_submit_makes_one_source(editor_client: Client, queued: list[int]) -> None:
    for _ in range(2):
        response = editor_client.post(ADD, {"url": ARTICLE}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert response["HX-Redirect"] == reverse("articles:source-detail", args=[Source.objects.get().pk])
    assert Source.objects.count() == 1
    assert len(queued) == 1


def test_a_post_without_the_csrf_token_is_refused(editor: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(ADD, {"url": ARTICLE}).status_code == 403
    assert not Source.objects.exists()


def test_signing_in_and_permissions_are_required(client: Client, reviewer: User) -> None:
    assert client.get(ADD).status_code == 302
    client.force_login(reviewer)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {"url": ARTICLE}).status_code == 403
    assert not Source.objects.exists()


def test_an_allowed_network_is_let_through(settings) -> None:  # type: ignore[no-untyped-def]
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert refused_address("http://127.0.0.1:8123/story") == ""
    assert refused_address("http://10.0.0.1/") != ""


# --- filling in by hand -----------------------------------------------------------------------


@pytest.fixture
def placeholder_source() -> Source:
    """A page as adding it leaves it: its outlet named after the domain, nothing else known."""
    outlet = OutletFactory(name="kyivindependent.example", domain="kyivindependent.example")
    return SourceFactory(outlet=outlet, title="", published_at=None, language="")


def edit_url(source: Source) -> str:
    return reverse("articles:source-edit", args=[source.pk])


def test_the_edit_form_saves_the_details(editor_client: Client, placeholder_source: Source) -> None:
    form = editor_client.get(edit_url(placeholder_source))
    assertContains(form, 'hx-post="' + edit_url(placeholder_source))
    response = editor_client.post(
        edit_url(placeholder_source),
        {"title": "Ukraine denies Trump–Putin call", "outlet_name": "The Kyiv Independent", "byline": "Martin Fornusek",
         "published_on": "2024-11-11", "language": "en"},
    )  # fmt: skip
    assertRedirects(response, reverse("articles:source-detail", args=[placeholder_source.pk]),
                    fetch_redirect_response=False)  # fmt: skip
    source = Source.objects.select_related("outlet").get(pk=placeholder_source.pk)
    assert source.title == "Ukraine denies Trump–Putin call"
    assert source.byline == "Martin Fornusek"
    assert source.language == "en"
    assert timezone.localdate(source.published_at) == dt.date(2024, 11, 11)
    # The placeholder outlet made when the page was added gets its real name.
    assert source.outlet.name == "The Kyiv Independent"
    assert Outlet.objects.count() == 1
    assertContains(editor_client.get(response["Location"]), "Details saved.")


def test_an_existing_outlet_is_picked_by_name(editor_client: Client, placeholder_source: Source) -> None:
    reuters = OutletFactory(name="Reuters", domain="reuters.example")
    editor_client.post(edit_url(placeholder_source), {"title": "Syndicated", "outlet_name": "reuters", "language": ""})
    placeholder_source.refresh_from_db()
    assert placeholder_source.outlet == reuters


def test_an_unchanged_date_keeps_the_time_of_publication(editor_client: Client) -> None:
    published = dt.datetime(2024, 11, 11, 9, 41, tzinfo=dt.UTC)
    source = SourceFactory(published_at=published)
    editor_client.post(edit_url(source), {"title": "T", "outlet_name": source.outlet.name,
                                          "published_on": timezone.localdate(published).isoformat()})  # fmt: skip
    source.refresh_from_db()
    assert source.published_at == published


def test_bad_details_are_refused_inline(editor_client: Client) -> None:
    source = SourceFactory(title="Kept", outlet=OutletFactory(name="The Guardian", domain="theguardian.example"))
    response = editor_client.post(
        edit_url(source),
        {"title": "Changed", "outlet_name": "A New Name", "published_on": "11/31/2024", "language": "english please"},
        headers={"HX-Request": "true"},
    )
    assertContains(response, 'id="source-edit-form"')
    assertNotContains(response, "<html")
    assertContains(response, "“english please” is not a language tag: write one such as en, uk or pt-BR.")
    assertContains(response, "Enter a valid date.")
    assertContains(response, "theguardian.example already belongs to The Guardian")
    source.refresh_from_db()
    assert source.title == "Kept"


def test_only_editors_may_edit(client: Client, reviewer: User) -> None:
    source = SourceFactory()
    client.force_login(reviewer)
    assert client.post(edit_url(source), {"title": "Nope"}).status_code == 403


def test_the_source_page_tells_queued_from_fetching(editor_client: Client) -> None:
    now = timezone.now()
    source = SourceFactory(next_check_at=now)
    url = reverse("articles:source-detail", args=[source.pk])
    queued_page = editor_client.get(url)
    assert queued_page.context["pending"] and not queued_page.context["fetching"]
    assert editor_client.get(url, headers={"HX-Request": "true"}).status_code == 200  # still polling
    Source.objects.filter(pk=source.pk).update(lease_until=now + dt.timedelta(minutes=5), lease_owner="task-1")
    assert editor_client.get(url).context["fetching"]
    Source.objects.filter(pk=source.pk).update(lease_until=None, next_check_at=now + dt.timedelta(hours=1))
    assert editor_client.get(url, headers={"HX-Request": "true"}).status_code == 286  # done: polling stops
