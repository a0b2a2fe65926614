"""Every endpoint that accepts a POST refuses one without the page's CSRF token (reference B-T2).

For each, signed in as someone allowed to use it, with `Client(enforce_csrf_checks=True)`: no token, and
another session's token, as a plain form post and as htmx would send it, are refused with 403 and change
nothing; htmx gets a short fragment, not a whole page. The token of a page the person has open is
accepted. Which routes accept a POST is not taken on trust: every other route must answer one with 405,
so a view that starts accepting POSTs fails here until it is added to POSTS.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import html5lib
from django.apps import apps
from django.test import Client
from django.urls import resolve, reverse

from disputes.models import Dispute, Notification
from tests.security.conftest import PASSWORD, World
from tests.security.routes import routes, unknown
from tests.security.test_pages import audit, pages

REFUSED = 'id="csrf-refused"'  # the CSRF failure view's message (config/errors.py), not a permission 403


@dataclass(frozen=True)
class Post:
    role: str  # who may post here
    url: Callable[[World], str]
    data: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    htmx: bool = True  # the page posts with htmx (the token in a header), else as a plain form


def _version(dispute: Callable[[World], Dispute]) -> Callable[[World], dict[str, Any]]:
    """Send the version the page would show now (an earlier post in the table may have moved it on)."""
    return lambda w: {"version": Dispute.objects.get(pk=dispute(w).pk).version}


POSTS: dict[str, Post] = {
    "login": Post("anonymous", lambda w: reverse("login"), lambda w: {"username": "editor", "password": PASSWORD}, htmx=False),
    "logout": Post("editor", lambda w: reverse("logout"), htmx=False),
    "articles:source-check-now": Post("editor", lambda w: reverse("articles:source-check-now", args=[w.source.pk])),
    # Invalid forms: the answer must still get past the CSRF check, without fetching anything.
    "articles:source-add": Post("editor", lambda w: reverse("articles:source-add"), lambda w: {"url": ""}),
    "articles:source-edit": Post("editor", lambda w: reverse("articles:source-edit", args=[w.source.pk]), lambda w: {"language": "?" * 50}),
    "articles:outlet-edit": Post("editor", lambda w: reverse("articles:outlet-edit", args=[w.source.outlet_id]), lambda w: {"name": ""}),
    "review:decide": Post("reviewer", lambda w: reverse("review:decide", args=[w.in_review.pk]), _version(lambda w: w.in_review), htmx=False),
    "review:withdraw": Post("reviewer", lambda w: reverse("review:withdraw", args=[w.published.pk]), _version(lambda w: w.published), htmx=False),
    "review:reconfirm": Post("reviewer", lambda w: reverse("review:reconfirm", args=[w.published.pk]), _version(lambda w: w.published), htmx=False),
    "review:send-back": Post("reviewer", lambda w: reverse("review:send-back", args=[w.published.pk]), _version(lambda w: w.published), htmx=False),
    "disputes:quote-capture": Post("editor", lambda w: reverse("disputes:quote-capture", args=[w.source.pk])),
    "disputes:quote-find": Post("editor", lambda w: reverse("disputes:quote-find", args=[w.source.pk])),
    "disputes:statement-create": Post("editor", lambda w: reverse("disputes:statement-create", args=[w.quote.pk])),
    "disputes:actor-create": Post("editor", lambda w: reverse("disputes:actor-create")),
    "disputes:actor-edit": Post("editor", lambda w: reverse("disputes:actor-edit", args=[w.actor.pk]), lambda w: {"name": ""}),
    "disputes:dispute-new": Post("editor", lambda w: reverse("disputes:dispute-new")),
    "disputes:dispute-edit": Post("editor", lambda w: reverse("disputes:dispute-edit", args=[w.draft.pk]), _version(lambda w: w.draft)),
    "disputes:dispute-link-add": Post("editor", lambda w: reverse("disputes:dispute-link-add", args=[w.draft.pk]), lambda w: {**_version(lambda w: w.draft)(w), "statement": w.statement.pk, "role": "appearance"}),
    "disputes:dispute-link-update": Post("editor", lambda w: reverse("disputes:dispute-link-update", args=[w.draft.pk, w.link.pk]), lambda w: {**_version(lambda w: w.draft)(w), "role": w.link.role, "note": "Checked."}),
    "disputes:dispute-link-move": Post("editor", lambda w: reverse("disputes:dispute-link-move", args=[w.draft.pk, w.link.pk]), lambda w: {**_version(lambda w: w.draft)(w), "direction": "down"}),
    "disputes:dispute-link-remove": Post("editor", lambda w: reverse("disputes:dispute-link-remove", args=[w.draft.pk, w.link.pk]), _version(lambda w: w.draft)),
    # Last: they move the draft and the published dispute on.
    "disputes:dispute-submit": Post("editor", lambda w: reverse("disputes:dispute-submit", args=[w.draft.pk]), _version(lambda w: w.draft)),
    "disputes:dispute-revise": Post("editor", lambda w: reverse("disputes:dispute-revise", args=[w.published.pk]), _version(lambda w: w.published)),
    "disputes:notifications-read": Post("editor", lambda w: reverse("disputes:notifications-read")),
}  # fmt: skip

# Routes that answer a POST without being in POSTS, each with the reason. Keep it empty if you can.
ACCEPT_POST_UNAUDITED: dict[str, str] = {}
# Routes that take PUT, PATCH or DELETE, each with the reason; CSRF applies to them as to a POST.
OTHER_METHODS = {
    ("login", "put"): "Django's FormView handles PUT as POST; refused without a token below",
}


def open_page(role: str, w: World) -> tuple[Client, str]:
    """Sign in as the role with CSRF checks on, open a page of theirs and return the token it carries."""
    client = Client(enforce_csrf_checks=True)
    user = w.users[role]
    if user is None:
        page = client.get(reverse("login")).content.decode()
    else:
        client.force_login(user)
        page = client.get(reverse("disputes:desk-home")).content.decode()
    return client, page_token(page)


def page_token(page: str) -> str:
    """Return the token a page sends: base.html's hx-headers for signed-in people, else the form's field."""
    body = html5lib.parse(page, namespaceHTMLElements=False).find("body")
    headers = re.search(r'"x-csrftoken": "([^"]+)"', body.get("hx-headers") or "")
    if headers:
        return headers.group(1)
    field = html5lib.parse(page, namespaceHTMLElements=False).find(".//input[@name='csrfmiddlewaretoken']")
    return field.get("value")


def state() -> dict[str, Any]:
    """Everything a refused post must leave as it was: the rows of every model, versions, unread notices."""
    return {
        "rows": {model._meta.label: model._default_manager.count() for model in apps.get_models()},
        "disputes": list(Dispute.objects.order_by("pk").values_list("pk", "version", "state")),
        "unread": Notification.objects.filter(read_at__isnull=True).count(),
    }


def test_every_route_that_accepts_a_post_is_in_the_table(world: World) -> None:
    assert unknown(POSTS, ACCEPT_POST_UNAUDITED) == []
    client = Client()  # no CSRF check: this only asks which views take a POST at all
    client.force_login(world.users["staff"])
    urls = pages(world)
    accepting = []
    for name in sorted(set(routes()) - set(POSTS) - set(ACCEPT_POST_UNAUDITED)):
        assert name in urls, f"{name}: add it to test_pages.pages() to give it an address"
        for url in urls[name]:
            if client.post(url).status_code != 405:
                accepting.append(f"{name} ({url})")
    assert accepting == [], "these accept a POST: add them to POSTS"


def test_no_route_accepts_put_patch_or_delete(world: World) -> None:
    """CSRF covers these methods as it covers POST; none is used, so any route that takes one is a surprise."""
    clients: dict[str, Client] = {}
    for role, user in world.users.items():
        clients[role] = Client()
        if user is not None:
            clients[role].force_login(user)
    urls = {**pages(world), **{name: [post.url(world)] for name, post in POSTS.items()}}
    accepting = []
    for name in sorted(routes()):
        client = clients[POSTS[name].role if name in POSTS else "staff"]  # as someone who may use it
        for url in urls[name]:
            for method in ("put", "patch", "delete"):
                if (name, method) not in OTHER_METHODS and getattr(client, method)(url).status_code != 405:
                    accepting.append(f"{method.upper()} {url}")
    assert accepting == []


def test_the_other_methods_that_are_taken_need_the_token_too(world: World) -> None:
    for name, method in OTHER_METHODS:
        post = POSTS[name]
        client, _ = open_page(post.role, world)
        response = getattr(client, method)(post.url(world), post.data(world))
        assert response.status_code == 403 and REFUSED in response.content.decode(), (name, method)


def test_every_post_needs_the_pages_token(world: World) -> None:
    _, stranger = open_page("anonymous", world)  # a well-formed token, from someone else's session
    for name, post in POSTS.items():
        client, token = open_page(post.role, world)
        url, data = post.url(world), post.data(world)
        assert resolve(url).view_name == name, url
        before = state()

        refusals = {
            "no token": client.post(url, data),
            "no token (htmx)": client.post(url, data, headers={"HX-Request": "true"}),
            "another session's token": client.post(url, {**data, "csrfmiddlewaretoken": stranger}),
            "another session's token (htmx)": client.post(
                url, data, headers={"HX-Request": "true", "X-CSRFToken": stranger}
            ),
        }
        for why, response in refusals.items():
            assert response.status_code == 403, (name, why)
            assert REFUSED in response.content.decode(), (name, why)
            htmx = "htmx" in why
            assert ("<html" in response.content.decode()) is not htmx, (name, why)
            assert audit(response) == [], (name, why)
        assert state() == before, name

        if post.htmx:
            accepted = client.post(url, data, headers={"HX-Request": "true", "X-CSRFToken": token})
        else:
            accepted = client.post(url, {**data, "csrfmiddlewaretoken": token})
        assert accepted.status_code != 403 and accepted.status_code < 500, (name, accepted.status_code)


def test_the_admin_checks_the_token_too(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["staff"])
    response = client.post("/admin/disputes/actor/add/", {"name": "Planted"})
    assert response.status_code == 403 and REFUSED in response.content.decode()


def test_the_refusal_page_is_in_the_site_look_and_says_what_to_do(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["editor"])

    page = client.post(reverse("disputes:notifications-read"))
    fragment = client.post(reverse("disputes:notifications-read"), headers={"HX-Request": "true"})

    text = page.content.decode()
    assert '<main id="main"' in text and "Signed in as" in text and "Reload the page" in text
    assert fragment.content.decode().strip().startswith('<p class="request-problem" id="csrf-refused"')
    assert "Reload the page" in fragment.content.decode()
