"""Every page, for every role, could run nothing but our own scripts (reference B-T3).

Each URL pattern in the resolver is filled with a real object of the hostile world (tests/security/
conftest.py) and fetched by an anonymous reader, an editor, a reviewer, an account in both roles and a
staff superuser, as a full page and as an htmx request. Every HTML answer is parsed with html5lib: no inline `<script>` (JSON-LD
data aside), no `on*=` handler, no `hx-on`, no `style=` attribute or `<style>` element, and no link or
form to anything but http(s) or our own paths. Every answer, HTML or not, carries a
Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval'.

A URL pattern in neither PAGES nor NOT_PAGES fails the suite: a new view cannot escape the scan.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

import html5lib
import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import resolve, reverse

from disputes.exports import write_exports
from tests.security.conftest import ROLES, World
from tests.security.routes import ADMIN_NAMESPACE, routes, uncovered, unknown

# Our own script files; any other <script src> is a finding too.
SCRIPTS = {
    "/static/js/vendor/htmx-2.0.11.min.js",
    "/static/js/site.js",
    "/static/js/capture.js",
    "/static/js/unsaved.js",
}
ESCAPED = b"&lt;script&gt;alert(1)&lt;/script&gt;"  # the hostile text, shown as text
SHOW_HOSTILE_TEXT = {
    "disputes:index", "disputes:dispute-detail", "disputes:source-detail", "disputes:desk-home",
    "disputes:notifications", "disputes:dispute-edit", "disputes:dispute-preview", "disputes:statement-detail",
    "articles:source-list", "articles:source-detail", "review:queue", "review:recheck", "review:dispute",
    "articles:outlet-edit", "disputes:actor-edit",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "cite", "poster", "data", "srcset", "background"}


def pages(w: World) -> dict[str, list[str]]:
    """Return, for each route, the addresses that render it (with the query strings that change it)."""
    draft, published, source = w.draft, w.published, w.source
    return {
        "healthz": [reverse("healthz")],
        "robots-txt": [reverse("robots-txt")],
        "sitemap": [reverse("sitemap")],
        "sitemap-section": [reverse("sitemap-section", args=[name]) for name in ("home", "disputes", "sources")],
        "login": [reverse("login")],
        # Public pages, with a hostile search and a comparison of two versions.
        "disputes:index": ["/", "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E"],
        "disputes:dispute-detail": [published.get_absolute_url()],
        "disputes:source-detail": [
            reverse("disputes:source-detail", args=[source.pk]),
            reverse("disputes:source-detail", args=[source.pk]) + "?from=1&to=2",
        ],
        "open-data:disputes-feed": [reverse("open-data:disputes-feed")],
        "open-data:dispute-updates-feed": [reverse("open-data:dispute-updates-feed", args=[published.slug])],
        "open-data:export-jsonl": [reverse("open-data:export-jsonl")],
        "open-data:export-csv": [reverse("open-data:export-csv")],
        "api:dispute-list": [reverse("api:dispute-list")],
        "api:dispute-detail": [reverse("api:dispute-detail", args=[published.slug])],
        "api:source-detail": [reverse("api:source-detail", args=[source.pk])],
        "api:claim-review-feed": [reverse("api:claim-review-feed")],
        "api:schema": [reverse("api:schema")],
        # The desk.
        "disputes:desk-home": [reverse("disputes:desk-home")],
        "disputes:notifications": [reverse("disputes:notifications")],
        "articles:source-list": [reverse("articles:source-list")],
        "articles:source-detail": [
            reverse("articles:source-detail", args=[source.pk]),
            reverse("articles:source-detail", args=[source.pk]) + f"?dispute={draft.pk}&role=rebuttal",
        ],
        "articles:source-add": [reverse("articles:source-add")],
        "articles:source-edit": [reverse("articles:source-edit", args=[source.pk])],
        "articles:outlet-edit": [reverse("articles:outlet-edit", args=[source.outlet_id])],
        "disputes:statement-create": [
            reverse("disputes:statement-create", args=[w.quote.pk]),
            reverse("disputes:statement-create", args=[w.quote.pk]) + f"?dispute={draft.pk}&role=rebuttal",
        ],
        "disputes:statement-detail": [reverse("disputes:statement-detail", args=[w.statement.pk])],
        "disputes:actor-create": [reverse("disputes:actor-create")],
        "disputes:actor-edit": [reverse("disputes:actor-edit", args=[w.actor.pk])],
        "disputes:actor-search": [reverse("disputes:actor-search") + "?q=script"],
        "disputes:dispute-new": [reverse("disputes:dispute-new")],
        "disputes:claim-counter": [reverse("disputes:claim-counter") + "?claim_text=%3Cscript%3E"],
        "disputes:dispute-edit": [reverse("disputes:dispute-edit", args=[draft.pk])],
        "disputes:dispute-preview": [reverse("disputes:dispute-preview", args=[draft.pk])],
        # The review side.
        "review:queue": [reverse("review:queue"), reverse("review:queue") + "?q=script"],
        "review:recheck": [reverse("review:recheck")],
        "review:dispute": [
            reverse("review:dispute", args=[w.in_review.pk]),
            reverse("review:dispute", args=[published.pk]),
        ],
    }


# Routes that cannot be rendered by a GET, each with the reason. Their answers to a POST are audited in
# test_csrf.py; the templates they alone render are scanned as source in test_template_sources.py.
NOT_PAGES = {
    "logout": "POST only (Django 5 refuses GET)",
    "articles:source-check-now": "POST only",
    "review:decide": "POST only",
    "review:withdraw": "POST only",
    "review:reconfirm": "POST only",
    "review:send-back": "POST only",
    "disputes:quote-capture": "POST only",
    "disputes:quote-find": "POST only",
    "disputes:dispute-submit": "POST only",
    "disputes:dispute-revise": "POST only",
    "disputes:dispute-link-add": "POST only",
    "disputes:dispute-link-update": "POST only",
    "disputes:dispute-link-move": "POST only",
    "disputes:dispute-link-remove": "POST only",
    "disputes:notifications-read": "POST only",
}

# Not routes, but pages all the same: a 404 from the resolver, and one from a view.
NOT_FOUND = ["/no-such-page/", "/d/no-such-dispute/", "/desk/disputes/999999/"]

# Templates no GET renders: they answer POSTs (or are mail), and test_template_sources.py scans their source.
NOT_RENDERED_BY_GET = {
    "403_csrf.html": "answers a POST without the page's CSRF token; test_csrf.py scans it",
    "500.html": "only when a view fails; rendered in disputes/tests/test_public_views.py",
    "registration/locked_out.html": "after too many wrong passwords (a POST); tests/test_accounts.py",
    "disputes/email/digest.txt": "plain-text mail, never served",
    "disputes/statements/capture_refused.html": "answers a refused quote capture (POST)",
    "disputes/statements/find.html": "answers a quote search (POST)",
    "disputes/statements/_target_fields.html": "included by find.html only",
}


def signed_in(role: str, w: World) -> Client:
    client = Client()
    user = w.users[role]
    if user is not None:
        client.force_login(user)
    return client


def body(response: HttpResponse) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csp_problems(response: HttpResponse) -> list[str]:
    """Say what is wrong with the response's Content-Security-Policy, if anything."""
    header = response.headers.get("Content-Security-Policy")
    if not header:
        return ["no Content-Security-Policy header"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name.lower()] = values
    problems = []
    if "script-src" not in directives and "default-src" not in directives:
        problems.append(f"no script-src or default-src: {header}")
    for name in ("default-src", "script-src", "style-src"):
        unsafe = {"'unsafe-inline'", "'unsafe-eval'"} & set(directives.get(name, []))
        if unsafe:
            problems.append(f"{name} allows {', '.join(sorted(unsafe))}")
    return problems


def safe_address(value: str) -> bool:
    """Tell whether an address is http(s), a path on this site (not "//host"), a fragment, or the empty icon."""
    value = value.strip()
    relative = (value[:1] in {"/", "?", "#"} and value[:2] != "//") or value == ""
    return value.startswith(("http://", "https://")) or relative or value == "data:,"


def inline_code_problems(root: Element) -> list[str]:
    """Name every element or attribute of a parsed page that a 'self'-only CSP would block, or a bad link."""
    problems = []
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "script":
            if element.get("src") is None and element.get("type") != "application/ld+json":
                problems.append(f"inline <script>: {(element.text or '')[:60]!r}")
            elif element.get("src") is not None and element.get("src") not in SCRIPTS:
                problems.append(f"<script src={element.get('src')!r}>, not one of ours")
            elif element.get("src") is not None and (element.text or "").strip():
                problems.append("<script src> with inline text")
        if tag == "style":
            problems.append("<style> element")
        for name, value in element.attrib.items():
            lowered = name.lower()
            if lowered.startswith("on"):
                problems.append(f"<{tag} {name}=…> event handler")
            if lowered.startswith(("hx-on", "data-hx-on")):
                problems.append(f"<{tag} {name}=…> (hx-on needs eval)")
            if lowered == "style":
                problems.append(f"<{tag} style=…>")
            if lowered in URL_ATTRIBUTES and not safe_address(value):
                problems.append(f"<{tag} {name}={value[:60]!r}>")
    return problems


def audit(response: HttpResponse) -> list[str]:
    """Return every problem of one response: its CSP, and, for HTML, its inline code and links."""
    problems = csp_problems(response)
    if response.headers.get("Content-Type", "").startswith("text/html"):
        root = html5lib.parse(body(response).decode(), namespaceHTMLElements=False)
        problems += inline_code_problems(root)
    return problems


def test_every_route_is_scanned_or_skipped_for_a_reason(world: World) -> None:
    table = pages(world)
    assert uncovered(table, NOT_PAGES) == []
    assert unknown(table, NOT_PAGES) == []


def test_every_page_for_every_role_runs_only_our_scripts(world: World, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.EXPORT_DIR = tmp_path
    write_exports()  # the bulk files, so /data/ serves them rather than "not written yet"
    table = pages(world)
    problems: list[str] = []
    rendered: set[str] = set()
    seen_ok: dict[str, list[str]] = {name: [] for name in table}
    showed_hostile_text: set[str] = set()
    for role in ROLES:
        client = signed_in(role, world)
        for url in NOT_FOUND:
            response = client.get(url)
            assert response.status_code in {302, 403, 404}, url  # the desk answers only its own people
            problems += [f"{role} GET {url} → {response.status_code}: {problem}" for problem in audit(response)]
            rendered.update(t.name for t in response.templates if t.name)
        for name, urls in table.items():
            for url in urls:
                assert resolve(url.split("?")[0]).view_name == name, url
                for headers in ({}, {"HX-Request": "true"}):
                    response = client.get(url, headers=headers)
                    where = f"{role} GET {url}{' (htmx)' if headers else ''} → {response.status_code}"
                    assert response.status_code < 500, where
                    problems += [f"{where}: {problem}" for problem in audit(response)]
                    rendered.update(t.name.split("#")[0] for t in response.templates if t.name)
                    if response.status_code == 200:
                        seen_ok[name].append(role)
                        if ESCAPED in body(response):
                            showed_hostile_text.add(name)
    assert problems == []
    # The hostile world reached the pages that show others' words, so the scan tested their escaping.
    assert SHOW_HOSTILE_TEXT - showed_hostile_text == set()
    # Every route rendered for at least one role, so the scan read a page, not only a redirect or a 403.
    assert [name for name, ok in seen_ok.items() if not ok] == []
    # And every template of ours was among what was rendered.
    assert sorted(our_templates() - rendered - set(NOT_RENDERED_BY_GET)) == []


def our_templates() -> set[str]:
    from django.conf import settings

    folder = settings.BASE_DIR / "templates"
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.suffix in {".html", ".txt"}}


def test_error_pages_carry_the_policy_too(world: World) -> None:
    """A 403 and a 405 are answers too, under the same policy (404s are in the scan above)."""
    for role in ROLES:
        response = signed_in(role, world).post("/")
        assert response.status_code == 405
        assert audit(response) == [], role
    forbidden = signed_in("reviewer", world).get(reverse("articles:source-add"))
    assert forbidden.status_code == 403
    assert audit(forbidden) == []


def test_the_admin_carries_the_policy(world: World) -> None:
    """Django's admin is not ours to scan for inline code, but it is served under our policy."""
    client = signed_in("staff", world)
    admin_routes = [name for name in routes(admin=True) if name.startswith(f"{ADMIN_NAMESPACE}:")]
    assert admin_routes
    for url in ["/admin/", "/admin/disputes/dispute/", f"/admin/disputes/dispute/{world.published.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert csp_problems(response) == [], url


# --- the checker itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script src="https://cdn.example/x.js"></script>',
        '<a href="#" onclick="x()">x</a>',
        '<button hx-on:click="x()">x</button>',
        '<button hx-on::after-request="x()">x</button>',
        '<p style="color: red">x</p>',
        "<style>p { color: red }</style>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JavaScript:alert(1)">x</a>',
        '<a href="//evil.example/">x</a>',
        '<form action="data:text/html,x"></form>',
    ],
)
def test_the_checker_finds_inline_code(html: str) -> None:
    root = html5lib.parse(f"<!doctype html><title>t</title>{html}", namespaceHTMLElements=False)
    assert inline_code_problems(root) != []


def test_the_checker_passes_what_we_write() -> None:
    html = (
        '<!doctype html><title>t</title><script src="/static/js/site.js" defer></script>'
        '<script type="application/ld+json">{"@context": "https://schema.org"}</script>'
        '<link rel="icon" href="data:,"><a href="/d/x/">x</a><a href="https://example.org/">x</a>'
        '<a href="?page=2">2</a><a href="#main">skip</a><form action="" hx-post="/desk/" hx-target="#x"></form>'
    )
    assert inline_code_problems(html5lib.parse(html, namespaceHTMLElements=False)) == []


@pytest.mark.parametrize(
    "header",
    [
        None,
        "default-src 'self' 'unsafe-inline'",
        "default-src 'self'; script-src 'self' 'unsafe-eval'",
        "img-src 'self'",
    ],
)
def test_the_checker_finds_a_weak_policy(header: str | None) -> None:
    response = HttpResponse()
    if header:
        response["Content-Security-Policy"] = header
    assert csp_problems(response) != []
