"""Every URL pattern of the site, read from the resolver, so that no view can escape the audit.

The audit tests keep tables keyed by route name ("disputes:dispute-detail", "healthz"); each test also
checks its table against `routes()`, so a view added without an entry fails the suite until someone
decides how it is to be audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Django's admin: its own views and templates, audited by Django. The CSP header on its pages and its
# CSRF check are spot-checked in test_pages.py and test_csrf.py.
ADMIN_NAMESPACE = "admin"


@dataclass(frozen=True)
class Route:
    name: str  # the namespaced name reverse() takes
    pattern: str  # the whole path pattern, for messages
    callback: Callable[..., object]


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            # An unnamed pattern cannot be reversed: name it by its path, so it still shows up.
            name = ":".join(part for part in (namespace, entry.name or pattern) if part)
            yield Route(name=name, pattern=pattern, callback=entry.callback)


def routes(*, admin: bool = False) -> dict[str, Route]:
    """Return every URL pattern by namespaced name (the admin's only when asked)."""
    found: dict[str, Route] = {}
    for route in _walk(get_resolver(), "", ""):
        if not admin and route.name.split(":", 1)[0] == ADMIN_NAMESPACE:
            continue
        assert route.name not in found, f"two URL patterns are named {route.name}"
        found[route.name] = route
    return found


def uncovered(table: set[str] | dict[str, object], skipped: dict[str, str]) -> list[str]:
    """Name the routes that are neither in a test's table nor in its commented skip-list."""
    return sorted(set(routes()) - set(table) - set(skipped))


def unknown(table: set[str] | dict[str, object], skipped: dict[str, str]) -> list[str]:
    """Name the table entries and skips that are no longer routes (a renamed or removed view)."""
    return sorted((set(table) | set(skipped)) - set(routes()))
