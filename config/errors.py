"""Error answers in the site's look, under the same policies as the pages they stand in for.

- A form post whose CSRF token is missing or wrong (settings.CSRF_FAILURE_VIEW): Django's own page has an
  inline <style> that our Content-Security-Policy blocks, and htmx would get a whole document for a
  request that swaps a fragment. This one says the same in the site's look, or, to htmx, in one fragment.
- Not found (handler404): for a reader it is as cacheable and cookie-free as the page it replaces
  (reference B-T12); for a signed-in person it is private, like every page of theirs.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults

from disputes.views.public import for_readers

CSRF_TEMPLATE = "403_csrf.html"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Tell the person the form was refused and nothing changed: reload the page and try again."""
    htmx = request.headers.get("HX-Request") == "true"
    return render(request, CSRF_TEMPLATE + "#csrf-refused" if htmx else CSRF_TEMPLATE, status=403)


page_not_found = for_readers(defaults.page_not_found)
